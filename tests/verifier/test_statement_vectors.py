"""The signed-statement vectors (``statements`` in tests/assets/protocol_vectors.json) hold for this
verifier: every case's ``attestation_signature`` and ``recognition`` results, in order, under the
case's trust and time. The in-browser verifier is held to the same cases (tests/registry/js)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from verifier._internal.checks import OFFLINE_CHECKS, RecognitionCheck
from verifier._internal.trust import parse_trust
from verifier._internal.verifier import Verifier

ROOT = Path(__file__).resolve().parents[2]
STATEMENTS: dict[str, Any] = json.loads(
    (ROOT / "tests" / "assets" / "protocol_vectors.json").read_text("utf-8")
)["statements"]
STATEMENT_CHECKS = ("attestation_signature", "recognition")


def test_the_cases_cover_every_statement_code() -> None:
    codes = {e["code"] for case in STATEMENTS["cases"] for e in case["expected"]}
    assert codes == {0, 700, 704, 707, 790, 800, 802, 803, 804, 805, 806, 807, 808, 890, 891, 892}


@pytest.mark.parametrize("case", STATEMENTS["cases"], ids=lambda c: c["why"])
def test_statement_vector(case: dict[str, Any]) -> None:
    now = case["now"]
    checks = [*OFFLINE_CHECKS, RecognitionCheck(clock=lambda: now)]
    report = Verifier(trust=parse_trust(case["trust"]), checks=checks).verify(
        json.dumps(case["bundle"], ensure_ascii=False)
    )
    results = [
        {"name": r.qualified_name, "status": r.status.value, "code": int(r.code)}
        for r in report.results
        if r.name in STATEMENT_CHECKS
    ]
    assert results == case["expected"]
    # Only the signed statements are at stake: every other offline check holds.
    assert {r.status.value for r in report.results if r.name not in STATEMENT_CHECKS} == {"VALID"}
