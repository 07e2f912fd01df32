"""``/api/v1/footprints``: submit (one or in bulk), read and list product footprints."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import JSONResponse

from registry.api.deps import CurrentOrg, EnterpriseOrg, IdempotencyKey, PageDep, SessionDep
from registry.api.idempotency import run_idempotent
from registry.crud import footprints as crud
from registry.models.footprints import (
    BulkFootprints,
    BulkResult,
    FootprintCreate,
    FootprintPublic,
    FootprintsPublic,
)

router = APIRouter(prefix="/api/v1/footprints", tags=["footprints"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=FootprintPublic,
    responses={409: {"description": "duplicate footprint or idempotency conflict"}},
)
def create_footprint(
    body: FootprintCreate,
    request: Request,
    session: SessionDep,
    org: EnterpriseOrg,
    idempotency_key: IdempotencyKey,
) -> JSONResponse:
    """Submit a footprint; it is stored and queued for anchoring in one transaction."""

    def create() -> tuple[int, Any]:
        footprint = crud.add_footprint(session, org=org, item=body)
        return status.HTTP_201_CREATED, crud.to_public(session, footprint)

    return run_idempotent(
        session,
        org=org,
        key=idempotency_key,
        method="POST",
        path=request.url.path,
        body=body,
        create=create,
    )


@router.post("/bulk", response_model=BulkResult)
def create_footprints_bulk(
    body: BulkFootprints,
    request: Request,
    session: SessionDep,
    org: EnterpriseOrg,
    idempotency_key: IdempotencyKey,
) -> JSONResponse:
    """Submit up to 5,000 footprints; each item is validated and stored (or not) on its own."""

    def create() -> tuple[int, Any]:
        results = crud.add_bulk(session, org=org, items=body.items)
        return status.HTTP_200_OK, BulkResult(
            created=sum(r.status == "created" for r in results),
            duplicates=sum(r.status == "duplicate" for r in results),
            errors=sum(r.status == "error" for r in results),
            results=results,
        )

    return run_idempotent(
        session,
        org=org,
        key=idempotency_key,
        method="POST",
        path=request.url.path,
        body=body,
        create=create,
    )


@router.get("")
def list_footprints(session: SessionDep, org: CurrentOrg, page: PageDep) -> FootprintsPublic:
    """Footprints, newest first: an enterprise sees its own; certifiers and admins see all."""
    rows, count = crud.list_footprints(session, org=org, offset=page.offset, limit=page.limit)
    statuses = crud.anchor_statuses(
        session, record_type=crud.RECORD_TYPE, ids=[row.id for row in rows]
    )
    return FootprintsPublic(
        data=[crud.to_public(session, row, anchor_status=statuses.get(row.id)) for row in rows],
        count=count,
    )


@router.get("/{footprint_id}")
def get_footprint(footprint_id: str, session: SessionDep, org: CurrentOrg) -> FootprintPublic:
    """One footprint (an enterprise only its own)."""
    return crud.to_public(session, crud.get_footprint(session, footprint_id=footprint_id, org=org))
