"""The in-browser verifier's protocol tables (registry/static/verify/tanji-protocol.js) are the
ones ``scripts/gen_browser_tables.py`` makes from ``verifier.protocol`` now, and its helpers fill
messages and read language tags exactly as the Python package does (run with Node)."""

from __future__ import annotations

import importlib.util
import json
import string
import subprocess
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

from tests.nodes import ROOT, require_tool
from verifier._internal.checks import DEFAULT_CHECKS
from verifier.protocol import messages, reasons
from verifier.protocol.codes import Code
from verifier.protocol.finality import confirmations, is_final
from verifier.protocol.languages import LANGUAGES, normalize

SCRIPT = ROOT / "scripts" / "gen_browser_tables.py"
TAGS = (
    "", "en", "EN-sg", "en_US", "zh", "zh-CN", "zh-SG", "zh-Hans", "zh-hans-hk", "zh-HK", "zh-TW",
    "zh-MO", "zh-Hant", "zh-Hant-HK", "zh_hk", " zh-hk ", "ja", "fr-FR", "zhx", "e",
)  # fmt: skip
#: Values a template's placeholders are filled with: present, empty, lists, localized text.
VALUES: tuple[Any, ...] = (
    "0xabc",
    "",
    0,
    7,
    None,
    True,
    False,
    [],
    ["a", 2, None],
    {"en": "E", "zh-Hans": "简", "zh-Hant": "繁"},
    {"en": "E only"},
)  # an object not keyed by language tags has no rendering in either verifier


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_browser_tables", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_generated_file_is_current(generator: ModuleType) -> None:
    on_disk = generator.OUT.read_text(encoding="utf-8")
    assert on_disk == generator.render(), (
        "tanji-protocol.js is stale: run python scripts/gen_browser_tables.py"
    )
    assert on_disk.startswith(generator.HEADER)
    assert generator.render() == generator.render()  # deterministic


def test_the_tables_hold_every_code_reason_and_check(generator: ModuleType) -> None:
    tables = generator.tables()
    assert tables["Code"] == {code.name: int(code) for code in Code}
    assert tables["CHECK_NAMES"] == [check.name for check in DEFAULT_CHECKS]
    assert set(tables["REVOCATION_REASONS"]) == {str(c) for c in reasons.REVOCATION_REASONS}
    assert set(tables["WITHDRAWAL_REASONS"]) == {str(c) for c in reasons.WITHDRAWAL_REASONS}
    for texts in (*tables["MESSAGES"].values(), tables["LANGUAGE_NAMES"]):
        assert list(texts) == list(LANGUAGES)


def _node(script: str, cases: Any) -> Any:
    require_tool("node")
    run = subprocess.run(
        ["node", "--input-type=module", "-e", script],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


_IMPORT = (
    'import * as p from "./registry/static/verify/tanji-protocol.js";\n'
    'import fs from "node:fs";\n'
    'const cases = JSON.parse(fs.readFileSync(0, "utf-8"));\n'
)


def test_the_module_evaluates_to_the_tables(generator: ModuleType) -> None:
    tables = generator.tables()
    script = _IMPORT + (
        "const out = Object.fromEntries(cases.map((n) => [n, p[n]]));\n"
        "out.frozen = cases.every((n) => typeof p[n] !== 'object' || Object.isFrozen(p[n]));\n"
        "process.stdout.write(JSON.stringify(out));\n"
    )
    got = _node(script, list(tables))
    assert got.pop("frozen") is True
    assert got == tables


def _templates() -> Iterator[str]:
    for texts in (*messages.entries().values(), *messages.report_entries().values()):
        yield from texts.values()


def _fill_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    for text in sorted(set(_templates())):
        names = sorted({n for _, n, _, _ in string.Formatter().parse(text) if n is not None})
        datasets: list[dict[str, Any]] = [{}]
        datasets += [{name: value for name in names} for value in VALUES]
        # Each member alone present, the others missing.
        datasets += [{name: "x"} for name in names]
        for data in datasets:
            for lang in (*LANGUAGES, "zh-HK", "fr"):
                cases.append({"text": text, "data": data, "lang": lang})
    return cases


def test_fill_template_agrees_with_python() -> None:
    cases = _fill_cases()
    assert len(cases) > 100  # the catalogue is not empty
    script = _IMPORT + (
        "const out = cases.map((c) => p.fillTemplate(c.text, c.data, c.lang));\n"
        "process.stdout.write(JSON.stringify(out));\n"
    )
    got = _node(script, cases)
    want = [messages.fill(c["text"], c["data"], c["lang"]) for c in cases]
    for case, ours, theirs in zip(cases, got, want, strict=True):
        assert ours == theirs, case


def test_messages_tags_and_reasons_agree_with_python() -> None:
    checks = [c.name for c in DEFAULT_CHECKS]
    lookups = [
        {"code": int(code), "lang": lang, "check": check}
        for code in (*Code, 12345)
        for lang in (*LANGUAGES, "zh-TW", "de")
        for check in (None, *checks)
    ]
    cases = {"lookups": lookups, "tags": list(TAGS), "reasons": [*range(9), 65535]}
    script = _IMPORT + (
        "process.stdout.write(JSON.stringify({\n"
        "  templates: cases.lookups.map((c) => p.messageTemplate(c.code, c.lang, c.check)),\n"
        "  messages: cases.lookups.map((c) => p.formatMessage(c.code, c.lang, {}, c.check)),\n"
        "  tags: cases.tags.map((t) => p.normalizeLanguage(t)),\n"
        "  reasons: cases.reasons.map((c) => p.revocationReason(c)),\n"
        "}));\n"
    )
    got = _node(script, cases)
    assert got["templates"] == [
        messages.template(c["code"], c["lang"], check=c["check"]) for c in lookups
    ]
    assert got["messages"] == [
        messages.message(c["code"], c["lang"], {}, check=c["check"]) for c in lookups
    ]
    assert got["tags"] == [normalize(tag) for tag in TAGS]
    want = [reasons.revocation_reason(code) for code in cases["reasons"]]
    assert got["reasons"] == [{"code": r.code, "name": r.name, "text": dict(r.text)} for r in want]


def test_finality_rule_agrees_with_python() -> None:
    """The browser's confirmations and finality are verifier/protocol/finality.py's."""
    cases = [
        {"block": b, "head": h, "required": r}
        for b in (0, 1, 7, 100)
        for h in (0, 1, 7, 8, 100, 164)
        for r in (0, 1, 7, 64)
    ]
    script = _IMPORT + (
        "process.stdout.write(JSON.stringify(cases.map((c) => [\n"
        "  p.anchorConfirmations(c.block, c.head), p.isFinal(c.block, c.head, c.required)])));\n"
    )
    got = _node(script, cases)
    assert got == [
        [confirmations(c["block"], c["head"]), is_final(c["block"], c["head"], c["required"])]
        for c in cases
    ]
