"""The ``recognition`` check and trust profiles' certification bodies (no chain needed: the check
reads only the bundle, its parent label and the trust file)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from tests.verifier.factories import Tree, hx, make_bundle, redact, salt_for
from verifier._internal.bundle import parse_bundle
from verifier._internal.checks import (
    OFFLINE_CHECKS,
    RecognitionCheck,
    Status,
    Target,
    label_scheme_id,
    run_check,
)
from verifier._internal.trust import TrustConfig, parse_trust
from verifier._internal.verifier import Verdict, Verifier, verify_offline
from verifier.cli import recognitions_summary
from verifier.errors import TrustConfigError
from verifier.protocol.codes import Code
from verifier.protocol.hashing import keccak
from verifier.protocol.leaf import LEAF_ENCODING, record_leaf_value
from verifier.protocol.merkle import leaf_hash
from verifier.protocol.recognition import RECOGNITION, recognition_typed_data, scheme_subject

CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
NOW = 1_780_000_000
SG = "0x" + keccak(b"tanji/tests/sg-body").hex()
HK = "0x" + keccak(b"tanji/tests/hk-body").hex()
STRANGER = "0x" + keccak(b"tanji/tests/body-in-no-profile").hex()
PROFILES = Path(__file__).resolve().parents[2] / "registry" / "data" / "trust-profiles"


def addr(key: str) -> str:
    return str(Account.from_key(key).address)


LABEL: dict[str, Any] = {
    "type": "label",
    "id": "lbl000000001",
    "certificate_number": "CQ-CFL-2026-000001",
    "product": {"name": {"zh": "笔记本电脑", "en": "Laptop"}, "category": "laptop"},
}


def label_leaf() -> str:
    return hx(leaf_hash(LEAF_ENCODING, record_leaf_value(LABEL, salt_for("label"))))


def recognition(key: str = SG, **changes: Any) -> dict[str, Any]:
    message = {
        "recognizer": addr(key),
        "scheme": "SG-CFP-MRA-2026",
        "subjectType": "label",
        "subject": label_leaf(),
        "category": "laptop",
        "scope": "Chongqing carbon labels for laptops, recognised in Singapore",
        "validFrom": NOW - 86_400,
        "validUntil": 0,
        "nonce": "0x" + "ab" * 32,
        **changes,
    }
    typed = recognition_typed_data(message, chain_id=31337, contract=CONTRACT)
    signature = Account.sign_typed_data(key, full_message=typed).signature
    return RECOGNITION.record(typed, bytes(signature), annotations={"recognizerName": "SG body"})


def label_bundle(*recognitions: dict[str, Any]) -> dict[str, Any]:
    records = [LABEL, *recognitions]
    salts = [salt_for("label"), *(salt_for(f"rec{i}") for i in range(len(recognitions)))]
    tree = Tree.of([record_leaf_value(r, s) for r, s in zip(records, salts, strict=True)])
    bundles = [
        make_bundle(r, s, tree, i) for i, (r, s) in enumerate(zip(records, salts, strict=True))
    ]
    return {**bundles[0], "recognitions": bundles[1:]}


def trust(**extra: Any) -> TrustConfig:
    return parse_trust(
        {
            "format": "tanji-trust/1",
            "chains": [{"chainId": 31337, "contracts": [CONTRACT]}],
            "certificationBodies": [
                {
                    "address": addr(SG),
                    "name": "Singapore body",
                    "schemes": ["SG-CFP-MRA-2026"],
                    "categories": ["laptop"],
                },
                {"address": addr(HK), "name": "Hong Kong body"},
            ],
            **extra,
        }
    )


def check(bundle: dict[str, Any], profile: TrustConfig | None = None, index: int = 0) -> Any:
    outer = parse_bundle(bundle)
    target = Target(
        bundle=outer.recognitions[index],
        trust=trust() if profile is None else profile,
        path=f"recognitions[{index}]",
        parent=outer,
    )
    return run_check(RecognitionCheck(clock=lambda: NOW), target)


def test_a_trusted_recognition_of_this_label_is_valid() -> None:
    result = check(label_bundle(recognition()))
    assert (result.status, result.code) == (Status.VALID, Code.OK), result.reason
    assert result.qualified_name == "recognitions[0].recognition"
    assert result.data["recognizer"] == addr(SG)
    assert result.data["recognizerName"] == "Singapore body"
    assert "Singapore body" in result.reason and "SG-CFP-MRA-2026" in result.message("zh-Hans")


def test_a_scheme_recognition_matches_the_labels_scheme_and_category() -> None:
    assert label_scheme_id(LABEL) == "CQ-CFL"
    rec = recognition(HK, subjectType="scheme", subject=scheme_subject("CQ-CFL", "laptop"))
    assert check(label_bundle(rec)).status is Status.VALID
    other = recognition(HK, subjectType="scheme", subject=scheme_subject("HK-CFL", "laptop"))
    result = check(label_bundle(other))
    assert result.code == Code.RECOGNITION_SUBJECT_MISMATCH


def _tamper_message(bundle: dict[str, Any]) -> dict[str, Any]:
    # Re-derive the leaf so only the signature (not integrity) can catch the change.
    rec = copy.deepcopy(bundle["recognitions"][0]["record"])
    rec["message"]["scope"] = "every product, everywhere"
    return label_bundle(rec)


@pytest.mark.parametrize(
    ("make", "profile", "code"),
    [
        (lambda: _tamper_message(label_bundle(recognition())), None, 800),
        (lambda: label_bundle(recognition(SG, subject="0x" + "33" * 32)), None, 804),
        (lambda: label_bundle(recognition(SG, category="cement")), None, 804),
        (lambda: label_bundle(recognition(SG, validFrom=NOW + 60)), None, 805),
        (lambda: label_bundle(recognition(SG, validFrom=NOW - 99, validUntil=NOW)), None, 806),
        (lambda: label_bundle(recognition(SG, scheme="SG-OTHER")), None, 802),
        (lambda: label_bundle(recognition(SG)), {"acceptedSchemes": ["HK-CFL-MRA-2026"]}, 802),
        (lambda: label_bundle(recognition(SG, category="")), None, None),  # label's category
        (
            lambda: label_bundle(
                recognition(
                    SG, subjectType="scheme", subject=scheme_subject("CQ-CFL", ""), category=""
                )
            ),
            None,
            803,  # a blanket recognition from a body trusted for laptops only
        ),
    ],
)
def test_each_failure_has_its_code(make: Any, profile: dict[str, Any] | None, code: int) -> None:
    result = check(make(), trust(**profile) if profile else None)
    if code is None:
        assert result.status is Status.VALID, result.reason
    else:
        assert (result.status, int(result.code)) == (Status.INVALID, code), result.reason
        assert result.reason and result.message("zh-Hans")


def test_a_recognition_signed_for_an_untrusted_contract_is_invalid() -> None:
    profile = parse_trust(
        {"format": "tanji-trust/1", "chains": [{"chainId": 31337, "contracts": ["0x" + "66" * 20]}]}
    )
    assert check(label_bundle(recognition()), profile).code == Code.RECOGNITION_UNTRUSTED_DOMAIN


def _profile_verify(bundle: dict[str, Any]) -> Any:
    # The chain checks are left out (no node here): what is judged is every offline check of the
    # label and its recognitions, plus the recognition check under the profile.
    checks = [*OFFLINE_CHECKS, RecognitionCheck(clock=lambda: NOW)]
    return Verifier(trust=trust(), checks=checks).verify(bundle)


def test_a_recognition_by_a_body_not_in_the_profile_is_skipped_not_invalid() -> None:
    result = check(label_bundle(recognition(STRANGER)))
    assert (result.status, int(result.code)) == (Status.SKIPPED, 891), result.reason
    assert result.code == Code.RECOGNITION_RECOGNIZER_NOT_IN_PROFILE
    assert result.data["recognizer"] == addr(STRANGER)
    assert "recognizerName" not in result.data  # the record's unsigned annotation is not vouched
    assert "not relied on" in result.reason and "未予采信" in result.message("zh-Hans")
    # Not relied on, so whether it is in force is not this verifier's business either.
    expired = recognition(STRANGER, validFrom=NOW - 99, validUntil=NOW)
    assert check(label_bundle(expired)).code == Code.RECOGNITION_RECOGNIZER_NOT_IN_PROFILE


def test_the_verdict_rests_on_the_label_and_the_recognitions_the_profile_trusts() -> None:
    bundle = label_bundle(recognition(STRANGER), recognition())
    report = _profile_verify(bundle)
    assert report.status is Verdict.VALID, report.to_json()
    codes = {r.qualified_name: (r.status, int(r.code)) for r in report.results}
    assert codes["recognitions[0].recognition"] == (Status.SKIPPED, 891)
    assert codes["recognitions[1].recognition"] == (Status.VALID, 0)
    assert codes["recognitions[0].integrity"] == (Status.VALID, 0)
    assert recognitions_summary(report.results) == (
        "recognitions: 1 of 2 accepted by this trust file (recognised by Singapore body); "
        "1 recognition by a body not in this profile, not relied on"
    )
    assert recognitions_summary(report.results, lang="zh-Hans") == (
        "认可：2 项，其中 1 项被本信任文件接受且有效（Singapore body）；"
        "1 项由本信任文件未列出的机构作出，未予采信"
    )
    only_strangers = _profile_verify(
        label_bundle(recognition(STRANGER), recognition(STRANGER, nonce="0x" + "cd" * 32))
    )
    assert only_strangers.status is Verdict.VALID
    assert recognitions_summary(only_strangers.results) == (
        "recognitions: 0 of 2 accepted by this trust file; "
        "2 recognitions by bodies not in this profile, not relied on"
    )


def test_a_tampered_recognition_by_a_body_not_in_the_profile_is_still_invalid() -> None:
    # The signed message changed (leaf re-derived): the signature catches it.
    forged = _tamper_message(label_bundle(recognition(STRANGER)))
    assert check(forged).code == Code.RECOGNITION_BAD_SIGNATURE
    assert _profile_verify(forged).status is Verdict.INVALID
    # A committed member changed after anchoring: the nested bundle's integrity catches it.
    bundle = label_bundle(recognition(STRANGER))
    bundle["recognitions"][0]["record"]["recognizerName"] = "Ministry of Everything"
    report = _profile_verify(bundle)
    assert report.status is Verdict.INVALID
    bad = {r.qualified_name: int(r.code) for r in report.results if r.status is Status.INVALID}
    assert bad == {"recognitions[0].integrity": 202}
    # Placed under a label it is not about: a misassembled bundle, whoever signed it.
    elsewhere = label_bundle(recognition(STRANGER, subject="0x" + "33" * 32))
    assert check(elsewhere).code == Code.RECOGNITION_SUBJECT_MISMATCH


def test_without_certification_bodies_the_signature_is_checked_then_skipped() -> None:
    profile = parse_trust(
        {"format": "tanji-trust/1", "chains": [{"chainId": 31337, "contracts": [CONTRACT]}]}
    )
    result = check(label_bundle(recognition()), profile)
    assert (result.status, result.code) == (Status.SKIPPED, Code.RECOGNITION_NONE_CONFIGURED)
    assert check(_tamper_message(label_bundle(recognition())), profile).status is Status.INVALID


def test_a_redacted_signature_cannot_be_checked() -> None:
    bundle = label_bundle(recognition())
    bundle["recognitions"][0] = redact(bundle["recognitions"][0], ["signature"])
    result = check(bundle)
    assert result.code == Code.RECOGNITION_REDACTED
    # Hiding an unsigned annotation keeps the recognition checkable.
    bundle = label_bundle(recognition())
    bundle["recognitions"][0] = redact(bundle["recognitions"][0], ["recognizerName"])
    assert check(bundle).status is Status.VALID


def test_every_recognition_is_reported_separately_and_only_recognitions_get_the_check() -> None:
    bundle = label_bundle(
        recognition(),
        recognition(HK, subjectType="scheme", subject=scheme_subject("CQ-CFL", "laptop")),
    )
    report = verify_offline(bundle, checks=[*OFFLINE_CHECKS, RecognitionCheck(clock=lambda: NOW)])
    assert report.status is Verdict.VALID
    names = [r.qualified_name for r in report.results if r.name == "recognition"]
    assert names == ["recognitions[0].recognition", "recognitions[1].recognition"]
    as_json = json.loads(report.to_json())
    assert {c["code"] for c in as_json["checks"] if c["check"] == "recognition"} == {890}


def test_trust_profiles_parse_and_reject_bad_bodies() -> None:
    for name in ("sg", "hk"):
        profile = parse_trust((PROFILES / f"{name}-partner.json").read_bytes())
        assert profile.certification_bodies and profile.accepted_schemes
    for bad, field in (
        ({"certificationBodies": [{"name": "x"}]}, "certificationBodies[0].address"),
        ({"certificationBodies": [{"address": "0x12"}]}, "certificationBodies[0].address"),
        (
            {"certificationBodies": [{"address": addr(SG)}, {"address": addr(SG).lower()}]},
            "certificationBodies[1].address",
        ),
        ({"acceptedSchemes": "SG"}, "acceptedSchemes"),
        ({"certificationBodies": [{"address": addr(SG), "schemes": [1]}]}, None),
    ):
        with pytest.raises(TrustConfigError) as info:
            parse_trust({"format": "tanji-trust/1", "chains": [], **bad})
        if field:
            assert info.value.field == field
