"""``/api/v1/orgs/.../id-prefixes``: the GS1 company prefixes an organisation may number GTINs with.

- ``POST /api/v1/orgs/me/id-prefixes`` ``{prefix, evidence?}``: an enterprise claims a prefix
  (201; 200 when it already had it; 409 ``prefix_taken`` when another organisation holds an
  overlapping confirmed one).
- ``GET /api/v1/orgs/me/id-prefixes``: the caller's prefixes.
- ``GET /api/v1/id-prefixes?status=&org_id=``: every claim (admins, certification bodies).
- ``POST /api/v1/orgs/{org_id}/id-prefixes/{prefix}/confirm``: an admin or certification body
  confirms a claim (audited; 409 ``prefix_taken`` on overlap).
- ``POST /api/v1/orgs/{org_id}/id-prefixes/{prefix}/refuse`` ``{reason}``: or refuses it
  (audited with the reason; 409 ``prefix_confirmed`` for a confirmed one). Claiming it again
  reopens the claim.

Who may confirm or refuse: :data:`registry.permissions.Action.PREFIX_CONFIRM` (the console's
``/console/city/prefixes`` checks the same rule).

Footprints with a GTIN outside the organisation's confirmed prefixes are refused
(``gtin_not_owned``) and the resolver sends a GTIN only to the prefix holder's labels.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, status
from fastapi.responses import JSONResponse

from registry.api.deps import (
    CurrentOrg,
    PageDep,
    SessionDep,
    permit,
)
from registry.crud import prefixes as crud
from registry.models.orgs import Organisation
from registry.models.prefixes import (
    IdPrefix,
    IdPrefixClaim,
    IdPrefixesPublic,
    IdPrefixPublic,
    IdPrefixRefusal,
)
from registry.permissions import Action

router = APIRouter(tags=["orgs"])

#: Who may call the routes that take it: the rule of ``products.manage``
#: (:mod:`registry.permissions`).
Claimant = Annotated[Organisation, Depends(permit(Action.PRODUCTS_MANAGE))]

ConfirmingOrg = Annotated[Organisation, Depends(permit(Action.PREFIX_CONFIRM))]
OrgIdPath = Annotated[str, Path(min_length=1, max_length=64)]
PrefixPath = Annotated[str, Path(min_length=1, max_length=32, description="6-12 digits")]


def _public(row: IdPrefix) -> IdPrefixPublic:
    return IdPrefixPublic.model_validate(row, from_attributes=True)


def _page(rows: list[IdPrefix], count: int) -> IdPrefixesPublic:
    return IdPrefixesPublic(data=[_public(row) for row in rows], count=count)


@router.post(
    "/api/v1/orgs/me/id-prefixes",
    status_code=status.HTTP_201_CREATED,
    response_model=IdPrefixPublic,
    responses={200: {"description": "the organisation had already claimed this prefix"}},
)
def claim_prefix(
    body: IdPrefixClaim,
    session: SessionDep,
    org: Claimant,
) -> JSONResponse:
    """Claim a GS1 company prefix; it counts once an admin or certification body confirms it."""
    row, created = crud.claim_prefix(session, org=org, prefix=body.prefix, evidence=body.evidence)
    session.commit()
    session.refresh(row)
    return JSONResponse(
        _public(row).model_dump(mode="json"),
        status_code=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
    )


@router.get("/api/v1/orgs/me/id-prefixes")
def my_prefixes(session: SessionDep, org: CurrentOrg, page: PageDep) -> IdPrefixesPublic:
    """The caller's claimed and confirmed prefixes."""
    rows, count = crud.list_prefixes(session, org_id=org.id, offset=page.offset, limit=page.limit)
    return _page(rows, count)


@router.get("/api/v1/id-prefixes")
def all_prefixes(
    session: SessionDep,
    org: ConfirmingOrg,
    page: PageDep,
    status_filter: Annotated[
        Literal["claimed", "confirmed", "refused"] | None, Query(alias="status")
    ] = None,
    org_id: Annotated[str | None, Query(max_length=64)] = None,
) -> IdPrefixesPublic:
    """Every organisation's prefixes, e.g. the claims waiting (``?status=claimed``)."""
    rows, count = crud.list_prefixes(
        session, org_id=org_id, status=status_filter, offset=page.offset, limit=page.limit
    )
    return _page(rows, count)


@router.post("/api/v1/orgs/{org_id}/id-prefixes/{prefix}/confirm")
def confirm_prefix(
    org_id: OrgIdPath, prefix: PrefixPath, session: SessionDep, org: ConfirmingOrg
) -> IdPrefixPublic:
    """Confirm an organisation's claim (admins and certification bodies); recorded in the audit
    log with who confirmed it."""
    row, _ = crud.confirm_prefix(session, org_id=org_id, prefix=prefix, confirmer=org)
    session.commit()
    session.refresh(row)
    return _public(row)


@router.post("/api/v1/orgs/{org_id}/id-prefixes/{prefix}/refuse")
def refuse_prefix(
    org_id: OrgIdPath,
    prefix: PrefixPath,
    body: IdPrefixRefusal,
    session: SessionDep,
    org: ConfirmingOrg,
) -> IdPrefixPublic:
    """Refuse an organisation's claim (admins and certification bodies), saying why; recorded
    in the audit log with the reason. A confirmed prefix is not refused (409
    ``prefix_confirmed``)."""
    row = crud.refuse_prefix(session, org_id=org_id, prefix=prefix, refuser=org, reason=body.reason)
    session.commit()
    session.refresh(row)
    return _public(row)
