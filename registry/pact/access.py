"""Who sees which footprints over PACT: the organisation's own, and those shared with it.

A data owner shares with one requesting organisation at a time (:func:`grant`); the grant and its
revocation are audit entries (``pact.grant`` / ``pact.revoke``). A grant covers every footprint
of the owner.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from registry.audit import record_audit
from registry.errors import InvalidInputError, NotFoundError
from registry.models.common import utcnow
from registry.models.footprints import Footprint
from registry.models.orgs import Organisation
from registry.pact.models import PactGrant


def _grant_row(session: Session, owner_id: str, recipient_id: str) -> PactGrant | None:
    query = select(PactGrant).where(
        PactGrant.owner_org_id == owner_id, PactGrant.recipient_org_id == recipient_id
    )
    return session.exec(query).first()


def grant(session: Session, *, owner: Organisation, recipient_id: str) -> PactGrant:
    """Share ``owner``'s footprints with organisation ``recipient_id`` (no commit)."""
    if recipient_id == owner.id:
        raise InvalidInputError("an organisation always sees its own footprints", field="org_id")
    if session.get(Organisation, recipient_id) is None:
        raise NotFoundError(f"no organisation {recipient_id!r}", field="org_id")
    row = _grant_row(session, owner.id, recipient_id)
    if row is not None and row.revoked_at is None:
        return row
    if row is None:
        row = PactGrant(owner_org_id=owner.id, recipient_org_id=recipient_id)
    else:
        row.revoked_at, row.created_at = None, utcnow()
    session.add(row)
    record_audit(
        session,
        action="pact.grant",
        subject_type="organisation",
        subject_id=owner.id,
        after={"owner_org_id": owner.id, "recipient_org_id": recipient_id},
    )
    return row


def revoke(session: Session, *, owner: Organisation, recipient_id: str) -> PactGrant:
    """Stop sharing ``owner``'s footprints with ``recipient_id`` (no commit)."""
    row = _grant_row(session, owner.id, recipient_id)
    if row is None or row.revoked_at is not None:
        raise NotFoundError(
            f"{owner.id} does not share its footprints with {recipient_id!r}", field="org_id"
        )
    row.revoked_at = utcnow()
    session.add(row)
    record_audit(
        session,
        action="pact.revoke",
        subject_type="organisation",
        subject_id=owner.id,
        before={"owner_org_id": owner.id, "recipient_org_id": recipient_id},
        after=None,
    )
    return row


def grants_of(session: Session, *, owner_id: str) -> list[PactGrant]:
    """The owner's active grants, oldest first."""
    query = select(PactGrant).where(
        PactGrant.owner_org_id == owner_id, col(PactGrant.revoked_at).is_(None)
    )
    return list(session.exec(query.order_by(col(PactGrant.created_at))))


def visible_owner_ids(session: Session, *, org_id: str) -> list[str]:
    """The organisations whose footprints ``org_id`` sees: itself, then its granters."""
    query = select(PactGrant.owner_org_id).where(
        PactGrant.recipient_org_id == org_id, col(PactGrant.revoked_at).is_(None)
    )
    return [org_id, *sorted(set(session.exec(query)))]


def visible_footprints(session: Session, *, org_id: str) -> list[Footprint]:
    """Every footprint ``org_id`` may read over PACT, oldest first."""
    owners = visible_owner_ids(session, org_id=org_id)
    query = select(Footprint).where(col(Footprint.org_id).in_(owners))
    return list(session.exec(query.order_by(col(Footprint.created_at), col(Footprint.id))))


def may_read(session: Session, *, org_id: str, footprint: Footprint) -> bool:
    """True when ``org_id`` may read ``footprint`` over PACT."""
    return footprint.org_id in visible_owner_ids(session, org_id=org_id)
