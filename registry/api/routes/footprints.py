"""``/api/v1/footprints``: submit (one or in bulk), read and list product footprints."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import JSONResponse
from sqlmodel import select

from registry.api.deps import (
    CurrentOrg,
    IdempotencyKey,
    PageDep,
    SessionDep,
    SettingsDep,
    permit,
)
from registry.api.idempotency import run_idempotent
from registry.crud import footprints as crud
from registry.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from registry.factors.bundles import with_dataset_bundles
from registry.models.footprints import (
    BulkFootprints,
    BulkResult,
    FootprintCreate,
    FootprintPublic,
    FootprintsPublic,
)
from registry.models.orgs import Organisation, OrgRole
from registry.permissions import Action
from registry.records.bundles import bundle_of, check_hidden, parse_hide
from registry.records.inventories import InventoryRecord
from verifier.protocol.accounting.inventory_record import HEADER_FIELD, LINE_PREFIX, line_field
from verifier.protocol.records import INVENTORY

router = APIRouter(prefix="/api/v1/footprints", tags=["footprints"])

#: Who may call the routes that take it: the rule of ``footprint.submit``
#: (:mod:`registry.permissions`).
Submitter = Annotated[Organisation, Depends(permit(Action.FOOTPRINT_SUBMIT))]


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
    org: Submitter,
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
    org: Submitter,
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


#: Who may read a footprint's inventory besides the issuing organisation.
_INVENTORY_READERS = (OrgRole.CERTIFICATION_BODY, OrgRole.ADMIN)


@router.get("/{footprint_id}/inventory/bundle")
def get_inventory_bundle(
    footprint_id: str,
    session: SessionDep,
    settings: SettingsDep,
    org: CurrentOrg,
    disclose: Annotated[
        str | None, Query(description="comma-separated line ids to disclose (the rest hidden)")
    ] = None,
    hide: Annotated[
        str | None, Query(description="comma-separated fields to hide, e.g. line:L2")
    ] = None,
) -> JSONResponse:
    """The ``tanji-bundle/1`` of a computed footprint's ``inventory`` record (docs/PROTOCOL.md
    section 17.6): its issuing organisation, certification bodies and admins only.

    ``disclose=L1,L3`` shows those lines and hides every other (header and line ids stay);
    ``hide=`` hides the named fields, as on every bundle route. ``factorDatasets`` carries the
    bundle and document of each factor-dataset version the inventory cites (section 17.7).
    """
    footprint = crud.get_footprint(session, footprint_id=footprint_id, org=org)
    if org.role not in _INVENTORY_READERS and footprint.org_id != org.id:
        raise PermissionDeniedError(
            "an inventory is shown to its enterprise, certification bodies and admins only",
            code="forbidden_role",
        )
    row = session.exec(
        select(InventoryRecord).where(InventoryRecord.footprint_id == footprint.id)
    ).first()
    if row is None:
        raise NotFoundError(
            f"footprint {footprint_id} was not computed by Tanji: it has no inventory",
            field="footprint_id",
        )
    hidden = parse_hide(hide)
    if disclose is not None:
        shown = {line_field(i.strip()) for i in disclose.split(",") if i.strip()}
        lines = {name for name in row.record if name.startswith(LINE_PREFIX)}
        unknown = sorted(shown - lines)
        if unknown:
            raise InvalidInputError(
                f"the inventory has no line {unknown[0].removeprefix(LINE_PREFIX)}",
                code="unknown_field",
                field="query.disclose",
            )
        hidden |= lines - shown
    bundle = bundle_of(session, INVENTORY, row, hide=frozenset(hidden))
    check_hidden(bundle, frozenset(hidden))
    # The factor-dataset versions it cites, to recompute with (docs/PROTOCOL.md section 17.7).
    cited = row.record.get(HEADER_FIELD, {}).get("factorDatasets") or []
    bundle = with_dataset_bundles(session, bundle, cited, base_url=settings.base_url)
    return JSONResponse(
        bundle, headers={"Content-Disposition": f'inline; filename="{row.id}.json"'}
    )
