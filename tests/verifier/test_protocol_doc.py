"""docs/PROTOCOL.md says what the code does: its generated tables are current, and every result
code, reason code, contract entry, limit and rule it restates is the code's own.

The tables between ``<!-- NAME:begin -->`` markers are made by ``scripts/gen_protocol_doc.py``
(regenerate: ``python scripts/gen_protocol_doc.py --write``); the other checks read the prose.
"""

from __future__ import annotations

import importlib.util
import json
import re
import unicodedata
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from eth_utils import event_signature_to_log_topic, function_signature_to_4byte_selector

import verifier
from verifier._internal.checks import DEFAULT_CHECKS
from verifier.protocol import records
from verifier.protocol.codes import Code
from verifier.protocol.merkle import MAX_PROOF_LENGTH
from verifier.protocol.reasons import REVOCATION_REASONS, WITHDRAWAL_REASONS
from verifier.protocol.scheme import CERTIFICATE_NUMBER_PATTERN, MAX_SCHEME
from verifier.protocol.verdicts import Status

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "PROTOCOL.md").read_text("utf-8")
STATUSES = (*(status.value for status in Status), "—")


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_protocol_doc", ROOT / "scripts" / "gen_protocol_doc.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = _generator()
ABI: list[dict[str, Any]] = GEN.load_abi()


def section(title: str, next_title: str) -> str:
    """The text of PROTOCOL.md from the heading ``title`` to the heading ``next_title``."""
    start = DOC.index(f"\n{title}\n")
    return DOC[start : DOC.index(f"\n{next_title}", start)]


@pytest.mark.parametrize("name", sorted(GEN.TABLES))
def test_generated_table_is_current(name: str) -> None:
    """Stale? Run ``python scripts/gen_protocol_doc.py --write``."""
    assert GEN.current(DOC, name) == GEN.block(name)


def _abi_signature(entry: dict[str, Any]) -> str:
    return f"{entry['name']}({','.join(p['type'] for p in entry['inputs'])})"


@pytest.mark.parametrize(
    "entry",
    [e for e in ABI if e["type"] in ("function", "event", "error")],
    ids=lambda e: f"{e['type']} {e['name']}",
)
def test_every_contract_entry_is_in_section_8_with_its_selector(entry: dict[str, Any]) -> None:
    # Computed here with eth-utils, independently of the generator's own keccak.
    signature = _abi_signature(entry)
    if entry["type"] == "event":
        selector = "0x" + event_signature_to_log_topic(signature).hex()
    else:
        selector = "0x" + function_signature_to_4byte_selector(signature).hex()
    rows = [line for line in section("## 8. The anchor contract", "## 9.").splitlines()]
    assert any(
        f"| `{signature}` | `{selector}` |" in row and row.startswith(f"| `{entry['type']} ")
        for row in rows
    ), (signature, selector)


def test_the_check_selector_and_event_topic_quoted_in_prose_are_right() -> None:
    assert "`check` (selector `0x26eedcd2`)" in DOC
    assert function_signature_to_4byte_selector("check(bytes32,bytes32,bytes32[])").hex() == (
        "26eedcd2"
    )
    assert 'topic 0 is `keccak256("RootAnchored(bytes32,bytes32,uint64,uint64)")`' in DOC


def test_every_revert_named_in_the_table_is_an_error_of_the_contract() -> None:
    errors = {e["name"] for e in ABI if e["type"] == "error"}
    table = GEN.current(DOC, "contract-abi")
    for row in table.splitlines()[3:-1]:
        reverts = row.split(" | ")[4]
        assert set(re.findall(r"`(\w+)`", reverts)) <= errors, row


@pytest.mark.parametrize("code", list(Code), ids=lambda c: f"{int(c)} {c.name}")
def test_every_result_code_is_in_the_code_list_with_its_number_and_name(code: Code) -> None:
    assert f"| {int(code)} | `{code.name}` |" in section("### 10.9 Every result code", "## 11.")


@pytest.mark.parametrize("code", list(Code), ids=lambda c: f"{int(c)} {c.name}")
def test_every_result_code_is_explained_in_its_checks_table(code: Code) -> None:
    rows = re.findall(rf"^\| {int(code)} \| ({'|'.join(STATUSES)}) \|", DOC, re.MULTILINE)
    assert rows, f"no '| {int(code)} | <status> |' row in section 10"


def test_no_table_row_names_a_code_that_does_not_exist() -> None:
    body = section("## 10. Checks and result codes", "### 10.9 Every result code")
    numbers = {int(n) for n in re.findall(rf"^\| (\d+) \| (?:{'|'.join(STATUSES)}) \|", body, re.M)}
    assert numbers == {int(c) for c in Code}


@pytest.mark.parametrize("reason", list(REVOCATION_REASONS.values()), ids=lambda r: r.name)
def test_every_revocation_reason_is_in_its_own_list(reason: Any) -> None:
    own = section("### 9.1 Revocation reasons (on chain)", "### 9.2")
    other = section("### 9.2 Withdrawal reasons (signed)", "## 10.")
    assert f"| {reason.code} | `{reason.name}` | {reason.describe('en')} |" in own
    assert f"`{reason.name}` | {reason.describe('en')}" not in other


@pytest.mark.parametrize("reason", list(WITHDRAWAL_REASONS.values()), ids=lambda r: r.name)
def test_every_withdrawal_reason_is_in_its_own_list(reason: Any) -> None:
    own = section("### 9.2 Withdrawal reasons (signed)", "## 10.")
    other = section("### 9.1 Revocation reasons (on chain)", "### 9.2")
    assert f"| {reason.code} | `{reason.name}` | {reason.describe('en')} |" in own
    assert f"`{reason.name}` | {reason.describe('en')}" not in other


def test_the_withdrawal_member_points_at_the_withdrawal_list() -> None:
    rule = next(line for line in DOC.splitlines() if line.startswith("| `reason` |"))
    for reason in WITHDRAWAL_REASONS.values():
        assert f"{reason.code} {reason.describe('en')}" in rule


def test_the_check_order_is_the_verifiers() -> None:
    order = re.search(r"Each\s+bundle gets its results in this order: (.*?);", DOC, re.S)
    assert order is not None
    assert re.findall(r"`(\w+)`", order[1]) == [check.name for check in DEFAULT_CHECKS]


def test_limits_are_the_codes() -> None:
    assert f"at most 2 MiB ({records.MAX_BUNDLE_BYTES:,} bytes of UTF-8" in DOC
    assert f"most {records.MAX_JSON_DEPTH} levels deep" in DOC
    assert f"a {records.MAX_JSON_DEPTH + 1}th level is 109" in DOC
    assert f"to a depth of {records.MAX_DEPTH} bundles" in DOC
    assert f"a bundle at depth {records.MAX_DEPTH + 1} makes the whole" in DOC
    assert f"lists 1 to {records.MAX_LEAF_ARITY}" in DOC
    assert f"Proofs longer than {MAX_PROOF_LENGTH} hashes are" in DOC
    assert f"leafEncoding = {json.dumps(list(records.LEAF_ENCODING))}" in DOC


def test_characters_are_code_points_of_the_unicode_version_in_use() -> None:
    assert f"Unicode Character Database\nversion {unicodedata.unidata_version}" in DOC
    battery = "\U0001f50b"
    assert len(battery) == 1 and len(battery.encode("utf-16-le")) // 2 == 2
    # The text rule counts code points: 256 of them pass where 512 UTF-16 units would not.
    from verifier.protocol.eip712 import read_text

    assert read_text(battery * 256, "t") == battery * 256


def test_the_scheme_id_grammar_is_the_codes() -> None:
    assert f"`{CERTIFICATE_NUMBER_PATTERN}`" in DOC
    assert f"1 to {MAX_SCHEME} characters, NFC" in DOC


def test_the_library_example_is_the_packages() -> None:
    documented = re.search(r"<!-- library example -->\n```python\n(.*?)```", DOC, re.S)
    assert documented is not None and verifier.__doc__ is not None
    indented = "".join(
        f"    {line}" if line.strip() else "\n" for line in documented[1].splitlines(True)
    )
    assert indented in verifier.__doc__
