"""verifier.protocol.signature and verifier.protocol.eip712: recovery identical to eth-account,
strict typed data."""

import os
import secrets
from decimal import Decimal

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import to_checksum_address

from verifier.errors import AttestationError, SignatureError
from verifier.protocol.attestation import ATTESTATION_STRUCT, attestation_typed_data
from verifier.protocol.eip712 import (
    check_envelope,
    decimal_string,
    domain,
    read_address,
    read_decimal,
    typed_data_digest,
)
from verifier.protocol.signature import (
    SECP256K1_N,
    checksum_address,
    recover_address,
    signature_bytes,
)

CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


def _sign(digest: bytes) -> tuple[str, bytes]:
    account = Account.create()
    signed = Account.unsafe_sign_hash(digest, account.key)
    return account.address, bytes(signed.signature)


def _message(supplier: str) -> dict[str, object]:
    return {
        "supplier": supplier,
        "componentId": "CELL-21700",
        "productId": "LAPTOP-14",
        "declaredUnit": "unit",
        "kgCo2ePerUnit": "12.345",
        "systemBoundary": "cradle-to-gate",
        "periodStart": 1735689600,
        "periodEnd": 1767225600,
        "upstream": [],
        "nonce": "0x" + secrets.token_hex(32),
        "expiry": 1893456000,
    }


# --- recovery --------------------------------------------------------------------------------


def test_recover_address_matches_eth_account_on_many_random_keys() -> None:
    for _ in range(300):
        digest = os.urandom(32)
        address, signature = _sign(digest)
        expected = Account._recover_hash(digest, signature=signature)
        assert recover_address(digest, signature) == expected == address
        # The same signature with v as a bare recovery id (0/1), as some HSMs emit it.
        bare = signature[:64] + bytes((signature[64] - 27,))
        assert recover_address(digest, bare) == expected


def test_recover_address_of_another_digest_is_another_address() -> None:
    digest = os.urandom(32)
    address, signature = _sign(digest)
    other = bytes([digest[0] ^ 1]) + digest[1:]
    assert recover_address(other, signature) != address
    assert recover_address(other, signature) == Account._recover_hash(other, signature=signature)


def test_high_s_twin_is_rejected_although_eth_account_accepts_it() -> None:
    digest = os.urandom(32)
    address, signature = _sign(digest)
    s = int.from_bytes(signature[32:64], "big")
    twin = signature[:32] + (SECP256K1_N - s).to_bytes(32, "big") + bytes((55 - signature[64],))
    # Same key from the malleated twin: that is why EIP-2 refuses it.
    assert Account._recover_hash(digest, signature=twin) == address
    with pytest.raises(SignatureError) as err:
        recover_address(digest, twin)
    assert (err.value.code, err.value.field) == ("high_s", "signature")


@pytest.mark.parametrize(
    ("mutate", "code"),
    [
        (lambda sig: sig[:64], "bad_signature_length"),
        (lambda sig: sig + b"\x00", "bad_signature_length"),
        (lambda sig: sig[:64] + b"\x1d", "bad_recovery_id"),
        (lambda sig: sig[:64] + b"\x02", "bad_recovery_id"),
        (lambda sig: bytes(32) + sig[32:], "bad_r"),
        (lambda sig: SECP256K1_N.to_bytes(32, "big") + sig[32:], "bad_r"),
        (lambda sig: sig[:32] + bytes(32) + sig[64:], "bad_s"),
        (lambda sig: sig[:32] + SECP256K1_N.to_bytes(32, "big") + sig[64:], "bad_s"),
    ],
)
def test_malformed_signatures_have_codes(mutate, code: str) -> None:  # type: ignore[no-untyped-def]
    digest = os.urandom(32)
    _, signature = _sign(digest)
    with pytest.raises(SignatureError) as err:
        recover_address(digest, mutate(signature))
    assert err.value.code == code
    assert err.value.field == "signature"


def test_r_that_is_no_curve_point_is_unrecoverable() -> None:
    digest = os.urandom(32)
    _, signature = _sign(digest)
    # x = 5 has no point on secp256k1 (5^3 + 7 = 132 is not a square mod p).
    bogus = (5).to_bytes(32, "big") + signature[32:]
    with pytest.raises(SignatureError) as err:
        recover_address(digest, bogus)
    assert err.value.code == "unrecoverable"


def test_digest_must_be_32_bytes() -> None:
    _, signature = _sign(os.urandom(32))
    with pytest.raises(SignatureError) as err:
        recover_address(os.urandom(31), signature)
    assert (err.value.code, err.value.field) == ("bad_digest", "digest")


def test_checksum_address_is_eip55() -> None:
    for _ in range(100):
        raw = os.urandom(20)
        assert checksum_address(raw) == to_checksum_address(raw)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (123, "wrong_type"),
        ("12", "bad_hex"),
        ("0x1", "bad_hex"),
        ("0x" + "zz" * 65, "bad_hex"),
        ("0x" + "00 " * 65, "bad_hex"),
        ("0x" + "00" * 64, "bad_signature_length"),
    ],
)
def test_signature_hex_reader(value: object, code: str) -> None:
    with pytest.raises(SignatureError) as err:
        signature_bytes(value)
    assert err.value.code == code


# --- typed data ------------------------------------------------------------------------------


def test_digest_is_eth_account_eip712_hash_and_bound_to_the_domain() -> None:
    supplier = Account.create().address
    message = _message(supplier)
    data = attestation_typed_data(message, chain_id=31337, contract=CONTRACT)
    signable = encode_typed_data(full_message=data)
    account = Account.create()
    signed = Account.sign_message(signable, account.key)
    assert typed_data_digest(data) == bytes(signed.message_hash)
    other_chain = attestation_typed_data(message, chain_id=1, contract=CONTRACT)
    other_contract = attestation_typed_data(message, chain_id=31337, contract="0x" + "11" * 20)
    digests = {typed_data_digest(d) for d in (data, other_chain, other_contract)}
    assert len(digests) == 3


def test_domain_is_tanji_v1_with_checksummed_contract() -> None:
    assert domain(chain_id=31337, contract=CONTRACT.lower()) == {
        "name": "Tanji",
        "version": "1",
        "chainId": 31337,
        "verifyingContract": CONTRACT,
    }
    with pytest.raises(AttestationError) as err:
        domain(chain_id=0, contract=CONTRACT)
    assert (err.value.code, err.value.field) == ("out_of_range", "domain.chainId")


def _envelope_error(data: object) -> tuple[str, str | None]:
    with pytest.raises(AttestationError) as err:
        check_envelope(data, "Attestation", ATTESTATION_STRUCT)
    return err.value.code, err.value.field


def test_envelope_accepts_exactly_our_definitions() -> None:
    data = attestation_typed_data(
        _message(Account.create().address), chain_id=31337, contract=CONTRACT
    )
    chain_id, contract, message = check_envelope(data, "Attestation", ATTESTATION_STRUCT)
    assert (chain_id, contract, message) == (31337, CONTRACT, data["message"])

    ethers_form = {**data, "types": {"Attestation": data["types"]["Attestation"]}}
    assert check_envelope(ethers_form, "Attestation", ATTESTATION_STRUCT)[:2] == (31337, CONTRACT)

    assert _envelope_error([data]) == ("wrong_type", "typedData")
    assert _envelope_error({**data, "types": {**data["types"], "Extra": []}}) == (
        "wrong_types",
        "types",
    )
    assert _envelope_error({**data, "extra": 1}) == ("unknown_field", "extra")
    assert _envelope_error({**data, "primaryType": "Mail"}) == ("wrong_primary_type", "primaryType")
    reordered = dict(data["types"])
    reordered["Attestation"] = list(reversed(reordered["Attestation"]))
    assert _envelope_error({**data, "types": reordered}) == ("wrong_types", "types")
    renamed = dict(data["types"])
    renamed["Attestation"] = [
        {**m, "name": "kgCO2e"} if m["name"] == "kgCo2ePerUnit" else m
        for m in renamed["Attestation"]
    ]
    assert _envelope_error({**data, "types": renamed}) == ("wrong_types", "types")
    assert _envelope_error({**data, "domain": {**data["domain"], "name": "Other"}}) == (
        "wrong_domain",
        "domain.name",
    )
    assert _envelope_error({**data, "domain": {**data["domain"], "salt": "0x" + "00" * 32}}) == (
        "wrong_domain",
        "domain",
    )
    assert _envelope_error({**data, "domain": {**data["domain"], "chainId": "1"}}) == (
        "wrong_type",
        "domain.chainId",
    )
    assert _envelope_error({k: v for k, v in data.items() if k != "message"}) == (
        "missing_field",
        "message",
    )


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("0x" + "ab" * 19, "bad_address"),
        ("ab" * 21, "bad_address"),
        (42, "bad_address"),
        ("0x5FbDB2315678afecb367f032d93F642f64180aA3", "bad_checksum"),
    ],
)
def test_address_reader(value: object, code: str) -> None:
    with pytest.raises(AttestationError) as err:
        read_address(value, "message.supplier")
    assert (err.value.code, err.value.field) == (code, "message.supplier")


def test_address_reader_accepts_one_case_and_returns_checksum() -> None:
    assert read_address(CONTRACT.lower(), "a") == CONTRACT
    assert read_address("0x" + CONTRACT[2:].upper(), "a") == CONTRACT


@pytest.mark.parametrize("good", ["0", "12.345", "-0.5", "1000", "0.000000000001", "1" * 18])
def test_canonical_decimals_accepted(good: str) -> None:
    assert read_decimal(good, "x") == good


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "-0",
        "+1",
        "01",
        "1.",
        ".5",
        "1.50",
        "1e3",
        "NaN",
        "1,5",
        " 1",
        "0.0000000000001",
        "1" * 19,
        "１２",
    ],
)
def test_non_canonical_decimals_refused(bad: str) -> None:
    with pytest.raises(AttestationError) as err:
        read_decimal(bad, "message.kgCo2ePerUnit")
    assert (err.value.code, err.value.field) == ("bad_decimal", "message.kgCo2ePerUnit")


def test_decimal_string_spells_numbers_canonically() -> None:
    assert decimal_string(Decimal("12.3400")) == "12.34"
    assert decimal_string("1E+3") == "1000"
    assert decimal_string(Decimal("-0.000")) == "0"
    assert decimal_string(7) == "7"
    with pytest.raises(AttestationError) as err:
        decimal_string(0.1)  # type: ignore[arg-type]
    assert err.value.code == "wrong_type"
    with pytest.raises(AttestationError):
        decimal_string("Infinity")


@pytest.mark.parametrize(
    "message", [{"a": 300}, {}, {"a": "x"}], ids=["overflow", "missing", "wrong-type"]
)
def test_typed_data_that_cannot_be_encoded_is_a_coded_error(message: dict[str, object]) -> None:
    data = {
        "types": {
            "EIP712Domain": [{"name": "name", "type": "string"}],
            "T": [{"name": "a", "type": "uint8"}],
        },
        "primaryType": "T",
        "domain": {"name": "Tanji"},
        "message": message,
    }
    with pytest.raises(AttestationError) as err:
        typed_data_digest(data)
    assert (err.value.code, err.value.field) == ("bad_typed_data", "typedData")
