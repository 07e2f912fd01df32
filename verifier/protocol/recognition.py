"""Mutual recognition: a certification body's EIP-712 statement recognising a label or scheme.

Signed structs (docs/ATTESTATIONS.md)::

    Recognition(address recognizer, string scheme, string subjectType, bytes32 subject,
                string category, string scope, uint64 validFrom, uint64 validUntil, bytes32 nonce)
    Withdrawal(address recognizer, bytes32 recognition, uint16 reason, uint64 time)

- ``subjectType`` ``"label"``: ``subject`` is the recognised label's Merkle leaf hash (the leaf
  anchored on chain, ``verifier.protocol.merkle.leaf_hash``), so the recognition points at exactly
  one anchored label. ``"scheme"``: ``subject`` is :func:`scheme_subject` of the recognised
  certification body's scheme id and category, recognising every label issued under it.
- ``category`` ``""`` means every category of the scheme.
- ``validUntil`` ``0`` means "until withdrawn" (as EAS's ``expirationTime``); otherwise it must be
  after ``validFrom``.
- A ``Withdrawal`` names the recognition by its EIP-712 digest (its record id) and must be signed
  by the same recognizer; ``reason`` is a non-zero code from :data:`WITHDRAWAL_REASONS`.
"""

from collections.abc import Mapping
from typing import Any, Final

from eth_abi import encode as abi_encode

from verifier.errors import AttestationError
from verifier.protocol import records
from verifier.protocol.eip712 import (
    StatementKind,
    check_members,
    read_address,
    read_bytes32,
    read_choice,
    read_text,
    read_uint,
)
from verifier.protocol.hashing import keccak
from verifier.protocol.reasons import WITHDRAWAL_REASONS as WITHDRAWAL_REASONS
from verifier.protocol.scheme import MAX_SCHEME as MAX_SCHEME

RECORD_TYPE: Final = records.RECOGNITION
WITHDRAWAL_RECORD_TYPE: Final = records.WITHDRAWAL
RECOGNITION_STRUCT: Final[tuple[dict[str, str], ...]] = (
    {"name": "recognizer", "type": "address"},
    {"name": "scheme", "type": "string"},
    {"name": "subjectType", "type": "string"},
    {"name": "subject", "type": "bytes32"},
    {"name": "category", "type": "string"},
    {"name": "scope", "type": "string"},
    {"name": "validFrom", "type": "uint64"},
    {"name": "validUntil", "type": "uint64"},
    {"name": "nonce", "type": "bytes32"},
)
WITHDRAWAL_STRUCT: Final[tuple[dict[str, str], ...]] = (
    {"name": "recognizer", "type": "address"},
    {"name": "recognition", "type": "bytes32"},
    {"name": "reason", "type": "uint16"},
    {"name": "time", "type": "uint64"},
)
SUBJECT_TYPES: Final = ("label", "scheme")
MAX_SCOPE: Final = 1024


def scheme_subject(scheme_id: str, category: str = "") -> str:
    """``keccak256(abi.encode(string schemeId, string category))`` as 0x-hex: a scheme's subject.

    ABI encoding (not concatenation) keeps ``("AB", "C")`` and ``("A", "BC")`` apart; Solidity can
    compute the same value.
    """
    read_text(scheme_id, "schemeId", max_len=MAX_SCHEME)
    read_text(category, "category", allow_empty=True, max_len=MAX_SCHEME)
    return "0x" + keccak(abi_encode(["string", "string"], [scheme_id, category])).hex()


def validate_recognition(message: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a ``Recognition`` message; return its normal form (or a coded AttestationError)."""
    check_members(message, RECOGNITION_STRUCT)
    m = message
    normal: dict[str, Any] = {
        "recognizer": read_address(m["recognizer"], "message.recognizer"),
        "scheme": read_text(m["scheme"], "message.scheme", max_len=MAX_SCHEME),
        "subjectType": read_choice(m["subjectType"], "message.subjectType", SUBJECT_TYPES),
        "subject": read_bytes32(m["subject"], "message.subject"),
        "category": read_text(
            m["category"], "message.category", allow_empty=True, max_len=MAX_SCHEME
        ),
        "scope": read_text(m["scope"], "message.scope", max_len=MAX_SCOPE),
        "validFrom": read_uint(m["validFrom"], "message.validFrom"),
        "validUntil": read_uint(m["validUntil"], "message.validUntil"),
        "nonce": read_bytes32(m["nonce"], "message.nonce"),
    }
    if normal["subject"] == "0x" + "00" * 32:
        raise AttestationError("subject must not be zero", code="empty", field="message.subject")
    if normal["validUntil"] != 0 and normal["validUntil"] <= normal["validFrom"]:
        raise AttestationError(
            "validUntil must be 0 (until withdrawn) or after validFrom",
            code="bad_period",
            field="message.validUntil",
        )
    return normal


def validate_withdrawal(message: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a ``Withdrawal`` message and return its normal form."""
    check_members(message, WITHDRAWAL_STRUCT)
    reason = read_uint(message["reason"], "message.reason", minimum=1, maximum=2**16 - 1)
    if reason not in WITHDRAWAL_REASONS:
        raise AttestationError(
            f"unknown withdrawal reason {reason}", code="bad_enum", field="message.reason"
        )
    return {
        "recognizer": read_address(message["recognizer"], "message.recognizer"),
        "recognition": read_bytes32(message["recognition"], "message.recognition"),
        "reason": reason,
        "time": read_uint(message["time"], "message.time"),
    }


RECOGNITION: Final = StatementKind(
    record_type=RECORD_TYPE,
    primary_type="Recognition",
    struct=RECOGNITION_STRUCT,
    signer_member="recognizer",
    validate=validate_recognition,
)
WITHDRAWAL: Final = StatementKind(
    record_type=WITHDRAWAL_RECORD_TYPE,
    primary_type="Withdrawal",
    struct=WITHDRAWAL_STRUCT,
    signer_member="recognizer",
    validate=validate_withdrawal,
)


def recognition_typed_data(
    message: Mapping[str, Any], *, chain_id: int, contract: str
) -> dict[str, Any]:
    """Full EIP-712 JSON of a recognition."""
    return RECOGNITION.typed_data(message, chain_id=chain_id, contract=contract)


def recognition_digest(message: Mapping[str, Any], *, chain_id: int, contract: str) -> bytes:
    """EIP-712 hash of a recognition; also its record id and what a withdrawal names."""
    return RECOGNITION.digest(message, chain_id=chain_id, contract=contract)


def recover_recognizer(typed_data: Any, signature: bytes | str) -> str:
    """The address that signed a recognition's typed data (strictly checked first)."""
    return RECOGNITION.recover(typed_data, signature)


def withdrawal_typed_data(
    message: Mapping[str, Any], *, chain_id: int, contract: str
) -> dict[str, Any]:
    """Full EIP-712 JSON of a withdrawal."""
    return WITHDRAWAL.typed_data(message, chain_id=chain_id, contract=contract)


def withdrawal_digest(message: Mapping[str, Any], *, chain_id: int, contract: str) -> bytes:
    """EIP-712 hash of a withdrawal."""
    return WITHDRAWAL.digest(message, chain_id=chain_id, contract=contract)


def check_withdrawal_matches(recognition: Mapping[str, Any], withdrawal: Mapping[str, Any]) -> None:
    """Require a withdrawal *record* to withdraw this recognition *record*, by the same recognizer.

    Both records must already have passed ``verify_record`` (their signatures hold).
    """
    if withdrawal["message"]["recognition"] != str(recognition["id"]).lower():
        raise AttestationError(
            "withdrawal names another recognition",
            code="wrong_recognition",
            field="message.recognition",
        )
    if withdrawal["signer"] != recognition["signer"]:
        raise AttestationError(
            "only the recognizer may withdraw its recognition",
            code="signer_mismatch",
            field="message.recognizer",
        )
    if (withdrawal["chainId"], withdrawal["verifyingContract"]) != (
        recognition["chainId"],
        recognition["verifyingContract"],
    ):
        raise AttestationError(
            "withdrawal is for another deployment", code="wrong_domain", field="domain"
        )


def recognition_in_force(
    message: Mapping[str, Any], at: int, *, withdrawn_at: int | None = None
) -> bool:
    """Whether a validated recognition holds at unix time ``at``.

    In force from ``validFrom`` (inclusive) to ``validUntil`` (exclusive; 0 = open) and before any
    withdrawal's ``time``.
    """
    if at < message["validFrom"]:
        return False
    if message["validUntil"] and at >= message["validUntil"]:
        return False
    return withdrawn_at is None or at < withdrawn_at
