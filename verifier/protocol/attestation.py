"""Supplier attestations: a supplier's EIP-712 signature over one component footprint.

The signed struct (docs/ATTESTATIONS.md has the reasons for each choice)::

    Attestation(address supplier, string componentId, string productId, string declaredUnit,
                string kgCo2ePerUnit, string systemBoundary, uint64 periodStart, uint64 periodEnd,
                bytes32[] upstream, bytes32 nonce, uint64 expiry)

- No supplier *name* is signed: names are unsigned, redactable record annotations
  (``supplierName``); the address is the identity the signature proves.
- ``kgCo2ePerUnit`` is a canonical decimal string: EIP-712 has no decimal type, a float is
  not exact across languages, and an integer in fixed milli-units would fix the precision forever
  and show a wallet user a number that is not the one they mean.
- ``upstream`` holds the EIP-712 digests (= record ids) of the supplier's own upstream attestations,
  sorted ascending: a digest is known the moment the upstream statement is signed and needs no
  salt or registry to recompute, unlike a Merkle leaf.
- ``nonce`` is 32 random bytes, not a counter: suppliers sign offline, with no sequence to keep.
- ``expiry`` bounds when a registry may still *accept* the signature (like an EIP-2612 deadline);
  once anchored, an attestation does not expire.
"""

from collections.abc import Mapping
from typing import Any, Final, TypedDict

from verifier.errors import AttestationError
from verifier.protocol import records
from verifier.protocol.eip712 import (
    MAX_TEXT,
    StatementKind,
    check_members,
    read_address,
    read_bytes32,
    read_bytes32_list,
    read_choice,
    read_decimal,
    read_text,
    read_uint,
)

RECORD_TYPE: Final = records.ATTESTATION
PRIMARY_TYPE: Final = "Attestation"
ATTESTATION_STRUCT: Final[tuple[dict[str, str], ...]] = (
    {"name": "supplier", "type": "address"},
    {"name": "componentId", "type": "string"},
    {"name": "productId", "type": "string"},
    {"name": "declaredUnit", "type": "string"},
    {"name": "kgCo2ePerUnit", "type": "string"},
    {"name": "systemBoundary", "type": "string"},
    {"name": "periodStart", "type": "uint64"},
    {"name": "periodEnd", "type": "uint64"},
    {"name": "upstream", "type": "bytes32[]"},
    {"name": "nonce", "type": "bytes32"},
    {"name": "expiry", "type": "uint64"},
)
SYSTEM_BOUNDARIES: Final = ("cradle-to-gate", "cradle-to-grave", "gate-to-gate")
MAX_UPSTREAM: Final = 64
MAX_UNIT: Final = 32


class AttestationMessage(TypedDict):
    """A validated ``Attestation`` message (address checksummed, hex lower-case)."""

    supplier: str
    componentId: str
    productId: str
    declaredUnit: str
    kgCo2ePerUnit: str
    systemBoundary: str
    periodStart: int
    periodEnd: int
    upstream: list[str]
    nonce: str
    expiry: int


def validate_attestation(message: Mapping[str, Any], *, now: int | None = None) -> dict[str, Any]:
    """Validate an ``Attestation`` message and return its normal form.

    Raises :class:`~verifier.errors.AttestationError` with a stable ``code`` and the member path
    (``message.kgCo2ePerUnit``). With ``now`` (unix seconds), an expired message is refused with
    ``expired``: registries pass it at intake; verifiers of an anchored record do not.
    """
    check_members(message, ATTESTATION_STRUCT)
    m = message
    normal: AttestationMessage = {
        "supplier": read_address(m["supplier"], "message.supplier"),
        "componentId": read_text(m["componentId"], "message.componentId", max_len=MAX_TEXT),
        "productId": read_text(m["productId"], "message.productId", max_len=MAX_TEXT),
        "declaredUnit": read_text(m["declaredUnit"], "message.declaredUnit", max_len=MAX_UNIT),
        "kgCo2ePerUnit": read_decimal(m["kgCo2ePerUnit"], "message.kgCo2ePerUnit"),
        "systemBoundary": read_choice(
            m["systemBoundary"], "message.systemBoundary", SYSTEM_BOUNDARIES
        ),
        "periodStart": read_uint(m["periodStart"], "message.periodStart"),
        "periodEnd": read_uint(m["periodEnd"], "message.periodEnd"),
        "upstream": read_bytes32_list(m["upstream"], "message.upstream", max_items=MAX_UPSTREAM),
        "nonce": read_bytes32(m["nonce"], "message.nonce"),
        "expiry": read_uint(m["expiry"], "message.expiry", minimum=1),
    }
    if normal["periodEnd"] <= normal["periodStart"]:
        raise AttestationError(
            "periodEnd must be after periodStart", code="bad_period", field="message.periodEnd"
        )
    if now is not None and normal["expiry"] <= now:
        raise AttestationError(
            "the attestation's signature has expired", code="expired", field="message.expiry"
        )
    return dict(normal)


ATTESTATION: Final = StatementKind(
    record_type=RECORD_TYPE,
    primary_type=PRIMARY_TYPE,
    struct=ATTESTATION_STRUCT,
    signer_member="supplier",
    validate=validate_attestation,
)


def attestation_typed_data(
    message: Mapping[str, Any], *, chain_id: int, contract: str
) -> dict[str, Any]:
    """Full EIP-712 JSON of an attestation (what ``GET /api/v1/attestations/eip712`` returns)."""
    return ATTESTATION.typed_data(message, chain_id=chain_id, contract=contract)


def attestation_digest(message: Mapping[str, Any], *, chain_id: int, contract: str) -> bytes:
    """The 32-byte EIP-712 hash a supplier signs; also the attestation record's ``id``."""
    return ATTESTATION.digest(message, chain_id=chain_id, contract=contract)


def recover_signer(typed_data: Any, signature: bytes | str) -> str:
    """The address that signed an attestation's typed data (strictly checked first)."""
    return ATTESTATION.recover(typed_data, signature)


def verify_attestation(typed_data: Any, signature: bytes | str) -> str:
    """Recover the signer and require it to be ``message.supplier`` (``signer_mismatch``)."""
    return ATTESTATION.verify(typed_data, signature)


def attestation_record(
    typed_data: Any, signature: bytes | str, *, supplier_name: str | None = None
) -> dict[str, Any]:
    """The ``attestation`` record of a signed attestation, ready for ``verifier.protocol.leaf``."""
    annotations = {} if supplier_name is None else {"supplierName": supplier_name}
    return ATTESTATION.record(typed_data, signature, annotations=annotations)


def verify_attestation_record(record: Any) -> str:
    """Re-check an ``attestation`` record (digest, signature, signer); return the supplier."""
    return ATTESTATION.verify_record(record)
