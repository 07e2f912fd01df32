"""Supplier invitations: a customer asks a supplier for a signed attestation of a component.

The supplier is another enterprise (404 ``not_found`` for no such organisation, 422
``not_a_supplier`` for the customer itself or an organisation of another role). Inviting again for
the same supplier and component while an invitation is open changes nothing. The answer is read
from the attestations (:func:`answers`): the supplier's newest attestation of the component that
reached the customer. Every change is audited; functions flush, never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from sqlmodel import Session, col, select

from registry.audit import record_audit
from registry.errors import InvalidInputError, NotFoundError
from registry.models.attestations import Attestation
from registry.models.common import utcnow
from registry.models.orgs import Organisation, OrgRole
from registry.models.supplier_invitations import (
    CANCELLED,
    OPEN,
    InvitationAnswer,
    SupplierInvitation,
    SupplierInvitationPublic,
)
from registry.plaintext import check_text

__all__ = [
    "SUBJECT",
    "answers",
    "cancel_invitation",
    "invitations_of",
    "invitations_to",
    "invite_supplier",
    "to_public",
]

SUBJECT: Final = "supplier_invitation"
COMPONENT_MAX: Final = 256
NOTE_MAX: Final = 500


def _snapshot(row: SupplierInvitation) -> dict[str, Any]:
    return {
        "org_id": row.org_id,
        "supplier_org_id": row.supplier_org_id,
        "component_id": row.component_id,
        "note": row.note,
        "status": row.status,
    }


def _text(value: str, *, field: str, limit: int, required: bool) -> str | None:
    value = value.strip()
    if not value:
        if required:
            raise InvalidInputError(f"{field} is required", code="missing_field", field=field)
        return None
    if len(value) > limit:
        raise InvalidInputError(
            f"{field} is at most {limit} characters", code="string_too_long", field=field
        )
    return check_text(value, field=field)


def invite_supplier(
    session: Session,
    *,
    org: Organisation,
    supplier_org_id: str,
    component_id: str,
    note: str = "",
) -> tuple[SupplierInvitation, bool]:
    """``org`` asks ``supplier_org_id`` to attest ``component_id`` (no commit); returns the
    invitation and whether it is new (an open one for the same pair is returned as it is)."""
    component = _text(component_id, field="component_id", limit=COMPONENT_MAX, required=True)
    assert component is not None  # required
    text = _text(note, field="note", limit=NOTE_MAX, required=False)
    supplier_id = supplier_org_id.strip()[:64]
    supplier = session.get(Organisation, supplier_id) if supplier_id else None
    if supplier is None:
        raise NotFoundError(f"no organisation {supplier_id!r}", field="supplier_org_id")
    if supplier.id == org.id or supplier.role != OrgRole.ENTERPRISE:
        raise InvalidInputError(
            "a supplier is another enterprise: invite its organisation id",
            code="not_a_supplier",
            field="supplier_org_id",
        )
    existing = session.exec(
        select(SupplierInvitation).where(
            SupplierInvitation.org_id == org.id,
            SupplierInvitation.supplier_org_id == supplier.id,
            SupplierInvitation.component_id == component,
            SupplierInvitation.status == OPEN,
        )
    ).first()
    if existing is not None:
        return existing, False
    row = SupplierInvitation(
        org_id=org.id, supplier_org_id=supplier.id, component_id=component, note=text
    )
    session.add(row)
    session.flush()
    record_audit(
        session,
        action="supplier.invite",
        subject_type=SUBJECT,
        subject_id=str(row.id),
        after=_snapshot(row),
    )
    return row, True


def cancel_invitation(
    session: Session, *, org: Organisation, invitation_id: int
) -> SupplierInvitation:
    """Cancel one of ``org``'s open invitations (no commit); cancelling twice changes nothing."""
    row = session.get(SupplierInvitation, invitation_id)
    if row is None or row.org_id != org.id:
        raise NotFoundError(
            f"your organisation has no supplier invitation {invitation_id}", field="invitation_id"
        )
    if row.status == CANCELLED:
        return row
    before = _snapshot(row)
    row.status, row.cancelled_at = CANCELLED, utcnow()
    session.add(row)
    record_audit(
        session,
        action="supplier.invite_cancel",
        subject_type=SUBJECT,
        subject_id=str(row.id),
        before=before,
        after=_snapshot(row),
    )
    return row


def invitations_of(session: Session, *, org_id: str, limit: int = 200) -> list[SupplierInvitation]:
    """The invitations a customer sent, newest first."""
    return list(
        session.exec(
            select(SupplierInvitation)
            .where(SupplierInvitation.org_id == org_id)
            .order_by(col(SupplierInvitation.created_at).desc(), col(SupplierInvitation.id))
            .limit(limit)
        ).all()
    )


def invitations_to(
    session: Session, *, supplier_org_id: str, limit: int = 200
) -> list[SupplierInvitation]:
    """The open invitations a supplier received, newest first (the supplier's to-do list)."""
    return list(
        session.exec(
            select(SupplierInvitation)
            .where(
                SupplierInvitation.supplier_org_id == supplier_org_id,
                SupplierInvitation.status == OPEN,
            )
            .order_by(col(SupplierInvitation.created_at).desc(), col(SupplierInvitation.id))
            .limit(limit)
        ).all()
    )


def answers(
    session: Session, invitations: Sequence[SupplierInvitation]
) -> dict[int, Attestation | None]:
    """Each invitation's answer: the supplier's newest attestation of the component that
    reached the customer, or ``None``."""
    found: dict[int, Attestation | None] = {}
    for row in invitations:
        assert row.id is not None
        found[row.id] = session.exec(
            select(Attestation)
            .where(
                Attestation.supplier_org_id == row.supplier_org_id,
                Attestation.pushed_by_org_id == row.org_id,
                Attestation.component_id == row.component_id,
            )
            .order_by(col(Attestation.received_at).desc(), col(Attestation.id))
        ).first()
    return found


def to_public(row: SupplierInvitation, answer: Attestation | None) -> SupplierInvitationPublic:
    """The API view of an invitation with its answer."""
    assert row.id is not None
    return SupplierInvitationPublic(
        id=row.id,
        org_id=row.org_id,
        supplier_org_id=row.supplier_org_id,
        component_id=row.component_id,
        note=row.note,
        status=row.status,
        created_at=row.created_at,
        cancelled_at=row.cancelled_at,
        answer=None
        if answer is None
        else InvitationAnswer(attestation_id=answer.id, status=answer.status),
    )
