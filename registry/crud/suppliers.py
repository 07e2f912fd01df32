"""Signing keys (suppliers' and partner certifiers'): register with proof of possession, rotate,
revoke, look up.

Proof of possession: the key signs, with EIP-191 ``personal_sign`` (what every wallet offers),
a registration message naming the registry and the organisation. Naming the organisation means a
signature captured from one registration cannot register the key to another organisation; an
address is registered once, ever, so a replayed registration cannot revive a revoked key.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from anchoring import ledger
from anchoring.errors import LedgerError
from registry.audit import record_audit
from registry.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    RegistryError,
)
from registry.models.common import utcnow
from registry.models.orgs import Organisation
from registry.models.suppliers import (
    KeyRegistration,
    KeyRevocation,
    KeyRotation,
    SupplierKey,
    SupplierKeyPublic,
)
from verifier.errors import AttestationError
from verifier.protocol.eip712 import read_address
from verifier.protocol.hashing import keccak
from verifier.protocol.signature import recover_address, signature_bytes

#: The audit log's subject type of a signing key (its id is the address).
KEY_SUBJECT = "supplier_key"


def registration_message(*, base_url: str, org_id: str, address: str) -> str:
    """The text a key signs with ``personal_sign`` to be registered to ``org_id``."""
    return (
        "Tanji supplier key registration\n"
        f"registry: {base_url}\n"
        f"organisation: {org_id}\n"
        f"address: {address}"
    )


def personal_sign_hash(message: str) -> bytes:
    """The EIP-191 version 0x45 hash ``personal_sign`` signs."""
    data = message.encode()
    return keccak(b"\x19Ethereum Signed Message:\n" + str(len(data)).encode() + data)


def normal_address(value: str, field: str) -> str:
    """An address in EIP-55 form, or an :class:`InvalidInputError` with the verifier's code."""
    try:
        return read_address(value, field)
    except AttestationError as exc:
        raise InvalidInputError(str(exc), code=exc.code or "bad_address", field=field) from None


def _aware(value: datetime | None, default: datetime) -> datetime:
    if value is None:
        return default
    if value.tzinfo is None:
        raise InvalidInputError(
            "times must carry a UTC offset (e.g. 2026-01-01T00:00:00Z)", code="naive_datetime"
        )
    return value


def _check_possession(body: KeyRegistration, *, base_url: str, org_id: str, field: str) -> str:
    address = normal_address(body.address, f"{field}address")
    try:
        raw = signature_bytes(body.signature, f"{field}signature")
        signer = recover_address(
            personal_sign_hash(
                registration_message(base_url=base_url, org_id=org_id, address=address)
            ),
            raw,
        )
    except AttestationError as exc:
        raise InvalidInputError(
            str(exc), code=exc.code or "bad_signature", field=f"{field}signature"
        ) from None
    if signer != address:
        raise InvalidInputError(
            f"the signature was made by {signer}, not by {address}: sign the registration "
            "message with the key being registered",
            code="bad_proof_of_possession",
            field=f"{field}signature",
        )
    return address


def _new_key(
    session: Session, *, org: Organisation, body: KeyRegistration, base_url: str, field: str = ""
) -> SupplierKey:
    address = _check_possession(body, base_url=base_url, org_id=org.id, field=field)
    existing = session.exec(select(SupplierKey).where(SupplierKey.address == address)).first()
    if existing is not None:
        raise ConflictError(
            f"{address} is already registered"
            + (" to this organisation" if existing.org_id == org.id else ""),
            code="key_already_registered",
            field=f"{field}address",
        )
    key = SupplierKey(
        org_id=org.id,
        address=address,
        label=body.label,
        valid_from=_aware(body.valid_from, utcnow()),
    )
    session.add(key)
    record_audit(
        session,
        action="supplier_key.register",
        subject_type=KEY_SUBJECT,
        subject_id=address,
        after=audit_snapshot(key),
    )
    return key


def audit_snapshot(key: SupplierKey) -> dict[str, Any]:
    """A signing key's state as its audit entries commit to it."""
    return {
        "address": key.address,
        "org_id": key.org_id,
        "label": key.label,
        "valid_from": key.valid_from.isoformat(),
        "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
        "revocation_reason": key.revocation_reason,
        "replaced_by": key.replaced_by,
    }


def register_key(
    session: Session, *, org: Organisation, body: KeyRegistration, base_url: str
) -> SupplierKey:
    """Register a signing key of ``org`` after checking its proof of possession (no commit)."""
    key = _new_key(session, org=org, body=body, base_url=base_url)
    session.flush()
    return key


def own_key(session: Session, *, org: Organisation, address: str) -> SupplierKey:
    """One of ``org``'s keys; :class:`NotFoundError` / :class:`PermissionDeniedError` otherwise."""
    normal = normal_address(address, "address")
    key = session.exec(select(SupplierKey).where(SupplierKey.address == normal)).first()
    if key is None:
        raise NotFoundError(f"key {normal} is not registered", field="address")
    if key.org_id != org.id:
        raise PermissionDeniedError(
            f"key {normal} belongs to another organisation", code="forbidden_org", field="address"
        )
    return key


def rotate_key(
    session: Session, *, org: Organisation, address: str, body: KeyRotation, base_url: str
) -> SupplierKey:
    """Replace a key: the old one stops and the new one starts at ``effective_at`` (no commit)."""
    old = own_key(session, org=org, address=address)
    if old.revoked_at is not None:
        raise ConflictError(
            f"key {old.address} was already revoked", code="already_revoked", field="address"
        )
    effective = _aware(body.effective_at, utcnow())
    new_body = body.new_key.model_copy(update={"valid_from": effective})
    before = audit_snapshot(old)
    new = _new_key(session, org=org, body=new_body, base_url=base_url, field="new_key.")
    old.revoked_at = effective
    old.revocation_reason = "rotated"
    old.replaced_by = new.address
    session.add(old)
    record_audit(
        session,
        action="supplier_key.rotate",
        subject_type=KEY_SUBJECT,
        subject_id=old.address,
        before=before,
        after=audit_snapshot(old),
    )
    session.flush()
    return new


def revoke_key(
    session: Session, *, org: Organisation, address: str, body: KeyRevocation
) -> SupplierKey:
    """Revoke a key from ``effective_at`` on (no commit): the key alone.

    A key may be revoked again with an *earlier* time (a rotated key found compromised).
    :func:`registry.crud.key_revocation.revoke_key` also withdraws what the registry accepted
    with the key since; routes call that.
    """
    key = own_key(session, org=org, address=address)
    effective = _aware(body.effective_at, utcnow())
    if key.revoked_at is not None and key.revoked_at <= effective:
        raise ConflictError(
            f"key {key.address} is already revoked from {key.revoked_at.isoformat()}",
            code="already_revoked",
            field="address",
        )
    before = audit_snapshot(key)
    key.revoked_at = effective
    key.revocation_reason = body.reason
    session.add(key)
    record_audit(
        session,
        action="supplier_key.revoke",
        subject_type=KEY_SUBJECT,
        subject_id=key.address,
        before=before,
        after=audit_snapshot(key),
    )
    session.flush()
    return key


def revoke_leaf_once_anchored(
    session: Session, *, record_type: str, record_id: str, reason: int
) -> bool:
    """Queue the on-chain revocation of a record's leaf if it is anchored (no commit).

    False when it is not anchored yet: the revocation sweep (:mod:`registry.records.sweeps`,
    run by the anchoring loop and ``tanji anchor``) queues it once it is, so a record withdrawn
    while it waited for its batch is revoked on chain all the same.
    """
    try:
        ledger.request_revocation(
            session, record_type=record_type, record_id=record_id, reason=reason
        )
    except LedgerError as exc:
        if exc.code != "not_anchored":
            raise
        return False
    return True


def is_active(key: SupplierKey, at: datetime) -> bool:
    """Whether ``key`` is in force at ``at``: ``valid_from <= at < revoked_at``."""
    return key.valid_from <= at and (key.revoked_at is None or at < key.revoked_at)


def not_in_force(key: SupplierKey, *, at: datetime, field: str) -> RegistryError | None:
    """Why a statement signed by ``key`` and taken in at ``at`` is refused; None if in force.

    ``revoked_key`` (409: state, the key was stopped) or ``key_not_yet_valid`` (422). Every
    intake of signed statements (attestations, recognitions, withdrawals) asks this, so a
    rotated or revoked key is refused with the same codes wherever it signs.
    """
    if is_active(key, at):
        return None
    if key.revoked_at is not None and key.revoked_at <= at:
        return ConflictError(
            f"key {key.address} was revoked ({key.revocation_reason}) from "
            f"{key.revoked_at.isoformat()}",
            code="revoked_key",
            field=field,
        )
    return InvalidInputError(
        f"key {key.address} is valid only from {key.valid_from.isoformat()}",
        code="key_not_yet_valid",
        field=field,
    )


def list_keys(session: Session, *, org: Organisation) -> list[SupplierKey]:
    """``org``'s keys, oldest first."""
    return list(
        session.exec(
            select(SupplierKey)
            .where(SupplierKey.org_id == org.id)
            .order_by(col(SupplierKey.created_at), col(SupplierKey.id))
        ).all()
    )


def to_public(key: SupplierKey, *, now: datetime | None = None) -> SupplierKeyPublic:
    """The API view of a key."""
    return SupplierKeyPublic(
        address=key.address,
        org_id=key.org_id,
        label=key.label,
        valid_from=key.valid_from,
        revoked_at=key.revoked_at,
        revocation_reason=key.revocation_reason,
        replaced_by=key.replaced_by,
        active=is_active(key, now or utcnow()),
        created_at=key.created_at,
    )
