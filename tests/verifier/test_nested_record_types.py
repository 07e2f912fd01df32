"""Nested lists are typed and a recognition counts once (docs/PROTOCOL.md, section 6).

``attestations`` holds only ``attestation`` records and ``recognitions`` only ``recognition``
records (format 120 at the nested path); a recognition listed twice under the same label (same
record id) is reported once more as SKIPPED 892 and counted once.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.verifier.factories import Tree, make_bundle, make_record, salt_for
from tests.verifier.test_attestation_checks import bundle_of, records
from tests.verifier.test_recognition_checks import NOW, label_bundle, recognition, trust
from verifier._internal.checks import OFFLINE_CHECKS, CheckResult, RecognitionCheck, Status
from verifier._internal.verifier import Verdict, VerificationReport, Verifier, verify_offline
from verifier.cli import recognitions_summary
from verifier.protocol.codes import Code
from verifier.protocol.leaf import record_leaf_value


def verify(bundle: dict[str, Any]) -> VerificationReport:
    checks = [*OFFLINE_CHECKS, RecognitionCheck(clock=lambda: NOW)]
    return Verifier(trust=trust(), checks=checks).verify(bundle)


def by_name(report: VerificationReport) -> dict[str, CheckResult]:
    return {r.qualified_name: r for r in report.results}


def assert_wrong_type(report: VerificationReport, field: str) -> None:
    result = by_name(report)["format"]
    assert report.status is Verdict.INVALID
    assert (result.status, result.code) == (Status.INVALID, Code.FORMAT_WRONG_RECORD_TYPE)
    assert result.data["field"] == field, result.reason
    # Nothing nested is judged, so nothing is counted as a hop or an accepted recognition.
    assert all(r.code == Code.SKIPPED_FORMAT_INVALID for r in report.results[1:])
    assert recognitions_summary(report.results) is None


def with_foreign_hop(record_type: str) -> dict[str, Any]:
    """A label whose supply-chain hop is another company's genuine record of ``record_type``,
    anchored in the same tree."""
    label, other = make_record(1, "label"), make_record(2, record_type)
    salts = [salt_for("label"), salt_for("other")]
    tree = Tree.of([record_leaf_value(r, s) for r, s in zip((label, other), salts, strict=True)])
    top = make_bundle(label, salts[0], tree, 0)
    top["attestations"] = [make_bundle(other, salts[1], tree, 1)]
    return top


def test_a_genuine_recognition_listed_as_a_hop_is_invalid() -> None:
    bundle = label_bundle(recognition())
    assert verify(bundle).status is Verdict.VALID  # where it belongs it is accepted
    bundle["attestations"] = bundle.pop("recognitions")
    assert_wrong_type(verify(bundle), "attestations[0].record.type")
    assert_wrong_type(verify_offline(bundle), "attestations[0].record.type")


@pytest.mark.parametrize("record_type", ["label", "footprint"])
def test_another_companys_genuine_record_nested_as_a_hop_is_invalid(record_type: str) -> None:
    assert_wrong_type(verify(with_foreign_hop(record_type)), "attestations[0].record.type")


def test_an_upstream_hop_of_another_type_is_invalid_at_its_path() -> None:
    top = bundle_of(*records())
    assert verify_offline(top).status is Verdict.VALID
    foreign = with_foreign_hop("label")["attestations"][0]
    top["attestations"][0]["attestations"] = [foreign]
    assert_wrong_type(verify_offline(top), "attestations[0].attestations[0].record.type")


def test_an_attestation_listed_as_a_recognition_is_invalid() -> None:
    top = bundle_of(*records())
    top["recognitions"] = top.pop("attestations")
    assert_wrong_type(verify(top), "recognitions[0].record.type")


def test_a_recognition_listed_twice_counts_once() -> None:
    bundle = label_bundle(recognition())
    bundle["recognitions"].append(copy.deepcopy(bundle["recognitions"][0]))
    report = verify(bundle)
    results = by_name(report)
    assert report.status is Verdict.VALID
    assert results["recognitions[0].recognition"].status is Status.VALID
    duplicate = results["recognitions[1].recognition"]
    assert (duplicate.status, duplicate.code) == (Status.SKIPPED, Code.RECOGNITION_DUPLICATE)
    assert duplicate.data["duplicateOf"] == "recognitions[0]"
    assert recognitions_summary(report.results) == (
        "recognitions: 1 of 1 accepted by this trust file (recognised by Singapore body)"
    )


def test_the_same_recognition_anchored_twice_counts_once() -> None:
    # Same record id (the same signed statement) under two salts: two leaves, one recognition.
    rec = recognition()
    report = verify(label_bundle(rec, copy.deepcopy(rec)))
    duplicate = by_name(report)["recognitions[1].recognition"]
    assert report.status is Verdict.VALID
    assert duplicate.code == Code.RECOGNITION_DUPLICATE
    assert recognitions_summary(report.results, lang="zh-Hans") is not None
    assert recognitions_summary(report.results, lang="zh-Hans").startswith("认可：1 项，其中 1 项")  # type: ignore[union-attr]


def test_a_forged_copy_with_the_same_id_is_still_invalid() -> None:
    rec = recognition()
    forged = copy.deepcopy(rec)
    forged["message"]["scope"] = "every label, everywhere"
    report = verify(label_bundle(rec, forged))
    result = by_name(report)["recognitions[1].recognition"]
    assert report.status is Verdict.INVALID
    assert (result.status, result.code) == (Status.INVALID, Code.RECOGNITION_BAD_SIGNATURE)


def test_two_different_recognitions_both_count() -> None:
    report = verify(label_bundle(recognition(), recognition(nonce="0x" + "cd" * 32)))
    assert report.status is Verdict.VALID
    assert recognitions_summary(report.results) == (
        "recognitions: 2 of 2 accepted by this trust file (recognised by Singapore body)"
    )
