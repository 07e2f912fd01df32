"""verifier.protocol.recognition: signed recognitions of labels and schemes, and their
withdrawal."""

import os
import secrets
from pathlib import Path
from typing import Any

import pytest
from eth_abi import encode as abi_encode
from eth_account import Account
from eth_account.signers.local import LocalAccount

from verifier.errors import AttestationError
from verifier.protocol.hashing import keccak
from verifier.protocol.leaf import LEAF_ENCODING, record_leaf_value
from verifier.protocol.merkle import leaf_hash
from verifier.protocol.recognition import (
    RECOGNITION,
    WITHDRAWAL,
    WITHDRAWAL_REASONS,
    check_withdrawal_matches,
    recognition_digest,
    recognition_in_force,
    recognition_typed_data,
    recover_recognizer,
    scheme_subject,
    validate_recognition,
    validate_withdrawal,
    withdrawal_digest,
    withdrawal_typed_data,
)

CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
CHAIN_ID = 31337


def label_leaf() -> str:
    """Leaf hash of an anchored label record, as the contract stores it."""
    label = {"type": "label", "id": "CQ-CFL-2026-000123", "grade": "A", "footprint": "fp-1"}
    return "0x" + leaf_hash(LEAF_ENCODING, record_leaf_value(label, os.urandom(32))).hex()


def recognition(recognizer: str, **overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "recognizer": recognizer,
        "scheme": "SG-CFP-MRA-2026",
        "subjectType": "label",
        "subject": label_leaf(),
        "category": "laptop",
        "scope": "Recognised as equivalent to a Singapore product carbon footprint label",
        "validFrom": 1767225600,
        "validUntil": 1830297600,
        "nonce": "0x" + secrets.token_hex(32),
    }
    base.update(overrides)
    return base


def sign(data: dict[str, Any], account: LocalAccount) -> bytes:
    return bytes(Account.sign_typed_data(account.key, full_message=data).signature)


@pytest.fixture
def recognizer() -> LocalAccount:
    return Account.create()


def test_recognise_a_label_by_its_leaf(recognizer: LocalAccount) -> None:
    data = recognition_typed_data(
        recognition(recognizer.address), chain_id=CHAIN_ID, contract=CONTRACT
    )
    assert data["primaryType"] == "Recognition"
    assert [m["name"] for m in data["types"]["Recognition"]] == [
        "recognizer",
        "scheme",
        "subjectType",
        "subject",
        "category",
        "scope",
        "validFrom",
        "validUntil",
        "nonce",
    ]
    signature = sign(data, recognizer)
    assert recover_recognizer(data, signature) == recognizer.address
    record = RECOGNITION.record(data, signature, annotations={"recognizerName": "SG CFP Body"})
    assert record["type"] == "recognition"
    assert (
        record["id"]
        == "0x" + recognition_digest(data["message"], chain_id=CHAIN_ID, contract=CONTRACT).hex()
    )
    assert RECOGNITION.verify_record(record) == recognizer.address
    assert record_leaf_value(record, os.urandom(32))[:2] == ["recognition", record["id"]]


def test_scheme_subject_is_abi_encoded_not_concatenated() -> None:
    assert (
        scheme_subject("CQ-CFL", "laptop")
        == "0x" + keccak(abi_encode(["string", "string"], ["CQ-CFL", "laptop"])).hex()
    )
    assert scheme_subject("AB", "C") != scheme_subject("A", "BC")
    assert scheme_subject("CQ-CFL") != scheme_subject("CQ-CFL", "laptop")
    with pytest.raises(AttestationError) as err:
        scheme_subject("")
    assert (err.value.code, err.value.field) == ("empty", "schemeId")


def test_recognise_a_whole_scheme_open_ended(recognizer: LocalAccount) -> None:
    msg = recognition(
        recognizer.address,
        subjectType="scheme",
        subject=scheme_subject("CQ-CFL"),
        category="",
        validUntil=0,
    )
    data = recognition_typed_data(msg, chain_id=CHAIN_ID, contract=CONTRACT)
    assert RECOGNITION.verify(data, sign(data, recognizer)) == recognizer.address
    assert recognition_in_force(data["message"], 4_000_000_000)


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"recognizer": "0x" + "1" * 39}, "bad_address", "message.recognizer"),
        ({"scheme": ""}, "empty", "message.scheme"),
        ({"scheme": "S" * 65}, "too_long", "message.scheme"),
        ({"subjectType": "product"}, "bad_enum", "message.subjectType"),
        ({"subject": "0x" + "00" * 32}, "empty", "message.subject"),
        ({"subject": "0x1234"}, "bad_bytes32", "message.subject"),
        ({"category": None}, "wrong_type", "message.category"),
        ({"scope": ""}, "empty", "message.scope"),
        ({"scope": "x" * 1025}, "too_long", "message.scope"),
        ({"validFrom": 1.5}, "wrong_type", "message.validFrom"),
        ({"validUntil": 1767225600}, "bad_period", "message.validUntil"),
        ({"validUntil": 1000}, "bad_period", "message.validUntil"),
        ({"nonce": 7}, "bad_bytes32", "message.nonce"),
        ({"extra": "x"}, "unknown_field", "message.extra"),
    ],
)
def test_recognition_validation_codes(
    recognizer: LocalAccount, overrides: dict[str, Any], code: str, field: str
) -> None:
    msg = {**recognition(recognizer.address), **overrides}
    with pytest.raises(AttestationError) as err:
        validate_recognition(msg)
    assert (err.value.code, err.value.field) == (code, field)


def test_validity_window() -> None:
    msg = validate_recognition(recognition(Account.create().address))
    assert not recognition_in_force(msg, 1767225599)
    assert recognition_in_force(msg, 1767225600)
    assert recognition_in_force(msg, 1830297599)
    assert not recognition_in_force(msg, 1830297600)
    assert recognition_in_force(msg, 1800000000, withdrawn_at=1800000001)
    assert not recognition_in_force(msg, 1800000001, withdrawn_at=1800000001)


def _recognition_record(recognizer: LocalAccount) -> dict[str, Any]:
    data = recognition_typed_data(
        recognition(recognizer.address), chain_id=CHAIN_ID, contract=CONTRACT
    )
    return RECOGNITION.record(data, sign(data, recognizer))


def test_withdrawal_by_the_recognizer(recognizer: LocalAccount) -> None:
    rec = _recognition_record(recognizer)
    msg = {
        "recognizer": recognizer.address,
        "recognition": rec["id"],
        "reason": 1,
        "time": 1800000000,
    }
    data = withdrawal_typed_data(msg, chain_id=CHAIN_ID, contract=CONTRACT)
    assert data["types"]["Withdrawal"] == [
        {"name": "recognizer", "type": "address"},
        {"name": "recognition", "type": "bytes32"},
        {"name": "reason", "type": "uint16"},
        {"name": "time", "type": "uint64"},
    ]
    withdrawal = WITHDRAWAL.record(data, sign(data, recognizer))
    assert withdrawal["type"] == "withdrawal"
    assert (
        withdrawal["id"]
        == "0x" + withdrawal_digest(msg, chain_id=CHAIN_ID, contract=CONTRACT).hex()
    )
    assert WITHDRAWAL.verify_record(withdrawal) == recognizer.address
    check_withdrawal_matches(rec, withdrawal)


def test_withdrawal_by_anyone_else_does_not_count(recognizer: LocalAccount) -> None:
    rec = _recognition_record(recognizer)
    other = Account.create()
    msg = {"recognizer": other.address, "recognition": rec["id"], "reason": 4, "time": 1800000000}
    data = withdrawal_typed_data(msg, chain_id=CHAIN_ID, contract=CONTRACT)
    withdrawal = WITHDRAWAL.record(data, sign(data, other))
    with pytest.raises(AttestationError) as err:
        check_withdrawal_matches(rec, withdrawal)
    assert err.value.code == "signer_mismatch"
    # Claiming to be the recognizer while signing with another key fails earlier.
    forged = withdrawal_typed_data(
        {**msg, "recognizer": recognizer.address}, chain_id=CHAIN_ID, contract=CONTRACT
    )
    with pytest.raises(AttestationError) as err:
        WITHDRAWAL.record(forged, sign(forged, other))
    assert (err.value.code, err.value.field) == ("signer_mismatch", "message.recognizer")


def test_withdrawal_of_another_recognition_or_deployment(recognizer: LocalAccount) -> None:
    rec, other_rec = _recognition_record(recognizer), _recognition_record(recognizer)
    msg = {"recognizer": recognizer.address, "recognition": other_rec["id"], "reason": 5, "time": 1}
    data = withdrawal_typed_data(msg, chain_id=CHAIN_ID, contract=CONTRACT)
    withdrawal = WITHDRAWAL.record(data, sign(data, recognizer))
    with pytest.raises(AttestationError) as err:
        check_withdrawal_matches(rec, withdrawal)
    assert err.value.code == "wrong_recognition"
    elsewhere = withdrawal_typed_data(
        {**msg, "recognition": rec["id"]}, chain_id=1, contract=CONTRACT
    )
    withdrawal = WITHDRAWAL.record(elsewhere, sign(elsewhere, recognizer))
    with pytest.raises(AttestationError) as err:
        check_withdrawal_matches(rec, withdrawal)
    assert err.value.code == "wrong_domain"


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"reason": 0}, "out_of_range", "message.reason"),
        ({"reason": 2**16}, "out_of_range", "message.reason"),
        ({"reason": 999}, "bad_enum", "message.reason"),
        ({"recognition": "0x12"}, "bad_bytes32", "message.recognition"),
        ({"time": -1}, "out_of_range", "message.time"),
    ],
)
def test_withdrawal_validation_codes(overrides: dict[str, Any], code: str, field: str) -> None:
    msg = {
        "recognizer": Account.create().address,
        "recognition": "0x" + "ab" * 32,
        "reason": 1,
        "time": 1800000000,
        **overrides,
    }
    with pytest.raises(AttestationError) as err:
        validate_withdrawal(msg)
    assert (err.value.code, err.value.field) == (code, field)


def test_reason_codes_are_non_zero_uint16() -> None:
    assert WITHDRAWAL_REASONS and all(0 < code < 2**16 for code in WITHDRAWAL_REASONS)


# --- worked vectors (docs/ATTESTATIONS.md) -----------------------------------------------------


def vector_records() -> list[dict[str, Any]]:
    """A recognition and its withdrawal, signed with a test key derived from a public seed."""
    key = keccak(b"tanji/vectors/sg-recognizer")
    address = Account.from_key(key).address
    rec = recognition_typed_data(
        {
            "recognizer": address,
            "scheme": "SG-CFP-MRA-2026",
            "subjectType": "scheme",
            "subject": scheme_subject("CQ-CFL", "laptop"),
            "category": "laptop",
            "scope": "Chongqing carbon footprint labels for laptops, recognised in Singapore",
            "validFrom": 1767225600,
            "validUntil": 0,
            "nonce": "0x" + keccak(b"tanji/vectors/nonce/3").hex(),
        },
        chain_id=CHAIN_ID,
        contract=CONTRACT,
    )
    rec_record = RECOGNITION.record(rec, Account.sign_typed_data(key, full_message=rec).signature)
    wd = withdrawal_typed_data(
        {"recognizer": address, "recognition": rec_record["id"], "reason": 1, "time": 1830297600},
        chain_id=CHAIN_ID,
        contract=CONTRACT,
    )
    wd_record = WITHDRAWAL.record(wd, Account.sign_typed_data(key, full_message=wd).signature)
    return [rec_record, wd_record]


EXPECTED_VECTORS = [
    {
        "signer": "0xb51a3C0809eD9D345262D09dF32F9Eb9DE901151",
        "id": "0xd201b98e47f6f4bf58ca19008ae5c01a70a40ad7f734e381fb63eae5f5312ce2",
        "signature": "0x2e1db37689af92c9f4757fa8732ba51590c8365510bb592bdef3bc48b1fa3dee"
        "44ed564dc5c27225cf4c911b4eda0cf3027cb857edda3bcd948904ac4225d22e1b",
        "subject": "0xed8aba57f4fc208bb6a12ba4c8e8ed3bd9cfd152eb25d29090d6075d263b47b5",
    },
    {
        "signer": "0xb51a3C0809eD9D345262D09dF32F9Eb9DE901151",
        "id": "0x5d14ec638a6efb7a331d9e98b4954d915cd57fb3e99f209e116c70b70f5555cb",
        "signature": "0x38b78e311b9f1101e45db66f2b1b70e9ff128d4d4db6a4133d0ac7797b648811"
        "0a836854b9ad72a23739c6a92f2c760ec65e5a359519857c3d0a6ffea35635841b",
    },
]


def test_worked_vectors_are_reproducible_and_documented() -> None:
    records = vector_records()
    got = [{"signer": r["signer"], "id": r["id"], "signature": r["signature"]} for r in records]
    got[0]["subject"] = records[0]["message"]["subject"]
    assert got == EXPECTED_VECTORS
    check_withdrawal_matches(records[0], records[1])
    docs = (Path(__file__).resolve().parents[2] / "docs" / "ATTESTATIONS.md").read_text("utf-8")
    for vector in EXPECTED_VECTORS:
        for value in vector.values():
            assert value in docs, f"{value} is missing from docs/ATTESTATIONS.md"
