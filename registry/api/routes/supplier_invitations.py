"""``/api/v1/supplier-invitations``: a customer asks a supplier for a signed attestation.

- ``GET /api/v1/supplier-invitations``: the invitations the caller sent, newest first, each with
  its answer (the supplier's newest attestation of the component that reached the caller).
- ``POST /api/v1/supplier-invitations`` ``{supplier_org_id, component_id, note?}``: invite
  (201; 200 when the same invitation is open already). 404 ``not_found`` for no such
  organisation, 422 ``not_a_supplier`` for one that is not another enterprise.
- ``POST /api/v1/supplier-invitations/{id}/cancel``: cancel an open one (404 for another's).
- ``GET /api/v1/supplier-invitations/received``: the open invitations a supplier received.

Sending and cancelling need :data:`registry.permissions.Action.SUPPLIERS_MANAGE`, the rule of the
console's ``/console/suppliers``; reading what was received needs ``ATTESTATION_SIGN``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, status
from fastapi.responses import JSONResponse
from sqlmodel import Session

from registry.api.deps import SERIAL_ID_MAX, SessionDep, permit
from registry.crud import supplier_invitations as crud
from registry.models.orgs import Organisation
from registry.models.supplier_invitations import (
    SupplierInvitation,
    SupplierInvitationCreate,
    SupplierInvitationPublic,
    SupplierInvitationsPublic,
)
from registry.permissions import Action

router = APIRouter(prefix="/api/v1/supplier-invitations", tags=["suppliers"])

ReadingOrg = Annotated[Organisation, Depends(permit(Action.PRODUCTS_READ))]
InvitingOrg = Annotated[Organisation, Depends(permit(Action.SUPPLIERS_MANAGE))]
SupplierOrg = Annotated[Organisation, Depends(permit(Action.ATTESTATION_SIGN))]
InvitationId = Annotated[int, Path(ge=1, le=SERIAL_ID_MAX)]


def _page(session: Session, rows: list[SupplierInvitation]) -> SupplierInvitationsPublic:
    answers = crud.answers(session, rows)
    data = [crud.to_public(row, answers[row.id]) for row in rows if row.id is not None]
    return SupplierInvitationsPublic(data=data, count=len(data))


@router.get("")
def list_sent(session: SessionDep, org: ReadingOrg) -> SupplierInvitationsPublic:
    """The invitations your organisation sent (the newest 200), with their answers."""
    return _page(session, crud.invitations_of(session, org_id=org.id))


@router.get("/received")
def list_received(session: SessionDep, org: SupplierOrg) -> SupplierInvitationsPublic:
    """The open invitations your organisation received as a supplier (the newest 200)."""
    return _page(session, crud.invitations_to(session, supplier_org_id=org.id))


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=SupplierInvitationPublic,
    responses={200: {"description": "the same invitation is open already"}},
)
def invite(body: SupplierInvitationCreate, session: SessionDep, org: InvitingOrg) -> JSONResponse:
    """Ask a supplier (another enterprise) to attest a component."""
    row, created = crud.invite_supplier(
        session,
        org=org,
        supplier_org_id=body.supplier_org_id,
        component_id=body.component_id,
        note=body.note or "",
    )
    session.commit()
    session.refresh(row)
    public = _page(session, [row]).data[0]
    return JSONResponse(
        public.model_dump(mode="json"),
        status_code=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
    )


@router.post("/{invitation_id}/cancel")
def cancel(
    invitation_id: InvitationId, session: SessionDep, org: InvitingOrg
) -> SupplierInvitationPublic:
    """Cancel an invitation your organisation sent (cancelling twice changes nothing)."""
    row = crud.cancel_invitation(session, org=org, invitation_id=invitation_id)
    session.commit()
    session.refresh(row)
    return _page(session, [row]).data[0]
