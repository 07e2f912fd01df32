"""``/api/v1/labels``: certify a footprint and issue its label; read, bundle, revoke, supersede."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlmodel import Session

from registry.api.deps import (
    CurrentOrg,
    IdempotencyKey,
    PageDep,
    SessionDep,
    SettingsDep,
    permit,
    wake_anchoring,
)
from registry.api.idempotency import run_idempotent
from registry.api.reads import json_bytes, public_read
from registry.config import Settings
from registry.crud import labels as crud
from registry.crud import reviews
from registry.label_reads import fetch_label_bundle, fetch_label_json, label_bundle, label_json
from registry.models.labels import (
    Label,
    LabelCreate,
    LabelPublic,
    LabelReissue,
    LabelRevoke,
    LabelsPublic,
    LabelSupersede,
)
from registry.models.orgs import Organisation
from registry.permissions import Action
from registry.records import check_hidden, parse_hide

router = APIRouter(prefix="/api/v1/labels", tags=["labels"])

#: A certification body issuing (or superseding, reissuing) labels; one revoking them
#: (registry.permissions: the console's review pages check the same actions).
Issuer = Annotated[Organisation, Depends(permit(Action.LABEL_ISSUE))]
Revoker = Annotated[Organisation, Depends(permit(Action.LABEL_REVOKE))]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=LabelPublic)
def issue_label(
    body: LabelCreate,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    org: Issuer,
    idempotency_key: IdempotencyKey,
) -> JSONResponse:
    """Certify a submitted footprint and issue its label (queued for anchoring)."""

    def create() -> tuple[int, Any]:
        reviews.check_not_under_review(session, body.footprint_id)
        label = crud.issue_label(session, certifier=org, body=body)
        return status.HTTP_201_CREATED, crud.to_public(session, label, base_url=settings.base_url)

    return run_idempotent(
        session,
        org=org,
        key=idempotency_key,
        method="POST",
        path=request.url.path,
        body=body.model_dump(mode="json"),
        create=create,
    )


@router.get("")
def list_labels(
    session: SessionDep, settings: SettingsDep, org: CurrentOrg, page: PageDep
) -> LabelsPublic:
    """Labels, newest first: an enterprise's own, a certification body's issued, all for others."""
    rows, count = crud.list_labels(session, org=org, offset=page.offset, limit=page.limit)
    return LabelsPublic(
        data=[crud.to_public(session, row, base_url=settings.base_url) for row in rows],
        count=count,
    )


@router.get("/{label_id}", response_model=LabelPublic)
async def get_label(label_id: str, request: Request) -> Response:
    """One label (public: anyone holding the label id may read it)."""
    settings: Settings = request.app.state.settings  # not SettingsDep: a sync dependency is a hop

    base_url = settings.base_url
    # Hot path (a crowd of phones): on the event loop (PostgreSQL) or in one thread hop, encoded
    # there, no connection held to send.
    body = await public_read(
        request,
        lambda rows, _: fetch_label_json(rows, label_id, base_url=base_url),
        lambda connection: label_json(connection, label_id, base_url=base_url),
    )
    return Response(body, media_type="application/json")


@router.get("/{label_id}/bundle", response_class=JSONResponse)
async def get_bundle(
    label_id: str,
    request: Request,
    hide: Annotated[
        str | None, Query(description="comma-separated fields to hide, e.g. supplierName")
    ] = None,
) -> Response:
    """The label's ``tanji-bundle/1`` for independent verification (public; ``hide`` redacts)."""
    hidden = parse_hide(hide)

    bundle = await public_read(
        request,
        lambda rows, in_thread: fetch_label_bundle(rows, in_thread, label_id, hide=hidden),
        lambda connection: label_bundle(connection, label_id, hide=hidden),
    )
    check_hidden(bundle, hidden)
    return Response(
        json_bytes(bundle),
        media_type="application/json",
        headers={"Content-Disposition": f'inline; filename="{label_id}.json"'},
    )


@router.post("/{label_id}/revoke")
def revoke_label(
    label_id: str,
    body: LabelRevoke,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    org: Revoker,
) -> LabelPublic:
    """Revoke a label (issuing certification body only); the revocation is anchored on chain."""
    label = crud.get_label(session, label_id=label_id)
    # Through the label's review when an approval issued it, so the review says revoked too.
    reviews.revoke_label(session, label=label, org=org, reason=body.reason_code, note=body.note)
    session.commit()
    wake_anchoring(request)
    return crud.to_public(session, label, base_url=settings.base_url)


@router.post(
    "/{label_id}/supersede", status_code=status.HTTP_201_CREATED, response_model=LabelPublic
)
def supersede_label(
    label_id: str,
    body: LabelSupersede,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    org: Issuer,
    idempotency_key: IdempotencyKey,
) -> JSONResponse:
    """Issue a label for a corrected footprint and revoke this one with reason 1 (superseded)."""

    def replace(old: Label) -> Label:
        return crud.supersede_label(
            session, old=old, org=org, body=LabelCreate(**body.model_dump())
        )

    return _replace_label(request, session, settings, org, idempotency_key, label_id, body, replace)


@router.post("/{label_id}/reissue", status_code=status.HTTP_201_CREATED, response_model=LabelPublic)
def reissue_label(
    label_id: str,
    body: LabelReissue,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    org: Issuer,
    idempotency_key: IdempotencyKey,
) -> JSONResponse:
    """Label a revoked label's footprint again (the revoking certification body only, once).

    A revoked label's footprint gets no other new label: another body's ``POST /api/v1/labels``
    is refused with ``footprint_label_revoked``. The new label's ``reissue_of`` names this one.
    """

    def replace(old: Label) -> Label:
        return crud.reissue_label(session, old=old, org=org, body=body)

    return _replace_label(request, session, settings, org, idempotency_key, label_id, body, replace)


def _replace_label(
    request: Request,
    session: Session,
    settings: Settings,
    org: Organisation,
    idempotency_key: str | None,
    label_id: str,
    body: BaseModel,
    replace: Callable[[Label], Label],
) -> JSONResponse:
    """Issue the label ``replace`` makes from label ``label_id``, once per idempotency key."""

    def create() -> tuple[int, Any]:
        new = replace(crud.get_label(session, label_id=label_id))
        return status.HTTP_201_CREATED, crud.to_public(session, new, base_url=settings.base_url)

    response = run_idempotent(
        session,
        org=org,
        key=idempotency_key,
        method="POST",
        path=request.url.path,
        body=body.model_dump(mode="json"),
        create=create,
    )
    wake_anchoring(request)
    return response
