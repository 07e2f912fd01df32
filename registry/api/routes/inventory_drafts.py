"""``/api/v1/inventories/drafts``: an enterprise's inventories while they are being edited.

Upload a ``tanji-inventory/1`` document as a draft, change or delete its lines one at a time,
calculate it, and submit the result as a footprint: the operations the console's inventories
pages offer (:mod:`registry.api.routes.console_inventories`), with the same rules
(:mod:`registry.accounting.drafts`). Reading needs ``inventory.read``, changing
``inventory.edit``, submitting ``footprint.submit`` (:mod:`registry.permissions`).

A refused document or edit is 422 with the first fault's code and field
(``inventory.lines[3].unit``) and every fault in ``details``, as ``POST /api/v1/calculations``.
A change carrying a ``revision`` other than the draft's is 409 ``draft_changed``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response, status
from fastapi.responses import JSONResponse
from pydantic import Field

from registry.accounting import drafts
from registry.accounting.calculation import CalculationError, MonteCarlo
from registry.accounting.submission import FootprintDetails
from registry.api.deps import DB_INT_MAX, PageDep, SessionDep, permit
from registry.api.routes.calculations import MonteCarloOptions, RawBody
from registry.crud import footprints as footprints_crud
from registry.errors import InvalidInputError
from registry.models.common import StrictInput
from registry.models.inventory_drafts import InventoryDraftPublic, InventoryDraftsPublic
from registry.models.orgs import Organisation
from registry.permissions import Action, check
from verifier.protocol.accounting import AccountingError, load_document

router = APIRouter(prefix="/api/v1/inventories/drafts", tags=["inventories"])

Reader = Annotated[Organisation, Depends(permit(Action.INVENTORY_READ))]
Editor = Annotated[Organisation, Depends(permit(Action.INVENTORY_EDIT))]
DraftId = Annotated[str, Path(max_length=64, description="the draft's id, draft-…")]
LineId = Annotated[str, Path(max_length=128, description="the line's id in the inventory")]
Revision = Annotated[
    int | None,
    Query(ge=1, le=DB_INT_MAX, description="refuse (409) unless the draft is at this revision"),
]


class DraftCreate(StrictInput):
    """Body of ``POST /api/v1/inventories/drafts``."""

    inventory: dict[str, Any] = Field(
        description="a tanji-inventory/1 document (docs/ACCOUNTING.md): decimals as strings"
    )


class DraftCalculation(StrictInput):
    """Body of ``POST /api/v1/inventories/drafts/{id}/calculation``."""

    monte_carlo: MonteCarloOptions | None = Field(
        default_factory=MonteCarloOptions,
        description="the Monte Carlo run (default 1,000 iterations, seed 0); null: no interval",
    )
    footprint: FootprintDetails | None = Field(
        default=None, description="with ?submit=true: what the footprint says beyond the inventory"
    )


_REFUSED: dict[int | str, dict[str, Any]] = {
    422: {"description": "refused: every fault in error.details"}
}
_CHANGED: dict[int | str, dict[str, Any]] = {
    409: {"description": "draft_changed: the draft is at another revision"}
}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=InventoryDraftPublic,
    responses={**_REFUSED, 409: {"description": "too_many_drafts"}},
)
def create_draft(
    body: DraftCreate, raw: RawBody, session: SessionDep, org: Editor
) -> InventoryDraftPublic:
    """Store an inventory document (checked by the verifier's parser) as a new draft."""
    try:  # read as the verifier reads it: duplicate keys refused, numbers as I-JSON
        document = load_document(raw, yaml_allowed=False)["inventory"]
    except AccountingError as exc:
        raise CalculationError(exc, prefix="body.") from None
    draft = drafts.create_draft(session, org=org, document=document)
    session.commit()
    return drafts.to_public(draft)


@router.get("")
def list_drafts(session: SessionDep, org: Reader, page: PageDep) -> InventoryDraftsPublic:
    """The organisation's drafts, most recently changed first (without their documents)."""
    rows, count = drafts.list_drafts(session, org=org, offset=page.offset, limit=page.limit)
    return InventoryDraftsPublic(
        data=[drafts.to_public(row, with_document=False) for row in rows], count=count
    )


@router.get("/{draft_id}")
def get_draft(draft_id: DraftId, session: SessionDep, org: Reader) -> InventoryDraftPublic:
    """One draft with its inventory document."""
    return drafts.to_public(drafts.get_draft(session, org=org, draft_id=draft_id))


@router.delete("/{draft_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_draft(draft_id: DraftId, session: SessionDep, org: Editor) -> Response:
    """Delete a draft (a footprint submitted from it stays)."""
    drafts.delete_draft(session, drafts.get_draft(session, org=org, draft_id=draft_id))
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{draft_id}/lines",
    status_code=status.HTTP_201_CREATED,
    response_model=InventoryDraftPublic,
    responses={**_REFUSED, **_CHANGED},
)
def add_line(
    draft_id: DraftId,
    line: drafts.LineInput,
    session: SessionDep,
    org: Editor,
    revision: Revision = None,
) -> InventoryDraftPublic:
    """Add a line at the end; a factor named must be published here (its version is added to
    ``factorDatasets`` with the published digest)."""
    draft = drafts.get_draft(session, org=org, draft_id=draft_id)
    drafts.put_line(session, draft, line, revision=revision)
    session.commit()
    return drafts.to_public(draft)


@router.put(
    "/{draft_id}/lines/{line_id}",
    response_model=InventoryDraftPublic,
    responses={**_REFUSED, **_CHANGED, 404: {"description": "unknown_draft, unknown_line"}},
)
def replace_line(
    draft_id: DraftId,
    line_id: LineId,
    line: drafts.LineInput,
    session: SessionDep,
    org: Editor,
    revision: Revision = None,
) -> InventoryDraftPublic:
    """Replace a line in place (its id may change; its uncertainty, component or sub-inventory
    is kept unless a factor or gas replaces the source)."""
    draft = drafts.get_draft(session, org=org, draft_id=draft_id)
    drafts.put_line(session, draft, line, line_id=line_id, revision=revision)
    session.commit()
    return drafts.to_public(draft)


@router.delete(
    "/{draft_id}/lines/{line_id}",
    response_model=InventoryDraftPublic,
    responses={**_REFUSED, **_CHANGED, 404: {"description": "unknown_draft, unknown_line"}},
)
def delete_line(
    draft_id: DraftId,
    line_id: LineId,
    session: SessionDep,
    org: Editor,
    revision: Revision = None,
) -> InventoryDraftPublic:
    """Delete a line (refused if the inventory would no longer be valid, e.g. its last line)."""
    draft = drafts.get_draft(session, org=org, draft_id=draft_id)
    drafts.delete_line(session, draft, line_id, revision=revision)
    session.commit()
    return drafts.to_public(draft)


@router.post(
    "/{draft_id}/calculation",
    responses={
        201: {"description": "computed and submitted as a footprint (?submit=true)"},
        409: {"description": "draft_changed, or the footprint was already submitted"},
        **_REFUSED,
    },
)
def calculate_draft(
    draft_id: DraftId,
    body: DraftCalculation,
    session: SessionDep,
    org: Reader,
    revision: Revision = None,
    submit: Annotated[
        bool, Query(description="also store the result as a footprint (footprint.submit)")
    ] = False,
) -> JSONResponse:
    """Compute the draft as ``POST /api/v1/calculations`` does (same answer); with
    ``?submit=true`` also store it as a footprint (201), which the draft then names."""
    draft = drafts.get_draft(session, org=org, draft_id=draft_id)
    options = body.monte_carlo
    run = None if options is None else MonteCarlo(options.iterations, options.seed)
    if not submit:
        return JSONResponse(drafts.calculate_draft(session, draft, monte_carlo=run).to_dict())
    check(Action.FOOTPRINT_SUBMIT, org_role=org.role, user_role=None)
    if body.footprint is None:
        raise InvalidInputError(
            "?submit=true needs the footprint's details (reference_period, geography)",
            code="missing_field",
            field="footprint",
        )
    calculation, footprint = drafts.submit_draft(
        session,
        org=org,
        draft=draft,
        details=body.footprint,
        revision=revision,
        monte_carlo=run,
    )
    public = footprints_crud.to_public(session, footprint).model_dump(mode="json")
    session.commit()
    return JSONResponse(
        {**calculation.to_dict(), "footprint": public, "draft_id": draft.id},
        status_code=status.HTTP_201_CREATED,
    )
