"""Offline verification (format, integrity, inclusion): valid, tampered and malformed bundles."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.verifier.factories import (
    Tree,
    anchored_set,
    hx,
    make_bundle,
    make_record,
    pending_bundle,
    redact,
    salt_for,
)
from verifier._internal.bundle import MAX_BUNDLE_BYTES, MAX_DEPTH, parse_bundle
from verifier._internal.checks import CheckResult, Status
from verifier._internal.verifier import Verdict, VerificationReport, verify_offline
from verifier.protocol.codes import Code
from verifier.protocol.leaf import field_commitment, field_salt, record_leaf_value


def result(report: VerificationReport, name: str) -> CheckResult:
    return next(r for r in report.results if r.qualified_name == name)


@pytest.fixture
def bundle() -> dict[str, Any]:
    tree, records, salts = anchored_set(4)
    return make_bundle(records[1], salts[1], tree, 1)


def test_valid_bundle_passes_every_offline_check(bundle: dict[str, Any]) -> None:
    report = verify_offline(bundle)
    assert report.status is Verdict.VALID, report.to_json()
    assert [r.name for r in report.results] == ["format", "integrity", "inclusion"]
    assert all(r.status is Status.VALID and r.code == Code.OK for r in report.results)
    assert report.offline and report.to_dict()["mode"] == "offline"


def test_bytes_and_text_inputs_verify_like_dicts(bundle: dict[str, Any]) -> None:
    text = json.dumps(bundle, ensure_ascii=False)
    assert verify_offline(text).status is Verdict.VALID
    assert verify_offline(text.encode()).status is Verdict.VALID


def test_single_leaf_tree_has_empty_proof() -> None:
    tree, records, salts = anchored_set(1)
    b = make_bundle(records[0], salts[0], tree, 0)
    assert b["proof"] == []
    assert verify_offline(b).status is Verdict.VALID


@pytest.mark.parametrize(
    ("mutate", "check", "code"),
    [
        (
            lambda b: b["record"]["footprint"].update(value=1.0),
            "integrity",
            Code.INTEGRITY_DIGEST_MISMATCH,
        ),
        (lambda b: b["record"].update(grade="A+"), "integrity", Code.INTEGRITY_DIGEST_MISMATCH),
        (lambda b: b["record"].update(extra="x"), "integrity", Code.INTEGRITY_DIGEST_MISMATCH),
        (lambda b: b["record"].pop("grade"), "integrity", Code.INTEGRITY_DIGEST_MISMATCH),
        (
            lambda b: b.update(salt=hx(salt_for("other"))),
            "integrity",
            Code.INTEGRITY_DIGEST_MISMATCH,
        ),
        (
            lambda b: b["leafValue"].__setitem__(2, hx(b"\x01" * 32)),
            "integrity",
            Code.INTEGRITY_DIGEST_MISMATCH,
        ),
        (
            lambda b: b["leafValue"].__setitem__(1, "CQ-LBL-OTHER"),
            "integrity",
            Code.INTEGRITY_LEAF_MISMATCH,
        ),
        (
            lambda b: b["proof"].__setitem__(0, hx(b"\x00" * 32)),
            "inclusion",
            Code.INCLUSION_ROOT_MISMATCH,
        ),
        (lambda b: b["proof"].pop(), "inclusion", Code.INCLUSION_ROOT_MISMATCH),
        (lambda b: b["proof"].append(hx(b"\x07" * 32)), "inclusion", Code.INCLUSION_ROOT_MISMATCH),
        (lambda b: b.update(root=hx(b"\x09" * 32)), "inclusion", Code.INCLUSION_ROOT_MISMATCH),
        (
            lambda b: b.update(leafEncoding=["string", "string", "string"]),
            "integrity",
            Code.INTEGRITY_WRONG_ENCODING,
        ),
    ],
)
def test_each_tampered_field_is_invalid_with_its_code(
    bundle: dict[str, Any], mutate: Any, check: str, code: Code
) -> None:
    mutate(bundle)
    report = verify_offline(bundle)
    assert report.status is Verdict.INVALID
    r = result(report, check)
    assert (r.status, r.code) == (Status.INVALID, code), r
    assert r.reason and r.message("zh-Hans")


def test_tampered_leaf_value_also_breaks_inclusion(bundle: dict[str, Any]) -> None:
    bundle["leafValue"][2] = hx(b"\x01" * 32)
    assert result(verify_offline(bundle), "inclusion").code == Code.INCLUSION_ROOT_MISMATCH


def test_leaf_of_another_record_cannot_be_swapped_in() -> None:
    tree, records, salts = anchored_set(4)
    b = make_bundle(records[1], salts[1], tree, 1)
    other = make_bundle(records[2], salts[2], tree, 2)
    b["record"], b["salt"] = other["record"], other["salt"]
    report = verify_offline(b)
    assert result(report, "integrity").code == Code.INTEGRITY_LEAF_MISMATCH


def _bad(mutate: Any) -> dict[str, Any]:
    tree, records, salts = anchored_set(2)
    b = make_bundle(records[0], salts[0], tree, 0)
    mutate(b)
    return b


MALFORMED: list[tuple[str, Any, Code, str | None]] = [
    ("not json", b"{not json", Code.FORMAT_NOT_JSON, None),
    ("invalid utf-8", b'{"format": "\xff"}', Code.FORMAT_NOT_JSON, None),
    ("NaN", b'{"format": NaN}', Code.FORMAT_NOT_JSON, None),
    ("array", b"[]", Code.FORMAT_NOT_OBJECT, None),
    ("huge", b" " * (MAX_BUNDLE_BYTES + 1), Code.FORMAT_TOO_LARGE, None),
    ("deep json", b"[" * 100_000 + b"]" * 100_000, Code.FORMAT_TOO_DEEP, None),
    (
        "dup key",
        b'{"format": "tanji-bundle/1", "format": "x"}',
        Code.FORMAT_DUPLICATE_KEY,
        "format",
    ),
    (
        "version",
        _bad(lambda b: b.update(format="tanji-bundle/2")),
        Code.FORMAT_UNKNOWN_VERSION,
        "format",
    ),
    ("no record", _bad(lambda b: b.pop("record")), Code.FORMAT_MISSING_FIELD, "record"),
    ("no root", _bad(lambda b: b.pop("root")), Code.FORMAT_MISSING_FIELD, "root"),
    ("no proof", _bad(lambda b: b.pop("proof")), Code.FORMAT_MISSING_FIELD, "proof"),
    ("no anchor", _bad(lambda b: b.pop("anchor")), Code.FORMAT_MISSING_FIELD, "anchor"),
    ("no salt", _bad(lambda b: b.pop("salt")), Code.FORMAT_MISSING_FIELD, "salt"),
    (
        "no tx",
        _bad(lambda b: b["anchor"].pop("txHash")),
        Code.FORMAT_MISSING_FIELD,
        "anchor.txHash",
    ),
    ("record id", _bad(lambda b: b["record"].pop("id")), Code.FORMAT_MISSING_FIELD, "record.id"),
    (
        "record type",
        _bad(lambda b: b["record"].update(type=3)),
        Code.FORMAT_WRONG_TYPE,
        "record.type",
    ),
    ("empty id", _bad(lambda b: b["record"].update(id="")), Code.FORMAT_BAD_VALUE, "record.id"),
    (
        "record float",
        _bad(lambda b: b["record"].update(x=float("inf"))),
        Code.FORMAT_NUMBER_OUT_OF_RANGE,
        "record.x",
    ),
    (
        "record lone surrogate",
        _bad(lambda b: b["record"].update(x="\ud800")),
        Code.FORMAT_NOT_CANONICAL,
        "record",
    ),
    (
        "record big int",
        _bad(lambda b: b["record"].update(x=2**60)),
        Code.FORMAT_NUMBER_OUT_OF_RANGE,
        "record.x",
    ),
    ("root type", _bad(lambda b: b.update(root=5)), Code.FORMAT_WRONG_TYPE, "root"),
    ("root hex", _bad(lambda b: b.update(root="0x" + "zz" * 32)), Code.FORMAT_BAD_HEX, "root"),
    ("root no 0x", _bad(lambda b: b.update(root="ab" * 32)), Code.FORMAT_BAD_HEX, "root"),
    ("root odd", _bad(lambda b: b.update(root="0x" + "a" * 63)), Code.FORMAT_BAD_HEX, "root"),
    (
        "root short",
        _bad(lambda b: b.update(root="0x" + "ab" * 31)),
        Code.FORMAT_WRONG_LENGTH,
        "root",
    ),
    (
        "proof item",
        _bad(lambda b: b["proof"].__setitem__(0, "0x12")),
        Code.FORMAT_WRONG_LENGTH,
        "proof[0]",
    ),
    (
        "proof long",
        _bad(lambda b: b.update(proof=[hx(bytes(32))] * 65)),
        Code.FORMAT_PROOF_TOO_LONG,
        "proof",
    ),
    ("proof type", _bad(lambda b: b.update(proof="0x00")), Code.FORMAT_WRONG_TYPE, "proof"),
    ("salt short", _bad(lambda b: b.update(salt="0x1234")), Code.FORMAT_WRONG_LENGTH, "salt"),
    (
        "chain id",
        _bad(lambda b: b["anchor"].update(chainId="1")),
        Code.FORMAT_WRONG_TYPE,
        "anchor.chainId",
    ),
    (
        "chain id 0",
        _bad(lambda b: b["anchor"].update(chainId=0)),
        Code.FORMAT_BAD_VALUE,
        "anchor.chainId",
    ),
    (
        "chain bool",
        _bad(lambda b: b["anchor"].update(chainId=True)),
        Code.FORMAT_WRONG_TYPE,
        "anchor.chainId",
    ),
    (
        "contract",
        _bad(lambda b: b["anchor"].update(contract="0x12")),
        Code.FORMAT_WRONG_LENGTH,
        "anchor.contract",
    ),
    (
        "block",
        _bad(lambda b: b["anchor"].update(blockNumber=-1)),
        Code.FORMAT_BAD_VALUE,
        "anchor.blockNumber",
    ),
    ("anchor type", _bad(lambda b: b.update(anchor=[])), Code.FORMAT_WRONG_TYPE, "anchor"),
    ("leaf arity", _bad(lambda b: b["leafValue"].pop()), Code.FORMAT_WRONG_LENGTH, "leafValue"),
    (
        "leaf item",
        _bad(lambda b: b["leafValue"].__setitem__(0, None)),
        Code.FORMAT_WRONG_TYPE,
        "leafValue[0]",
    ),
    (
        "leaf abi",
        _bad(lambda b: b["leafValue"].__setitem__(2, "0xzz")),
        Code.FORMAT_BAD_VALUE,
        "leafValue",
    ),
    (
        "encoding",
        _bad(lambda b: b.update(leafEncoding=["strung"] * 3)),
        Code.FORMAT_BAD_VALUE,
        "leafEncoding[0]",
    ),
    ("status", _bad(lambda b: b.update(status="done")), Code.FORMAT_BAD_VALUE, "status"),
    (
        "pending+proof",
        _bad(lambda b: b.update(status="pending")),
        Code.FORMAT_PENDING_INCONSISTENT,
        "proof",
    ),
    (
        "salt+disclosure",
        _bad(lambda b: b.update(disclosure={"salts": {}})),
        Code.FORMAT_SALT_AND_DISCLOSURE,
        "disclosure",
    ),
    (
        "anchor key",
        _bad(lambda b: b["anchor"].update(time=1)),
        Code.FORMAT_UNKNOWN_FIELD,
        "anchor.time",
    ),
    (
        "nested type",
        _bad(lambda b: b.update(attestations={})),
        Code.FORMAT_WRONG_TYPE,
        "attestations",
    ),
    (
        "nested item",
        _bad(lambda b: b.update(attestations=[1])),
        Code.FORMAT_WRONG_TYPE,
        "attestations[0]",
    ),
]


@pytest.mark.parametrize(
    ("data", "code", "field"), [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED]
)
def test_malformed_input_is_a_format_result_not_a_traceback(
    data: Any, code: Code, field: str | None
) -> None:
    report = verify_offline(data)
    assert report.status is Verdict.INVALID
    fmt = result(report, "format")
    assert (fmt.status, fmt.code, fmt.data.get("field")) == (Status.INVALID, code, field), fmt
    assert all(
        r.status is Status.SKIPPED and r.code == Code.SKIPPED_FORMAT_INVALID
        for r in report.results[1:]
    )
    json.loads(report.to_json())


def test_nested_bundles_are_parsed_recursively_with_paths() -> None:
    # A label, its supplier attestation and a recognition of that attestation.
    records = [make_record(i, t) for i, t in enumerate(("label", "attestation", "recognition"))]
    salts = [salt_for(f"nested-{i}") for i in range(3)]
    tree = Tree.of([record_leaf_value(r, s) for r, s in zip(records, salts, strict=True)])
    parent = make_bundle(records[0], salts[0], tree, 0)
    child = make_bundle(records[1], salts[1], tree, 1)
    grandchild = make_bundle(records[2], salts[2], tree, 2)
    child["recognitions"] = [grandchild]
    parent["attestations"] = [child, copy.deepcopy(child)]
    report = verify_offline(parent)
    assert report.status is Verdict.VALID
    names = [r.qualified_name for r in report.results]
    assert "attestations[1].recognitions[0].inclusion" in names
    # format, integrity, inclusion on each of 5 bundles; attestation_signature on the 2 hops.
    assert len(names) == 5 * 3 + 2

    parent["attestations"][1]["recognitions"][0]["record"]["grade"] = "B"
    report = verify_offline(parent)
    assert report.status is Verdict.INVALID
    bad = [r.qualified_name for r in report.results if r.status is Status.INVALID]
    assert bad == ["attestations[1].recognitions[0].integrity"]

    parent["attestations"][0]["proof"][0] = "0x00"
    fmt = result(verify_offline(parent), "format")
    assert fmt.data["field"] == "attestations[0].proof[0]"


def test_nesting_is_bounded() -> None:
    # A chain of supplier attestations, each nested in its customer's.
    tree, records, salts = anchored_set(1, record_type="attestation")
    b = make_bundle(records[0], salts[0], tree, 0)
    for _ in range(MAX_DEPTH):
        b = {**make_bundle(records[0], salts[0], tree, 0), "attestations": [b]}
    fmt = result(verify_offline(b), "format")
    assert fmt.code == Code.FORMAT_TOO_DEEP
    assert fmt.data["field"].count("attestations[0]") == MAX_DEPTH


def test_pending_bundle_is_pending_never_valid() -> None:
    record, salt = make_record(7), salt_for("pending")
    report = verify_offline(pending_bundle(record, salt))
    assert report.status is Verdict.PENDING
    inclusion = result(report, "inclusion")
    assert (inclusion.status, inclusion.code) == (Status.SKIPPED, Code.SKIPPED_PENDING)
    assert result(report, "integrity").status is Status.VALID


def test_parsed_bundle_is_typed_and_frozen(bundle: dict[str, Any]) -> None:
    parsed = parse_bundle(bundle)
    assert parsed.anchor is not None and parsed.anchor.chain_id == 31337
    assert len(parsed.leaf) == 32 and all(len(p) == 32 for p in parsed.proof)
    with pytest.raises(AttributeError):
        parsed.root = b""  # type: ignore[misc]
    with pytest.raises(TypeError):
        parsed.record["grade"] = "B"  # type: ignore[index]


# --- redacted bundles -------------------------------------------------------------------------


def test_redacted_bundle_verifies(bundle: dict[str, Any]) -> None:
    red = redact(bundle, ["footprint", "product"])
    assert "footprint" not in red["record"] and "salt" not in red
    report = verify_offline(red)
    assert report.status is Verdict.VALID, report.to_json()
    assert "2 hidden" in result(report, "integrity").reason


def test_hidden_value_cannot_be_confirmed_without_its_salt(bundle: dict[str, Any]) -> None:
    red = redact(bundle, ["footprint"])
    hidden = bytes.fromhex(red["disclosure"]["hidden"]["footprint"][2:])
    true_value = bundle["record"]["footprint"]
    master = bytes.fromhex(bundle["salt"][2:])
    # The right value with the right salt reproduces the commitment ...
    assert field_commitment("footprint", true_value, field_salt(master, "footprint")) == hidden
    # ... but a guesser, who has every disclosed salt and not this one, cannot test a guess.
    for guessed_salt in [
        bytes(32),
        *(bytes.fromhex(s[2:]) for s in red["disclosure"]["salts"].values()),
    ]:
        assert field_commitment("footprint", true_value, guessed_salt) != hidden


@pytest.mark.parametrize(
    ("mutate", "code"),
    [
        (lambda r: r["record"].update(grade="B"), Code.INTEGRITY_DIGEST_MISMATCH),
        (
            lambda r: r["disclosure"]["hidden"].update(footprint=hx(b"\x05" * 32)),
            Code.INTEGRITY_DIGEST_MISMATCH,
        ),
        (
            lambda r: r["disclosure"]["salts"].update(grade=hx(b"\x05" * 32)),
            Code.INTEGRITY_DIGEST_MISMATCH,
        ),
        (lambda r: r["disclosure"]["hidden"].pop("footprint"), Code.INTEGRITY_DIGEST_MISMATCH),
    ],
)
def test_changing_a_redacted_bundle_is_invalid(
    bundle: dict[str, Any], mutate: Any, code: Code
) -> None:
    red = redact(bundle, ["footprint"])
    mutate(red)
    report = verify_offline(red)
    assert report.status is Verdict.INVALID
    assert result(report, "integrity").code == code


@pytest.mark.parametrize(
    ("mutate", "code", "field"),
    [
        (
            lambda r: r["disclosure"]["salts"].pop("grade"),
            Code.FORMAT_DISCLOSED_WITHOUT_SALT,
            "disclosure.salts.grade",
        ),
        (
            lambda r: r["disclosure"]["hidden"].update(grade=hx(bytes(32))),
            Code.FORMAT_DISCLOSED_AND_HIDDEN,
            "disclosure.hidden.grade",
        ),
        (
            lambda r: r["disclosure"]["salts"].update(nothing=hx(bytes(32))),
            Code.FORMAT_SALT_WITHOUT_FIELD,
            "disclosure.salts.nothing",
        ),
        (lambda r: r["disclosure"].pop("salts"), Code.FORMAT_MISSING_FIELD, "disclosure.salts"),
        (lambda r: r["disclosure"].update(salt={}), Code.FORMAT_UNKNOWN_FIELD, "disclosure.salt"),
        (
            lambda r: r["disclosure"]["hidden"].update(footprint="0x12"),
            Code.FORMAT_WRONG_LENGTH,
            "disclosure.hidden.footprint",
        ),
    ],
)
def test_malformed_disclosure_is_a_format_error(
    bundle: dict[str, Any], mutate: Any, code: Code, field: str
) -> None:
    red = redact(bundle, ["footprint"])
    mutate(red)
    fmt = result(verify_offline(red), "format")
    assert (fmt.status, fmt.code, fmt.data["field"]) == (Status.INVALID, code, field)


def test_unexpected_exception_in_a_check_is_error_never_valid(bundle: dict[str, Any]) -> None:
    class Exploding:
        name = "exploding"

        def skip(self, target: object) -> None:
            return None

        def run(self, target: object) -> CheckResult:
            raise KeyError("boom")

    from verifier._internal.checks import OFFLINE_CHECKS

    report = verify_offline(bundle, checks=[*OFFLINE_CHECKS, Exploding()])
    assert report.status is Verdict.ERROR
    r = result(report, "exploding")
    assert (r.status, r.code) == (Status.ERROR, Code.INTERNAL_ERROR)


def test_every_code_is_documented_in_protocol() -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "PROTOCOL.md").read_text()
    for code in Code:
        assert f"| {int(code)} |" in text, (
            f"code {int(code)} ({code.name}) missing from PROTOCOL.md"
        )
