"""Organisations and API keys."""

from __future__ import annotations

from sqlmodel import Session, col, func, select

from registry.audit import record_audit
from registry.city.districts import read_district
from registry.crud.api_keys import issue_key_row, revoke_key_row
from registry.errors import AuthenticationError, NotFoundError
from registry.ids import new_record_id
from registry.models.orgs import ApiKey, Organisation, OrgRole
from registry.plaintext import check_text
from registry.security import key_id_of, key_matches


def create_org(
    session: Session,
    *,
    name: str,
    role: OrgRole,
    address: str | None = None,
    district: str | None = None,
) -> tuple[Organisation, str]:
    """Create an organisation with one API key; commits. Returns the org and the plaintext key.

    ``district``: the Chongqing district it is registered in (:mod:`registry.city.districts`).
    """
    check_text(name, field="name")
    if address is not None:
        check_text(address, field="address")
    district = read_district(district)
    org = Organisation(
        id=new_record_id("org"), name=name, role=role, address=address, district=district
    )
    session.add(org)
    session.flush()  # the key row references it; the unit of work does not order by FK alone
    record_audit(
        session,
        action="org.create",
        subject_type="organisation",
        subject_id=org.id,
        after=org_snapshot(org),
    )
    plaintext = _new_key(session, org.id)
    session.commit()
    session.refresh(org)
    return org, plaintext


def org_snapshot(org: Organisation) -> dict[str, str | None]:
    """An organisation as its audit entries commit to it."""
    snapshot = {"id": org.id, "name": org.name, "role": org.role.value, "address": org.address}
    if org.district is not None:  # entries written before districts keep their shape
        snapshot["district"] = org.district
    return snapshot


def set_district(session: Session, *, org_id: str, district: str | None) -> Organisation:
    """Register organisation ``org_id`` in ``district`` (``None``: in none); audited, no commit.

    Raises :class:`InvalidInputError` (``unknown_district``) for an id not in
    ``registry/data/districts.json`` and :class:`NotFoundError` for an unknown organisation.
    """
    district = read_district(district)
    org = get_org(session, org_id=org_id)
    if org.district == district:
        return org
    before = {"id": org.id, "district": org.district}
    org.district = district
    session.add(org)
    session.flush()
    record_audit(
        session,
        action="org.district",
        subject_type="organisation",
        subject_id=org.id,
        before=before,
        after={"id": org.id, "district": district},
    )
    return org


def _new_key(session: Session, org_id: str) -> str:
    """Add a new API key of ``org_id`` and its audit entry; returns the plaintext."""
    return issue_key_row(session, org_id)[1].plaintext


def add_api_key(session: Session, *, org_id: str) -> str:
    """Issue another API key for an organisation; commits. Returns the plaintext key."""
    if session.get(Organisation, org_id) is None:
        raise NotFoundError(f"organisation {org_id} does not exist", field="org_id")
    plaintext = _new_key(session, org_id)
    session.commit()
    return plaintext


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
        revoke_key_row(session, row)
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
