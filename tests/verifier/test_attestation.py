"""verifier.protocol.attestation: supplier attestations signed with EIP-712, validated, made into
records."""

import os
import secrets
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from verifier.errors import AttestationError, SignatureError
from verifier.protocol.attestation import (
    ATTESTATION_STRUCT,
    MAX_UPSTREAM,
    attestation_digest,
    attestation_record,
    attestation_typed_data,
    recover_signer,
    validate_attestation,
    verify_attestation,
    verify_attestation_record,
)
from verifier.protocol.hashing import keccak
from verifier.protocol.leaf import record_leaf_value

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
CHAIN_ID = 31337


def message(supplier: str, **overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "supplier": supplier,
        "componentId": "CQ-CELL-21700-A",
        "productId": "BSH-LT14-2026",
        "declaredUnit": "unit",
        "kgCo2ePerUnit": "0.482",
        "systemBoundary": "cradle-to-gate",
        "periodStart": 1735689600,
        "periodEnd": 1767225600,
        "upstream": [],
        "nonce": "0x" + secrets.token_hex(32),
        "expiry": 1798761600,
    }
    base.update(overrides)
    return base


def sign(data: dict[str, Any], account: LocalAccount) -> bytes:
    return bytes(Account.sign_typed_data(account.key, full_message=data).signature)


@pytest.fixture
def supplier() -> LocalAccount:
    return Account.create()


@pytest.fixture
def signed(supplier: LocalAccount) -> tuple[dict[str, Any], bytes]:
    data = attestation_typed_data(message(supplier.address), chain_id=CHAIN_ID, contract=CONTRACT)
    return data, sign(data, supplier)


def test_typed_data_is_the_full_eip712_document(supplier: LocalAccount) -> None:
    msg = message(supplier.address.lower())
    data = attestation_typed_data(msg, chain_id=CHAIN_ID, contract=CONTRACT.lower())
    assert data["primaryType"] == "Attestation"
    assert data["types"]["Attestation"] == list(ATTESTATION_STRUCT)
    assert [m["name"] for m in data["types"]["EIP712Domain"]] == [
        "name",
        "version",
        "chainId",
        "verifyingContract",
    ]
    assert data["domain"] == {
        "name": "Tanji",
        "version": "1",
        "chainId": CHAIN_ID,
        "verifyingContract": CONTRACT,
    }
    # Normal form: checksummed address; everything else as given.
    assert data["message"] == {**msg, "supplier": supplier.address}


def test_sign_recover_and_verify(
    signed: tuple[dict[str, Any], bytes], supplier: LocalAccount
) -> None:
    data, signature = signed
    assert recover_signer(data, signature) == supplier.address
    assert recover_signer(data, "0x" + signature.hex()) == supplier.address
    assert verify_attestation(data, signature) == supplier.address
    assert attestation_digest(data["message"], chain_id=CHAIN_ID, contract=CONTRACT) == bytes(
        Account.sign_typed_data(supplier.key, full_message=data).message_hash
    )


def test_signature_by_someone_else_is_a_signer_mismatch(supplier: LocalAccount) -> None:
    data = attestation_typed_data(message(supplier.address), chain_id=CHAIN_ID, contract=CONTRACT)
    impostor = Account.create()
    signature = sign(data, impostor)
    assert recover_signer(data, signature) == impostor.address
    with pytest.raises(AttestationError) as err:
        verify_attestation(data, signature)
    assert (err.value.code, err.value.field) == ("signer_mismatch", "message.supplier")


def test_tampered_message_recovers_another_address(
    signed: tuple[dict[str, Any], bytes], supplier: LocalAccount
) -> None:
    data, signature = signed
    lowered = {**data, "message": {**data["message"], "kgCo2ePerUnit": "0.048"}}
    assert recover_signer(lowered, signature) != supplier.address
    with pytest.raises(AttestationError) as err:
        verify_attestation(lowered, signature)
    assert err.value.code == "signer_mismatch"


def test_malformed_signature_is_a_signature_error(signed: tuple[dict[str, Any], bytes]) -> None:
    data, signature = signed
    with pytest.raises(SignatureError) as err:
        verify_attestation(data, signature[:64])
    assert err.value.code == "bad_signature_length"


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"supplier": "0x1234"}, "bad_address", "message.supplier"),
        ({"componentId": ""}, "empty", "message.componentId"),
        ({"componentId": " CELL"}, "bad_text", "message.componentId"),
        ({"componentId": "CELL\u202e"}, "bad_text", "message.componentId"),  # bidi override
        ({"componentId": "CELL\u200bA"}, "bad_text", "message.componentId"),  # zero-width space
        ({"componentId": "Cafe\u0301"}, "not_nfc", "message.componentId"),
        ({"componentId": "Café 电芯 «A»"}, None, None),
        ({"componentId": "CELL\nA"}, "bad_text", "message.componentId"),
        ({"componentId": "C" * 257}, "too_long", "message.componentId"),
        ({"productId": 14}, "wrong_type", "message.productId"),
        ({"declaredUnit": "u" * 33}, "too_long", "message.declaredUnit"),
        ({"kgCo2ePerUnit": 0.482}, "wrong_type", "message.kgCo2ePerUnit"),
        ({"kgCo2ePerUnit": "0.4820"}, "bad_decimal", "message.kgCo2ePerUnit"),
        ({"kgCo2ePerUnit": "4.82e-1"}, "bad_decimal", "message.kgCo2ePerUnit"),
        ({"systemBoundary": "cradle-to-cradle"}, "bad_enum", "message.systemBoundary"),
        ({"periodStart": "1735689600"}, "wrong_type", "message.periodStart"),
        ({"periodStart": True}, "wrong_type", "message.periodStart"),
        ({"periodStart": -1}, "out_of_range", "message.periodStart"),
        ({"periodEnd": 2**53}, "out_of_range", "message.periodEnd"),
        ({"periodEnd": 1735689600}, "bad_period", "message.periodEnd"),
        ({"upstream": "0x" + "11" * 32}, "wrong_type", "message.upstream"),
        ({"upstream": ["0x11"]}, "bad_bytes32", "message.upstream[0]"),
        ({"upstream": ["0x" + "22" * 32, "0x" + "11" * 32]}, "not_sorted", "message.upstream[1]"),
        ({"upstream": ["0x" + "11" * 32, "0x" + "11" * 32]}, "not_sorted", "message.upstream[1]"),
        ({"nonce": "0x" + "11" * 31}, "bad_bytes32", "message.nonce"),
        ({"expiry": 0}, "out_of_range", "message.expiry"),
    ],
)
def test_validation_codes(
    supplier: LocalAccount, overrides: dict[str, Any], code: str | None, field: str | None
) -> None:
    msg = {**message(supplier.address), **overrides}
    if code is None:
        validate_attestation(msg)
        return
    with pytest.raises(AttestationError) as err:
        attestation_typed_data(msg, chain_id=CHAIN_ID, contract=CONTRACT)
    assert (err.value.code, err.value.field) == (code, field)


def test_missing_and_unknown_members(supplier: LocalAccount) -> None:
    msg = message(supplier.address)
    del msg["expiry"]
    with pytest.raises(AttestationError) as err:
        validate_attestation(msg)
    assert (err.value.code, err.value.field) == ("missing_field", "message.expiry")
    with pytest.raises(AttestationError) as err:
        validate_attestation({**message(supplier.address), "supplierName": "Acme Cells"})
    assert (err.value.code, err.value.field) == ("unknown_field", "message.supplierName")


def test_upstream_limit_and_hex_case(supplier: LocalAccount) -> None:
    upstream = sorted("0x" + os.urandom(32).hex() for _ in range(MAX_UPSTREAM))
    assert (
        validate_attestation(message(supplier.address, upstream=upstream))["upstream"] == upstream
    )
    with pytest.raises(AttestationError) as err:
        validate_attestation(message(supplier.address, upstream=[*upstream, "0x" + "ff" * 32]))
    assert err.value.code == "too_many"
    upper = "0x" + "AB" * 32
    assert validate_attestation(message(supplier.address, nonce=upper))["nonce"] == upper.lower()


def test_expiry_is_checked_only_when_now_is_given(supplier: LocalAccount) -> None:
    msg = message(supplier.address, expiry=1_800_000_000)
    validate_attestation(msg)
    validate_attestation(msg, now=1_799_999_999)
    with pytest.raises(AttestationError) as err:
        validate_attestation(msg, now=1_800_000_000)
    assert (err.value.code, err.value.field) == ("expired", "message.expiry")


def test_upstream_chain_names_the_upstream_digest(supplier: LocalAccount) -> None:
    cell = attestation_typed_data(message(supplier.address), chain_id=CHAIN_ID, contract=CONTRACT)
    cell_record = attestation_record(cell, sign(cell, supplier))
    pack_maker = Account.create()
    pack = attestation_typed_data(
        message(pack_maker.address, componentId="PACK-56WH", upstream=[cell_record["id"]]),
        chain_id=CHAIN_ID,
        contract=CONTRACT,
    )
    pack_record = attestation_record(pack, sign(pack, pack_maker))
    assert pack_record["message"]["upstream"] == [cell_record["id"]]
    assert verify_attestation_record(pack_record) == pack_maker.address


# --- records ---------------------------------------------------------------------------------


def test_record_is_a_tanji_record_with_a_leaf(
    signed: tuple[dict[str, Any], bytes], supplier: LocalAccount
) -> None:
    data, signature = signed
    record = attestation_record(data, signature, supplier_name="重庆电芯有限公司")
    assert record == {
        "type": "attestation",
        "id": "0x"
        + attestation_digest(data["message"], chain_id=CHAIN_ID, contract=CONTRACT).hex(),
        "chainId": CHAIN_ID,
        "verifyingContract": CONTRACT,
        "message": data["message"],
        "signature": "0x" + signature.hex(),
        "signer": supplier.address,
        "supplierName": "重庆电芯有限公司",
    }
    assert verify_attestation_record(record) == supplier.address
    salt = os.urandom(32)
    leaf = record_leaf_value(record, salt)
    assert leaf[:2] == ["attestation", record["id"]]
    # The unsigned name is a field of its own: it changes the leaf, not the signature.
    renamed = {**record, "supplierName": "Chongqing Cells Ltd"}
    assert verify_attestation_record(renamed) == supplier.address
    assert record_leaf_value(renamed, salt) != leaf


def test_record_refuses_a_signature_by_someone_else(signed: tuple[dict[str, Any], bytes]) -> None:
    data, _ = signed
    with pytest.raises(AttestationError) as err:
        attestation_record(data, sign(data, Account.create()))
    assert err.value.code == "signer_mismatch"


@pytest.mark.parametrize(
    ("tamper", "code", "field"),
    [
        (lambda r: {**r, "type": "footprint"}, "wrong_record_type", "record.type"),
        (lambda r: {k: v for k, v in r.items() if k != "signer"}, "missing_field", "record.signer"),
        (lambda r: {**r, "id": "0x" + "00" * 32}, "id_mismatch", "record.id"),
        (
            lambda r: {**r, "message": {**r["message"], "kgCo2ePerUnit": "0.048"}},
            "id_mismatch",
            "record.id",
        ),
        (lambda r: {**r, "chainId": 1}, "id_mismatch", "record.id"),
        (lambda r: {**r, "signer": "0x" + "11" * 20}, "signer_mismatch", "record.signer"),
        (lambda r: {**r, "signature": "0x" + "11" * 65}, None, "signature"),
        (lambda r: {**r, "message": {**r["message"], "expiry": "soon"}}, "wrong_type", None),
    ],
)
def test_tampered_records_fail_with_codes(
    signed: tuple[dict[str, Any], bytes],
    tamper,
    code: str | None,
    field: str | None,  # type: ignore[no-untyped-def]
) -> None:
    data, signature = signed
    record = attestation_record(data, signature)
    with pytest.raises(AttestationError) as err:
        verify_attestation_record(tamper(record))
    if code is not None:
        assert err.value.code == code
    if field is not None:
        assert err.value.field == field


def test_annotations_cannot_shadow_signed_members(signed: tuple[dict[str, Any], bytes]) -> None:
    data, signature = signed
    from verifier.protocol.attestation import ATTESTATION

    with pytest.raises(AttestationError) as err:
        ATTESTATION.record(data, signature, annotations={"signer": "0x" + "00" * 20})
    assert (err.value.code, err.value.field) == ("reserved_field", "signer")
    with pytest.raises(AttestationError) as err:
        ATTESTATION.record(data, signature, annotations={"share": float("nan")})
    assert (err.value.code, err.value.field) == ("not_canonical", "share")


# --- worked vectors (docs/ATTESTATIONS.md) -----------------------------------------------------


def vector_key(label: str) -> bytes:
    """Test keys derived from a public seed: reproducible, and worthless outside tests."""
    return keccak(f"tanji/vectors/{label}".encode())


def vector_attestations() -> list[dict[str, Any]]:
    cell_key, pack_key = vector_key("cell-supplier"), vector_key("pack-supplier")
    cell = attestation_typed_data(
        {
            "supplier": Account.from_key(cell_key).address,
            "componentId": "CQ-CELL-21700-A",
            "productId": "BSH-LT14-2026",
            "declaredUnit": "unit",
            "kgCo2ePerUnit": "0.482",
            "systemBoundary": "cradle-to-gate",
            "periodStart": 1735689600,
            "periodEnd": 1767225600,
            "upstream": [],
            "nonce": "0x" + keccak(b"tanji/vectors/nonce/1").hex(),
            "expiry": 1798761600,
        },
        chain_id=CHAIN_ID,
        contract=CONTRACT,
    )
    cell_record = attestation_record(
        cell, Account.sign_typed_data(cell_key, full_message=cell).signature
    )
    pack = attestation_typed_data(
        {
            **cell["message"],
            "supplier": Account.from_key(pack_key).address,
            "componentId": "CQ-PACK-56WH",
            "kgCo2ePerUnit": "31.07",
            "upstream": [cell_record["id"]],
            "nonce": "0x" + keccak(b"tanji/vectors/nonce/2").hex(),
        },
        chain_id=CHAIN_ID,
        contract=CONTRACT,
    )
    pack_record = attestation_record(
        pack, Account.sign_typed_data(pack_key, full_message=pack).signature
    )
    return [cell_record, pack_record]


EXPECTED_VECTORS = [
    {
        "signer": "0x22341D9E2aF1dB6D34C65E0a17557aFE2EAb47f7",
        "id": "0xf96848b80abb2f20bd016175598687d34ca55b7fa80877db8655814bfb081038",
        "signature": "0x234737e5efbca22ae95bd32cf314f4515f983a6ecfa011786d14a5232815fb58"
        "16dc1d9b7a680c4c2aeac8dc0189925cbefea2809a567d70bc76529629adb5731b",
    },
    {
        "signer": "0xC6402b836876e2666dA6c8aC6B910eE643B4Dbf5",
        "id": "0x41c6e6438542bf23f8e6dce7892ba95cbec10477f7ca78f2b3aa9ea80538c4cd",
        "signature": "0x904e3788c5e12de868a2c69b695ff88a5bf7f082c4ee687e321933ee5416b311"
        "187680b4a3815376075c1bfd9374d6f5315d57cd263faede8c8f849ea4289e941b",
    },
]


def test_worked_vectors_are_reproducible_and_documented() -> None:
    records = vector_attestations()
    got = [{k: r[k] for k in ("signer", "id", "signature")} for r in records]
    assert got == EXPECTED_VECTORS
    for record in records:
        assert verify_attestation_record(record) == record["signer"]
    docs = (ROOT / "docs" / "ATTESTATIONS.md").read_text(encoding="utf-8")
    for vector in EXPECTED_VECTORS:
        for value in vector.values():
            assert value in docs, f"{value} is missing from docs/ATTESTATIONS.md"
