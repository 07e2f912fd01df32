"""verifier.protocol's reason tables and label-scheme rule (docs/PROTOCOL.md), and the in-browser
verifier holding to the same scheme rule."""

from __future__ import annotations

import json
import subprocess
import unicodedata
from typing import Any

import pytest

from tests.nodes import ROOT, require_tool
from verifier.errors import AttestationError
from verifier.protocol.languages import LANGUAGES
from verifier.protocol.reasons import (
    REVOCATION_REASONS,
    WITHDRAWAL_REASONS,
    RevocationReason,
    WithdrawalReason,
    revocation_reason,
)
from verifier.protocol.recognition import validate_withdrawal
from verifier.protocol.scheme import MAX_SCHEME, label_category, label_scheme_id

# --- reasons ------------------------------------------------------------------------------------


def test_reason_codes_and_names_are_stable() -> None:
    # Published: a code keeps its name forever (a new reason gets a new code).
    assert {c: r.name for c, r in REVOCATION_REASONS.items()} == {
        1: "superseded",
        2: "withdrawn",
        3: "data_error",
        4: "certificate_suspended",
        5: "fraud",
        6: "key_compromise",
    }
    assert {c: r.name for c, r in WITHDRAWAL_REASONS.items()} == {
        1: "agreement_terminated",
        2: "agreement_suspended",
        3: "requirements_not_met",
        4: "issued_in_error",
        5: "superseded",
    }
    assert RevocationReason.KEY_COMPROMISE == 6 and WithdrawalReason.ISSUED_IN_ERROR == 4


def test_the_two_lists_are_separate_tables() -> None:
    # Withdrawal reason 1 is not revocation reason 1.
    assert WITHDRAWAL_REASONS[1].name != REVOCATION_REASONS[1].name
    assert validate_withdrawal(_withdrawal(5))["reason"] == WithdrawalReason.SUPERSEDED
    with pytest.raises(AttestationError, match="unknown withdrawal reason 6"):
        validate_withdrawal(_withdrawal(6))  # a revocation reason, not a withdrawal reason


def _withdrawal(reason: int) -> dict[str, Any]:
    return {
        "recognizer": "0x" + "11" * 20,
        "recognition": "0x" + "22" * 32,
        "reason": reason,
        "time": 1,
    }


@pytest.mark.parametrize("table", [REVOCATION_REASONS, WITHDRAWAL_REASONS])
def test_every_reason_is_written_in_every_language(table: Any) -> None:
    for code, reason in table.items():
        assert 0 < code < 2**16 and reason.code == code
        assert list(reason.text) == list(LANGUAGES) and all(reason.text.values())
        assert reason.describe("zh-HK") == reason.text["zh-Hant"]
        assert reason.describe("fr") == reason.text["en"]
    # Traditional Chinese is its own text, not the Simplified one copied.
    assert all(r.text["zh-Hant"] != r.text["zh-Hans"] for r in table.values())


def test_an_unknown_revocation_code_still_reads_as_revoked() -> None:
    reason = revocation_reason(4242)
    assert (reason.code, reason.name) == (4242, "unknown")
    assert reason.text["en"] == "unknown reason 4242" and "4242" in reason.text["zh-Hant"]
    assert revocation_reason(2) is REVOCATION_REASONS[2]


# --- the label-scheme rule ---------------------------------------------------------------------

SCHEME_CASES: list[tuple[dict[str, Any], str | None]] = [
    ({"certificate_number": "CQ-CFL-2026-000123"}, "CQ-CFL"),
    ({"certificate_number": "A-B-2026-7"}, "A-B"),  # year and serial are the last two parts
    ({"certificate_number": "A-2026-1-2027-5"}, "A-2026-1"),
    ({"certificate_number": "HK-CFL-1999-1"}, "HK-CFL"),
    ({"scheme": "SG-CFP", "certificate_number": "CQ-CFL-2026-000123"}, "SG-CFP"),
    ({"scheme": "", "certificate_number": "CQ-CFL-2026-000123"}, "CQ-CFL"),  # empty: not named
    ({"scheme": 7, "certificate_number": "CQ-CFL-2026-000123"}, "CQ-CFL"),  # not a string
    ({"scheme": " SG-CFP", "certificate_number": "CQ-CFL-2026-1"}, None),  # named, not valid
    ({"certificate_number": "CQ-CFL-26-000123"}, None),  # year of two digits
    ({"certificate_number": "CQ-CFL-2026-"}, None),  # no serial
    ({"certificate_number": "-2026-000123"}, None),  # no scheme part
    ({"certificate_number": "CQ-CFL-٢٠٢٦-000123"}, None),  # Arabic-Indic digits are not DIGIT
    ({"certificate_number": "CQ-CFL-2026-000123\n"}, None),  # nothing after the serial
    ({"certificate_number": "CQ\nCFL-2026-1"}, None),  # matches; a line feed is not scheme text
    ({"certificate_number": "CQ\u202eCFL-2026-1"}, None),  # a bidi override is not scheme text
    ({"certificate_number": unicodedata.normalize("NFD", "É-2026-1")}, None),  # not NFC
    ({"certificate_number": "É-2026-1"}, "É"),
    ({"certificate_number": "重庆碳标签-2026-1"}, "重庆碳标签"),
    ({"certificate_number": "X" * MAX_SCHEME + "-2026-1"}, "X" * MAX_SCHEME),
    ({"certificate_number": "X" * (MAX_SCHEME + 1) + "-2026-1"}, None),  # too long
    ({"certificate_number": "𝒳" * MAX_SCHEME + "-2026-1"}, "𝒳" * MAX_SCHEME),  # code points
    ({"certificate_number": 20260001}, None),
    ({}, None),
]


@pytest.mark.parametrize(("record", "expected"), SCHEME_CASES)
def test_label_scheme_id_follows_the_grammar(record: dict[str, Any], expected: str | None) -> None:
    assert label_scheme_id(record) == expected


def test_label_category() -> None:
    assert label_category({"product": {"category": "laptop"}}) == "laptop"
    for record in ({}, {"product": {"category": ""}}, {"product": "laptop"}, {"product": {}}):
        assert label_category(record) is None


def test_the_browser_verifier_reads_the_scheme_id_alike() -> None:
    """tanji-verify.js's labelSchemeId on the same records (JavaScript regexes and strings count
    UTF-16 units and know other whitespace: the cases above cover both)."""
    require_tool("node")
    script = (
        'import * as tv from "./registry/static/verify/tanji-verify.js";\n'
        'import fs from "node:fs";\n'
        'const records = JSON.parse(fs.readFileSync(0, "utf-8"));\n'
        "process.stdout.write(JSON.stringify(records.map((r) => tv.labelSchemeId(r) ?? null)));\n"
    )
    run = subprocess.run(
        ["node", "--input-type=module", "-e", script],
        input=json.dumps([record for record, _ in SCHEME_CASES]),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == [expected for _, expected in SCHEME_CASES]
