"""``/api/v1/orgs``: organisations (created by admins) and the caller's own."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status
from pydantic import BaseModel

from registry.api.deps import CurrentOrg, PageDep, SessionDep, permit
from registry.crud import orgs as crud
from registry.models.orgs import (
    Organisation,
    OrgCreate,
    OrgCreated,
    OrgDistrict,
    OrgPublic,
    OrgsPublic,
)
from registry.permissions import Action

router = APIRouter(prefix="/api/v1/orgs", tags=["orgs"])

#: Who may call the routes that take it: the rule of ``orgs.manage``
#: (:mod:`registry.permissions`).
Administrator = Annotated[Organisation, Depends(permit(Action.ORGS_MANAGE))]


@router.post("", status_code=status.HTTP_201_CREATED)
def create_org(
    body: OrgCreate,
    session: SessionDep,
    admin: Administrator,
) -> OrgCreated:
    """Create an organisation; the reply carries its API key, shown this once."""
    org, key = crud.create_org(
        session, name=body.name, role=body.role, address=body.address, district=body.district
    )
    return OrgCreated(
        **OrgPublic.model_validate(org, from_attributes=True).model_dump(), api_key=key
    )


@router.get("")
def list_orgs(
    session: SessionDep,
    admin: Administrator,
    page: PageDep,
) -> OrgsPublic:
    """All organisations (admins only)."""
    rows, count = crud.list_orgs(session, offset=page.offset, limit=page.limit)
    return OrgsPublic(
        data=[OrgPublic.model_validate(row, from_attributes=True) for row in rows], count=count
    )


@router.get("/me")
def my_org(org: CurrentOrg) -> OrgPublic:
    """The organisation the API key belongs to."""
    return OrgPublic.model_validate(org, from_attributes=True)


@router.get("/{org_id}")
def get_org(
    org_id: str,
    session: SessionDep,
    admin: Administrator,
) -> OrgPublic:
    """One organisation (admins only)."""
    return OrgPublic.model_validate(crud.get_org(session, org_id=org_id), from_attributes=True)


@router.put("/{org_id}/district")
def set_district(
    org_id: str,
    body: OrgDistrict,
    session: SessionDep,
    admin: Annotated[Organisation, Depends(permit(Action.ORG_DISTRICT_SET))],
) -> OrgPublic:
    """Register an organisation in a Chongqing district (``GET /api/v1/districts``; ``null``:
    none), where its footprints and labels count in the city's statistics (admins only;
    audited ``org.district``; 422 ``unknown_district``)."""
    org = crud.set_district(session, org_id=org_id, district=body.district)
    session.commit()
    session.refresh(org)
    return OrgPublic.model_validate(org, from_attributes=True)


class ApiKeyIssued(BaseModel):
    org_id: str
    api_key: str


class ApiKeysRevoked(BaseModel):
    org_id: str
    revoked: int


@router.post("/{org_id}/keys", status_code=status.HTTP_201_CREATED)
def issue_key(
    org_id: str,
    session: SessionDep,
    admin: Administrator,
) -> ApiKeyIssued:
    """Issue another API key for an organisation (key rotation); shown this once."""
    return ApiKeyIssued(org_id=org_id, api_key=crud.add_api_key(session, org_id=org_id))


@router.post("/{org_id}/keys/revoke")
def revoke_keys(
    org_id: str,
    session: SessionDep,
    admin: Administrator,
) -> ApiKeysRevoked:
    """Revoke every API key of an organisation (a leaked key, an org leaving)."""
    crud.get_org(session, org_id=org_id)
    return ApiKeysRevoked(org_id=org_id, revoked=crud.revoke_api_keys(session, org_id=org_id))
