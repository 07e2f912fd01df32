"""The message catalogue: every code told in every language, from the data its result carries.

``verifier/protocol/messages.json`` holds each code's template in zh-Hans, zh-Hant and en (and a
check's own wording of ``OK``); ``report_messages.json`` the verdict headlines and the
recognitions summary. Results carry a code and data only; these tests hold the catalogue to the
results the verifier really produces (see also ``conftest.py``, which holds every result of every
verifier test to it).
"""

from __future__ import annotations

import copy
import json
import re
import string
from pathlib import Path
from typing import Any

import pytest

from tests.nodes import free_port
from tests.verifier.conftest import message_gaps
from tests.verifier.factories import anchored_set, make_bundle, pending_bundle, redact
from verifier._internal.checks import CHECK_NAMES, CheckResult, Status
from verifier._internal.trust import parse_trust
from verifier._internal.verifier import VerificationReport, Verifier, verify_offline
from verifier.cli import main
from verifier.protocol.codes import Code
from verifier.protocol.languages import LANGUAGES
from verifier.protocol.messages import (
    MESSAGES_FILE,
    REPORT_MESSAGES_FILE,
    entries,
    fill,
    message,
    placeholders,
    report_entries,
)
from verifier.protocol.records import MAX_LEAF_ARITY

ROOT = Path(__file__).resolve().parents[2]
VECTORS: dict[str, Any] = json.loads(
    (ROOT / "tests" / "assets" / "protocol_vectors.json").read_text("utf-8")
)
CATALOGUES = {"messages": entries, "report_messages": report_entries}
# Characters written differently in Traditional Chinese: a zh-Hant template holding one was
# copied from zh-Hans and not translated.
SIMPLIFIED_ONLY = set(
    "证链锚签验记录发认书据态项类码数号时间无应对个议盐这过层须绝处键员组声级单构采设读编败块误当"
)


def test_every_code_has_a_message_in_every_language() -> None:
    raw = json.loads(MESSAGES_FILE.read_text("utf-8"))
    assert [name for name in Code.__members__ if name not in raw] == []
    for path in (MESSAGES_FILE, REPORT_MESSAGES_FILE):
        for key, texts in json.loads(path.read_text("utf-8")).items():
            assert list(texts) == list(LANGUAGES), key
            assert all(text.strip() for text in texts.values()), key


def test_keys_are_codes_or_a_checks_own_wording_of_one() -> None:
    for key in entries():
        code, _, check = key.partition(".")
        assert code in Code.__members__, key
        assert not check or check in CHECK_NAMES, key
    # Every check says in its own words what it found when it passes.
    assert {f"OK.{name}" for name in CHECK_NAMES} <= set(entries())


@pytest.mark.parametrize("catalogue", CATALOGUES)
def test_every_language_names_the_same_data(catalogue: str) -> None:
    for key, texts in CATALOGUES[catalogue]().items():
        names = {lang: placeholders(text) for lang, text in texts.items()}
        assert len(set(names.values())) == 1, (key, names)


@pytest.mark.parametrize("catalogue", CATALOGUES)
def test_templates_use_only_the_documented_forms(catalogue: str) -> None:
    for key, texts in CATALOGUES[catalogue]().items():
        for lang, text in texts.items():
            for _, name, spec, conversion in string.Formatter().parse(text):
                if name is None:
                    continue
                assert re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", name), (key, lang, name)
                assert conversion is None, (key, lang)
                assert spec == "" or spec[0] in "?!", (key, lang, spec)


@pytest.mark.parametrize("catalogue", CATALOGUES)
def test_traditional_chinese_is_translated(catalogue: str) -> None:
    for key, texts in CATALOGUES[catalogue]().items():
        copied = SIMPLIFIED_ONLY.intersection(texts["zh-Hant"])
        assert not copied, (key, sorted(copied), texts["zh-Hant"])


def test_fill_rules() -> None:
    data = {
        "hidden": ["message", "signature"],
        "none": None,
        "empty": "",
        "zero": 0,
        "yes": True,
        "reasonText": {"zh-Hans": "欺诈", "zh-Hant": "欺詐", "en": "fraud"},
    }
    # A list is joined the language's way (languages.LIST_SEPARATORS): "、" in Chinese.
    assert fill("({hidden})", data) == "(message、signature)"
    assert fill("({hidden})", data, "zh-HK") == "(message、signature)"
    assert fill("({hidden})", data, "en") == "(message, signature)"
    assert fill("[{none}][{missing}]", data) == "[][?]"
    assert fill("{none:?a}{none:!b}{empty:!c}{zero:!d}{yes:?e}{missing:!f}", data) == "bcdef"
    assert fill("{reasonText}", data, "zh-HK") == "欺詐"
    assert fill("{reasonText}", data, "en-GB") == "fraud"
    assert fill("{{literal}} {yes}", data) == "{literal} true"


@pytest.mark.parametrize("catalogue", sorted(CATALOGUES))
def test_chinese_has_no_space_beside_full_width_punctuation(catalogue: str) -> None:
    """A space sits between Chinese and Latin text (an address, a scheme id), never beside
    full-width punctuation ("（0x…） 依"): filled with every member present, and with each
    member a conditional form tests absent in turn, then all of them at once."""
    beside = re.compile(r"[（），、：；。] | [（），、：；。]")
    for key, texts in CATALOGUES[catalogue]().items():
        for lang in ("zh-Hans", "zh-Hant"):
            text = texts[lang]
            names = placeholders(text)
            optional = {
                name for _, name, spec, _ in string.Formatter().parse(text) if name and spec
            }
            for absent in (set(), *({name} for name in optional), optional):
                filled = fill(text, {n: "" if n in absent else "0xabc" for n in names}, lang)
                assert not beside.search(filled), (key, lang, sorted(absent), filled)


def test_a_result_is_told_in_any_language_tag() -> None:
    result = CheckResult("not_revoked", Status.INVALID, Code.REVOKED_LEAF, {"reasonCode": 5})
    assert result.message("zh-HK") == result.message("zh-Hant") == result.reasons["zh-Hant"]
    assert result.message("zh-CN") == result.message("zh") == result.reasons["zh-Hans"]
    assert result.message("fr") == result.reason == result.reasons["en"]
    assert "已在區塊鏈上撤銷" in result.message("zh-Hant")
    assert message(Code.OK, "en", check="inclusion") != message(Code.OK, "en")
    wire = result.to_dict()
    assert list(wire["reasons"]) == list(LANGUAGES)
    assert wire["reason"] == wire["reasons"]["en"]
    assert not [key for key in wire if key.lower().endswith("zh")]


def test_an_incomplete_result_is_caught() -> None:
    # The conftest observer's own check: a template naming data the result lacks is reported.
    gaps = message_gaps(CheckResult("integrity", Status.VALID, Code.OK, {"digest": "0x00"}))
    assert gaps and "fieldCount" in gaps[0]
    assert message_gaps(CheckResult("format", Status.VALID, Code.OK, {"format": "x"})) == []


def _malformed() -> list[Any]:
    tree, records, salts = anchored_set(4)
    good = make_bundle(records[1], salts[1], tree, 1)

    def variant(**changes: Any) -> dict[str, Any]:
        out = copy.deepcopy(good)
        out.update(changes)
        return out

    return [
        b"{oops",
        b"[1, 2]",
        variant(format="tanji-bundle/9"),
        variant(root="0x12"),
        variant(root="0xzz"),
        variant(proof="not a list"),
        variant(leafEncoding=["string"] * (MAX_LEAF_ARITY + 1)),
        variant(leafValue=["label", "other", good["leafValue"][2]]),
        variant(leafValue=[*good["leafValue"][:2], "0x" + "00" * 32]),
        variant(root="0x" + "00" * 32),
        variant(anchor=dict(good["anchor"], extra=1)),
        variant(record=dict(good["record"], big=1e20)),
        redact(good, ["grade", "footprint"]),
        pending_bundle(records[2], salts[2]),
        dict(variant(), disclosure={"salts": {}}),
    ]


def _reports() -> list[VerificationReport]:
    bundles: list[Any] = [*VECTORS["bundles"].values(), *_malformed()]
    reports = [verify_offline(b) for b in bundles]
    tree, records, salts = anchored_set(2)
    bundle = make_bundle(records[0], salts[0], tree, 0)
    closed = f"http://127.0.0.1:{free_port()}"
    for chain in (
        {"chainId": 31337, "contracts": ["0x" + "11" * 20], "rpcUrl": closed},  # 990
        {"chainId": 31337, "contracts": ["0x" + "11" * 20]},  # 408
        {"chainId": 5, "contracts": ["0x" + "11" * 20]},  # 400
        {"chainId": 31337, "contracts": ["0x" + "33" * 20]},  # 402
    ):
        trust = parse_trust({"format": "tanji-trust/1", "chains": [chain]})
        reports.append(Verifier(trust=trust, timeout=1).verify(bundle))
    return reports


def test_every_result_of_the_vectors_and_their_variants_is_told_in_full() -> None:
    seen = set()
    for report in _reports():
        for result in report.results:
            seen.add(int(result.code))
            assert message_gaps(result) == [], result.to_dict()
            for lang in LANGUAGES:
                text = result.message(lang)
                assert "?" not in text or "?" in json.dumps(result.data), (lang, text)
    # The variants reach far into the catalogue: every check's OK and most 1xx codes.
    expected = {0, 100, 102, 103, 105, 106, 107, 118, 121, 201, 202, 300, 119, 110, 900, 990}
    assert expected <= seen, sorted(expected - seen)
    assert {400, 402, 408} <= seen


def _cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(args)
    return code, capsys.readouterr().out


def test_command_line_errors_are_told_in_every_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("TANJI_TRUST_FILE", raising=False)
    bundle = tmp_path / "b.json"
    bundle.write_text(json.dumps(VECTORS["bundles"]["full"]))
    bad_trust = tmp_path / "trust.json"
    bad_trust.write_text(json.dumps({"format": "tanji-trust/1", "chains": [{"chainId": 0}]}))
    for args, code in (
        ([str(bundle), "--json"], Code.CLI_NO_TRUST_FILE),
        ([str(bundle), "--json", "--trust", str(bad_trust)], Code.CLI_BAD_TRUST_FILE),
        ([str(tmp_path / "absent.json"), "--json", "--offline"], Code.CLI_BUNDLE_UNREADABLE),
    ):
        exit_code, out = _cli(args, capsys)
        failure = json.loads(out.splitlines()[0])  # (then the reports: none)
        assert (exit_code, failure["code"]) == (2, code), out
        assert list(failure["reasons"]) == list(LANGUAGES)
        assert failure["reason"] == failure["reasons"]["en"]
        for lang in LANGUAGES:
            assert placeholders(entries()[code.name][lang]) <= set(failure["data"]), failure
            assert "?" not in failure["reasons"][lang], failure
    exit_code, out = _cli([str(tmp_path / "absent.json"), "--offline", "--lang", "zh-HK"], capsys)
    assert exit_code == 2 and out.startswith("ERROR: [952]") and "無法讀取證明包" in out


@pytest.mark.parametrize(
    ("tag", "headline", "line"),
    [
        ("zh-HK", "離線一致", "證明包格式正確"),
        ("zh-Hant", "離線一致", "證明包格式正確"),
        ("zh", "离线一致", "证明包格式正确"),
        ("zh-CN", "离线一致", "证明包格式正确"),
        ("en-GB", "consistent offline", "well-formed tanji-bundle/1"),
    ],
)
def test_lang_takes_any_tag_tanji_writes(
    tag: str, headline: str, line: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = tmp_path / "b.json"
    bundle.write_text(json.dumps(VECTORS["bundles"]["full"]))
    exit_code, out = _cli([str(bundle), "--offline", "--lang", tag], capsys)
    assert exit_code == 0 and out.startswith("OK: ") and headline in out and line in out, out


def test_lang_refuses_a_language_tanji_does_not_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main([str(tmp_path / "b.json"), "--offline", "--lang", "fr"])
    assert exited.value.code == 2
    assert "fr" in capsys.readouterr().err
