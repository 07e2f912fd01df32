"""verifier.protocol.eip712's one struct-hash encoder against eth-account's ``encode_typed_data``.

The encoder is compiled from each struct's definition; these tests hold it equal to the reference
implementation on random messages of Tanji's own structs (attestation, recognition, withdrawal) and
on random typed data with every EIP-712 type: nested and self-referencing structs, dynamic, fixed
and nested arrays, signed and unsigned integers of every width, bool, bytes and bytesN.
"""

from __future__ import annotations

import random
import string
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data

from verifier.errors import AttestationError
from verifier.protocol.attestation import ATTESTATION, ATTESTATION_STRUCT, validate_attestation
from verifier.protocol.eip712 import (
    DOMAIN_TYPE,
    EIP712_DOMAIN_TYPE,
    StatementKind,
    domain,
    domain_separator,
    encode_type,
    struct_type,
    typed_data,
    typed_data_digest,
)
from verifier.protocol.hashing import keccak
from verifier.protocol.recognition import RECOGNITION, WITHDRAWAL, WITHDRAWAL_REASONS

CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
TEXT = string.ascii_letters + string.digits + " -.é電芯«»"


def reference_digest(data: dict[str, Any]) -> bytes:
    """eth-account's EIP-712 hash of full typed data."""
    signable = encode_typed_data(full_message=data)
    return keccak(b"\x19" + bytes(signable.version) + signable.header + signable.body)


def text(rng: random.Random, empty: bool = False) -> str:
    length = rng.randint(0 if empty else 1, 40)
    return "".join(rng.choice(TEXT) for _ in range(length)).strip() or "x"


def hex32(rng: random.Random) -> str:
    return "0x" + rng.randbytes(32).hex()


def attestation(rng: random.Random) -> dict[str, Any]:
    start = rng.randint(0, 2**40)
    return {
        "supplier": Account.create().address,
        "componentId": text(rng),
        "productId": text(rng),
        "declaredUnit": rng.choice(["unit", "kg", "kWh", "m2"]),
        "kgCo2ePerUnit": rng.choice(["0", "1.5", "-0.000000000001", "999999999999999999.9"]),
        "systemBoundary": rng.choice(["cradle-to-gate", "cradle-to-grave", "gate-to-gate"]),
        "periodStart": start,
        "periodEnd": start + rng.randint(1, 2**40),
        "upstream": sorted({hex32(rng) for _ in range(rng.choice([0, 0, 1, 3, 64]))}),
        "nonce": hex32(rng),
        "expiry": rng.randint(1, 2**53 - 1),
    }


def recognition(rng: random.Random) -> dict[str, Any]:
    return {
        "recognizer": Account.create().address,
        "scheme": text(rng),
        "subjectType": rng.choice(["label", "scheme"]),
        "subject": hex32(rng),
        "category": text(rng, empty=True) if rng.random() < 0.7 else "",
        "scope": text(rng),
        "validFrom": 1000,
        "validUntil": rng.choice([0, 1001, 2**53 - 1]),
        "nonce": hex32(rng),
    }


def withdrawal(rng: random.Random) -> dict[str, Any]:
    return {
        "recognizer": Account.create().address,
        "recognition": hex32(rng),
        "reason": rng.choice(sorted(WITHDRAWAL_REASONS)),
        "time": rng.randint(0, 2**53 - 1),
    }


@pytest.mark.parametrize(
    ("kind", "make"),
    [(ATTESTATION, attestation), (RECOGNITION, recognition), (WITHDRAWAL, withdrawal)],
    ids=["attestation", "recognition", "withdrawal"],
)
def test_statement_digests_equal_eth_account_on_random_messages(
    kind: StatementKind, make: Any
) -> None:
    rng = random.Random(f"tanji/{kind.record_type}")
    for i in range(60):
        chain_id = rng.choice([1, 31337, 2**53 - 1])
        contract = "0x" + rng.randbytes(20).hex() if i % 2 else CONTRACT
        data = kind.typed_data(make(rng), chain_id=chain_id, contract=contract)
        expected = reference_digest(data)
        assert typed_data_digest(data) == expected
        normal = kind.validate(data["message"])
        assert kind.digest(normal, chain_id=chain_id, contract=contract) == expected
        assert kind.digest_of_normal(normal, chain_id=chain_id, contract=contract) == expected


def test_type_string_type_hash_and_separator_are_the_definitions() -> None:
    encoded = "Attestation(" + ",".join(f"{m['type']} {m['name']}" for m in ATTESTATION_STRUCT)
    assert ATTESTATION.eip712_struct.encode_type == encoded + ")"
    assert ATTESTATION.eip712_struct.type_hash == keccak((encoded + ")").encode())
    # Compiled once per definition: the same object however often it is asked for.
    assert struct_type("Attestation", {"Attestation": list(ATTESTATION_STRUCT)}) is (
        ATTESTATION.eip712_struct
    )
    assert DOMAIN_TYPE.encode_type == (
        "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
    )
    message = withdrawal(random.Random("tanji/separator"))
    data = typed_data(
        "Withdrawal", WITHDRAWAL.struct, message, chain_id=5, contract=CONTRACT.lower()
    )
    assert domain_separator(5, CONTRACT.lower()) == bytes(
        encode_typed_data(full_message=data).header
    )
    assert data["domain"] == domain(chain_id=5, contract=CONTRACT)


# --- any typed data: nested structs and arrays ----------------------------------------------

MAIL_TYPES: dict[str, list[dict[str, str]]] = {
    "EIP712Domain": list(EIP712_DOMAIN_TYPE),
    "Mail": [
        {"name": "from", "type": "Person"},
        {"name": "to", "type": "Person[]"},
        {"name": "contents", "type": "string"},
        {"name": "attachments", "type": "bytes[2]"},
        {"name": "grid", "type": "int24[][3]"},
        {"name": "flags", "type": "bool[]"},
        {"name": "tag", "type": "bytes4"},
        {"name": "amount", "type": "uint256"},
        {"name": "delta", "type": "int256"},
        {"name": "small", "type": "uint8"},
        {"name": "id", "type": "bytes32"},
    ],
    "Person": [
        {"name": "name", "type": "string"},
        {"name": "wallets", "type": "address[]"},
        {"name": "boss", "type": "Person[]"},  # a struct referring to itself through an array
        {"name": "badge", "type": "Badge"},
    ],
    "Badge": [{"name": "level", "type": "int8"}, {"name": "seal", "type": "bytes1"}],
}


def person(rng: random.Random, depth: int = 0) -> dict[str, Any]:
    return {
        "name": text(rng, empty=True),
        "wallets": [Account.create().address for _ in range(rng.randint(0, 3))],
        "boss": [person(rng, depth + 1)] if depth < 2 and rng.random() < 0.5 else [],
        "badge": {"level": rng.randint(-128, 127), "seal": "0x" + rng.randbytes(1).hex()},
    }


def mail(rng: random.Random) -> dict[str, Any]:
    return {
        "from": person(rng),
        "to": [person(rng) for _ in range(rng.randint(0, 3))],
        "contents": text(rng, empty=True),
        "attachments": ["0x" + rng.randbytes(rng.randint(0, 70)).hex() for _ in range(2)],
        "grid": [
            [rng.randint(-(2**23), 2**23 - 1) for _ in range(rng.randint(0, 3))] for _ in range(3)
        ],
        "flags": [rng.random() < 0.5 for _ in range(rng.randint(0, 4))],
        "tag": "0x" + rng.randbytes(4).hex(),
        "amount": rng.choice([0, 1, 2**256 - 1, rng.randint(0, 2**256 - 1)]),
        "delta": rng.choice([-(2**255), -1, 0, 2**255 - 1, rng.randint(-(2**255), 2**255)]),
        "small": rng.randint(0, 255),
        "id": hex32(rng),
    }


def test_nested_structs_and_arrays_equal_eth_account() -> None:
    rng = random.Random("tanji/mail")
    assert encode_type("Mail", MAIL_TYPES) == (
        "Mail(Person from,Person[] to,string contents,bytes[2] attachments,int24[][3] grid,"
        "bool[] flags,bytes4 tag,uint256 amount,int256 delta,uint8 small,bytes32 id)"
        "Badge(int8 level,bytes1 seal)"
        "Person(string name,address[] wallets,Person[] boss,Badge badge)"
    )
    for _ in range(80):
        data = {
            "types": MAIL_TYPES,
            "primaryType": "Mail",
            "domain": domain(chain_id=rng.randint(1, 2**53 - 1), contract=CONTRACT),
            "message": mail(rng),
        }
        assert typed_data_digest(data) == reference_digest(data)


def test_an_implied_domain_type_is_the_wallets_one() -> None:
    data = {
        "types": {"T": [{"name": "a", "type": "uint8"}]},
        "primaryType": "T",
        "domain": {"name": "Tanji", "chainId": 7},
        "message": {"a": 3},
    }
    assert typed_data_digest(data) == reference_digest(data)


@pytest.mark.parametrize(
    ("type_", "value"),
    [
        ("uint8", 256),
        ("uint8", -1),
        ("uint64", True),
        ("int8", 128),
        ("int8", "1"),
        ("bool", 1),
        ("address", "0x" + "ab" * 19),
        ("address", "0x" + "ab " * 19 + "ab"),
        ("bytes32", "ab" * 32),
        ("bytes4", "0x" + "ab" * 5),
        ("bytes", "not hex"),
        ("string", b"bytes"),
        ("string[]", "abc"),
        ("uint8[2]", [1]),
        ("Inner", [1]),
    ],
)
def test_a_value_its_type_cannot_hold_is_a_coded_error(type_: str, value: object) -> None:
    data = {
        "types": {
            "T": [{"name": "a", "type": type_}],
            "Inner": [{"name": "b", "type": "uint8"}],
        },
        "primaryType": "T",
        "domain": {"name": "Tanji"},
        "message": {"a": value},
    }
    with pytest.raises(AttestationError) as err:
        typed_data_digest(data)
    assert (err.value.code, err.value.field) == ("bad_typed_data", "typedData")


@pytest.mark.parametrize("type_", ["uint7", "uint264", "bytes33", "bytes0", "Missing", "int[x]"])
def test_an_unknown_type_is_a_coded_error(type_: str) -> None:
    data = {
        "types": {"T": [{"name": "a", "type": type_}]},
        "primaryType": "T",
        "domain": {"name": "Tanji"},
        "message": {"a": 1},
    }
    with pytest.raises(AttestationError) as err:
        typed_data_digest(data)
    assert (err.value.code, err.value.field) == ("bad_typed_data", "types")


def test_intake_digest_needs_no_second_validation() -> None:
    rng = random.Random("tanji/intake")
    message = validate_attestation(attestation(rng))
    digest = ATTESTATION.digest_of_normal(message, chain_id=31337, contract=CONTRACT)
    assert digest == ATTESTATION.digest(message, chain_id=31337, contract=CONTRACT)


def test_a_message_deeper_than_the_stack_is_a_coded_error() -> None:
    message: dict[str, Any] = {"next": []}
    for _ in range(100_000):
        message = {"next": [message]}
    data = {
        "types": {"Node": [{"name": "next", "type": "Node[]"}]},
        "primaryType": "Node",
        "domain": {"name": "Tanji"},
        "message": message,
    }
    with pytest.raises(AttestationError) as err:
        typed_data_digest(data)
    assert err.value.code == "bad_typed_data"
