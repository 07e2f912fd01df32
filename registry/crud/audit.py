"""Reading the audit log: pages of entries, an organisation's own or all of them."""

from __future__ import annotations

from sqlmodel import Session, col, func, select

from registry.audit import RECORD_TYPE, AuditEntry, record_of
from registry.crud.footprints import anchor_statuses
from registry.models.audit import AuditEntryPublic
from registry.models.orgs import Organisation, OrgRole


def visible_to(org: Organisation) -> str | None:
    """Whose entries ``org`` may read: every entry for an admin (``None``), else its own."""
    return None if org.role == OrgRole.ADMIN else org.id


def list_entries(
    session: Session, *, org_id: str | None, offset: int, limit: int
) -> tuple[list[AuditEntry], int]:
    """A page of entries, newest first: those ``org_id`` made, or all (``None``)."""
    query = select(AuditEntry)
    count_query = select(func.count()).select_from(AuditEntry)
    if org_id is not None:
        query = query.where(AuditEntry.org_id == org_id)
        count_query = count_query.where(AuditEntry.org_id == org_id)
    count = session.exec(count_query).one()
    rows = session.exec(query.order_by(col(AuditEntry.id).desc()).offset(offset).limit(limit))
    return list(rows.all()), int(count)


def to_public(session: Session, rows: list[AuditEntry]) -> list[AuditEntryPublic]:
    """The API view of a page of entries, with their ledger status (one query)."""
    statuses = anchor_statuses(session, record_type=RECORD_TYPE, ids=[str(r.id) for r in rows])
    return [
        AuditEntryPublic(
            id=int(row.id or 0),
            at=row.at,
            org_id=row.org_id,
            key_id=row.key_id,
            via=row.via,
            action=row.action,
            subject_type=row.subject_type,
            subject_id=row.subject_id,
            before_digest=row.before_digest,
            after_digest=row.after_digest,
            prev_digest=row.prev_digest,
            digest=row.digest,
            record=record_of(row),
            salt=row.master_salt,
            anchor_status=statuses.get(str(row.id)),
        )
        for row in rows
    ]
