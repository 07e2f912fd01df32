"""An organisation's own API keys: list them, issue one, rotate one, revoke one.

Keys are stored as hashes (:mod:`registry.security`); the plaintext is returned once, when the
key is made. An organisation keeps at least one active key (revoking its last one would lock it
out: an admin can still revoke them all, ``/api/v1/orgs/{id}/keys/revoke``) and at most
:data:`MAX_ACTIVE_KEYS`. Every change is audited.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

from sqlmodel import Session, col, func, select

from registry.audit import record_audit
from registry.errors import ConflictError, NotFoundError
from registry.models.orgs import ApiKey
from registry.security import NewApiKey, generate_api_key

MAX_ACTIVE_KEYS: Final = 20
SUBJECT: Final = "api_key"


def api_key_snapshot(row: ApiKey) -> dict[str, str | None]:
    return {
        "org_id": row.org_id,
        "key_id": row.key_id,
        "created_at": row.created_at.isoformat(),
        "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None,
    }


def list_api_keys(session: Session, *, org_id: str) -> list[ApiKey]:
    """Every key of ``org_id``, newest first (revoked ones included)."""
    rows = session.exec(
        select(ApiKey)
        .where(ApiKey.org_id == org_id)
        .order_by(col(ApiKey.created_at).desc(), col(ApiKey.id).desc())
    ).all()
    return list(rows)


def _active_count(session: Session, org_id: str) -> int:
    count = session.exec(
        select(func.count())
        .select_from(ApiKey)
        .where(ApiKey.org_id == org_id, col(ApiKey.revoked_at).is_(None))
    ).one()
    return int(count)


def _own_key(session: Session, org_id: str, key_id: str) -> ApiKey:
    row = session.exec(select(ApiKey).where(ApiKey.key_id == key_id)).first()
    if row is None or row.org_id != org_id:  # another org's key reads as absent
        raise NotFoundError(f"your organisation has no API key {key_id}", field="key_id")
    return row


def issue_key_row(session: Session, org_id: str) -> tuple[ApiKey, NewApiKey]:
    """Add a new key of ``org_id`` and its audit entry (no commit); returns row and key."""
    key = generate_api_key()
    row = ApiKey(org_id=org_id, key_id=key.key_id, key_hash=key.key_hash)
    session.add(row)
    session.flush()
    record_audit(
        session,
        action="api_key.issue",
        subject_type=SUBJECT,
        subject_id=key.key_id,
        after=api_key_snapshot(row),
    )
    return row, key


def issue_api_key(session: Session, *, org_id: str) -> tuple[ApiKey, str]:
    """Issue another key for ``org_id``; commits. Returns the row and the plaintext."""
    if _active_count(session, org_id) >= MAX_ACTIVE_KEYS:
        raise ConflictError(
            f"an organisation may hold at most {MAX_ACTIVE_KEYS} active API keys; revoke one",
            code="too_many_keys",
        )
    row, key = issue_key_row(session, org_id)
    session.commit()
    session.refresh(row)
    return row, key.plaintext


def revoke_key_row(session: Session, row: ApiKey) -> None:
    """Revoke ``row`` now and audit it (no commit)."""
    before = api_key_snapshot(row)
    row.revoked_at = datetime.now(UTC)
    session.add(row)
    record_audit(
        session,
        action="api_key.revoke",
        subject_type=SUBJECT,
        subject_id=row.key_id,
        before=before,
        after=api_key_snapshot(row),
    )


def revoke_api_key(session: Session, *, org_id: str, key_id: str) -> ApiKey:
    """Revoke one key of ``org_id`` (idempotent); commits.

    Raises :class:`ConflictError` (``last_active_key``) for the organisation's only active key.
    """
    row = _own_key(session, org_id, key_id)
    if row.revoked_at is not None:
        return row
    if _active_count(session, org_id) <= 1:
        raise ConflictError(
            "this is your organisation's last active API key: issue another one first",
            code="last_active_key",
            field="key_id",
        )
    revoke_key_row(session, row)
    session.commit()
    session.refresh(row)
    return row


def rotate_api_key(session: Session, *, org_id: str, key_id: str) -> tuple[ApiKey, str]:
    """Replace an active key of ``org_id`` by a new one in one transaction; commits."""
    row = _own_key(session, org_id, key_id)
    if row.revoked_at is not None:
        raise ConflictError(f"API key {key_id} is already revoked", code="key_revoked")
    new_row, key = issue_key_row(session, org_id)
    revoke_key_row(session, row)
    session.commit()
    session.refresh(new_row)
    return new_row, key.plaintext
