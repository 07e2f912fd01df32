"""Organisations and API keys."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, col, func, select

from registry.errors import AuthenticationError, NotFoundError
from registry.ids import new_record_id
from registry.models.orgs import ApiKey, Organisation, OrgRole
from registry.security import generate_api_key, key_id_of, key_matches


def create_org(
    session: Session, *, name: str, role: OrgRole, address: str | None = None
) -> tuple[Organisation, str]:
    """Create an organisation with one API key; commits. Returns the org and the plaintext key."""
    org = Organisation(id=new_record_id("org"), name=name, role=role, address=address)
    session.add(org)
    session.flush()  # the key row references it; the unit of work does not order by FK alone
    key = generate_api_key()
    session.add(ApiKey(org_id=org.id, key_id=key.key_id, key_hash=key.key_hash))
    session.commit()
    session.refresh(org)
    return org, key.plaintext


def add_api_key(session: Session, *, org_id: str) -> str:
    """Issue another API key for an organisation; commits. Returns the plaintext key."""
    if session.get(Organisation, org_id) is None:
        raise NotFoundError(f"organisation {org_id} does not exist", field="org_id")
    key = generate_api_key()
    session.add(ApiKey(org_id=org_id, key_id=key.key_id, key_hash=key.key_hash))
    session.commit()
    return key.plaintext


def org_for_key(session: Session, *, plaintext: str) -> Organisation:
    """The organisation owning an API key; raises :class:`AuthenticationError` otherwise."""
    key_id = key_id_of(plaintext)
    row = session.exec(select(ApiKey).where(ApiKey.key_id == key_id)).first()
    if row is None or row.revoked_at is not None or not key_matches(plaintext, row.key_hash):
        raise AuthenticationError("the API key is not known or was revoked", code="invalid_api_key")
    org = session.get(Organisation, row.org_id)
    if org is None:  # the FK makes this unreachable short of manual edits
        raise AuthenticationError("the API key's organisation is gone", code="invalid_api_key")
    return org


def revoke_api_keys(session: Session, *, org_id: str) -> int:
    """Revoke every key of an organisation; commits. Returns how many were revoked."""
    rows = session.exec(
        select(ApiKey).where(ApiKey.org_id == org_id, col(ApiKey.revoked_at).is_(None))
    ).all()
    for row in rows:
        row.revoked_at = datetime.now(UTC)
        session.add(row)
    session.commit()
    return len(rows)


def list_orgs(
    session: Session, *, offset: int = 0, limit: int = 100
) -> tuple[list[Organisation], int]:
    """A page of organisations (oldest first) and the total count."""
    count = session.exec(select(func.count()).select_from(Organisation)).one()
    rows = session.exec(
        select(Organisation).order_by(col(Organisation.created_at)).offset(offset).limit(limit)
    ).all()
    return list(rows), int(count)


def get_org(session: Session, *, org_id: str) -> Organisation:
    """An organisation by id; raises :class:`NotFoundError`."""
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFoundError(f"organisation {org_id} does not exist", field="org_id")
    return org
