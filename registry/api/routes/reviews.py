"""``/api/v1/reviews``: the certification review of a submitted footprint.

An enterprise opens a review of its footprint; it waits in the certification bodies' shared
queue until one claims it; the reviewer comments, requests changes (the enterprise resubmits a
corrected footprint), approves (issuing the label, whose record names the review's evidence
documents by SHA-256) or rejects; an approved review's label can be revoked with a reason.
Transitions are :mod:`registry.crud.reviews`'s; a step the review's state does not allow is 409
``review_state``. Each route checks its :class:`registry.permissions.Action`.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any, Final
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Request, status
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from registry.api.deps import (
    SERIAL_ID_MAX,
    IdempotencyKey,
    PageDep,
    SessionDep,
    SettingsDep,
    permit,
    wake_anchoring,
)
from registry.api.idempotency import run_idempotent
from registry.crud import labels as label_crud
from registry.crud import reviews as crud
from registry.errors import InvalidInputError
from registry.models.labels import LabelPublic
from registry.models.orgs import Organisation
from registry.models.reviews import (
    MAX_EVIDENCE_BYTES,
    EvidenceList,
    EvidencePublic,
    ReviewApprove,
    ReviewCreate,
    ReviewDetail,
    ReviewEventPublic,
    ReviewPublic,
    ReviewResubmit,
    ReviewRevoke,
    ReviewsPublic,
    ReviewState,
    ReviewText,
)
from registry.permissions import Action, check

__all__ = ["evidence_response", "read_bounded", "router"]

router = APIRouter(prefix="/api/v1/reviews", tags=["reviews"])

ReviewId = Annotated[str, Path(min_length=1, max_length=64)]
EvidenceId = Annotated[int, Path(ge=1, le=SERIAL_ID_MAX)]
Submitter = Annotated[Organisation, Depends(permit(Action.FOOTPRINT_SUBMIT))]
Reader = Annotated[Organisation, Depends(permit(Action.ORG_READ))]
Commenter = Annotated[Organisation, Depends(permit(Action.REVIEW_COMMENT))]
Decider = Annotated[Organisation, Depends(permit(Action.REVIEW_DECIDE))]
Revoker = Annotated[Organisation, Depends(permit(Action.LABEL_REVOKE))]
Uploader = Annotated[Organisation, Depends(permit(Action.EVIDENCE_UPLOAD))]

_STATE_CONFLICT: Final[dict[int | str, dict[str, Any]]] = {
    409: {"description": "`review_state`: the review's state does not allow this step"}
}
_EVIDENCE_TYPES: Final = {
    kind: {"schema": {"type": "string", "format": "binary"}}
    for kind in (
        "application/pdf",
        "image/png",
        "image/jpeg",
    )
}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ReviewPublic,
    responses={409: {"description": "`footprint_in_review` or `footprint_certified`"}},
)
def open_review(
    body: ReviewCreate,
    request: Request,
    session: SessionDep,
    org: Submitter,
    idempotency_key: IdempotencyKey,
) -> JSONResponse:
    """Put a submitted footprint of yours in the certification bodies' review queue."""

    def create() -> tuple[int, Any]:
        review = crud.open_review(
            session, org=org, footprint_id=body.footprint_id, message=body.message
        )
        session.flush()
        return status.HTTP_201_CREATED, crud.to_public(session, review)

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
def list_reviews(
    session: SessionDep,
    org: Reader,
    page: PageDep,
    state: Annotated[
        list[ReviewState] | None, Query(description="only reviews in these states")
    ] = None,
) -> ReviewsPublic:
    """An enterprise's reviews, or a certification body's queue (unclaimed ones and its own),
    oldest first."""
    rows, count = crud.list_reviews(
        session, org=org, states=state or (), offset=page.offset, limit=page.limit
    )
    return ReviewsPublic(data=[crud.to_public(session, r) for r in rows], count=count)


@router.get("/{review_id}")
def get_review(
    review_id: ReviewId, session: SessionDep, settings: SettingsDep, org: Reader
) -> ReviewDetail:
    """A review with its thread, its evidence documents and its label."""
    review = crud.get_review(session, review_id=review_id, org=org)
    return crud.to_detail(session, review, base_url=settings.base_url)


@router.post("/{review_id}/claim", responses=_STATE_CONFLICT)
def claim_review(review_id: ReviewId, session: SessionDep, org: Commenter) -> ReviewPublic:
    """Take a queued review into review (a retry by the same body changes nothing)."""
    review = crud.get_review(session, review_id=review_id, org=org)
    crud.claim(session, review=review, org=org)
    session.commit()
    return crud.to_public(session, review)


@router.post(
    "/{review_id}/comments", status_code=status.HTTP_201_CREATED, response_model=ReviewEventPublic
)
def add_comment(
    review_id: ReviewId,
    body: ReviewText,
    request: Request,
    session: SessionDep,
    org: Reader,
    idempotency_key: IdempotencyKey,
) -> JSONResponse:
    """Comment in the review's thread (its reviewer, or the enterprise answering)."""
    check(crud.comment_action(org), org_role=org.role, user_role=None)
    review = crud.get_review(session, review_id=review_id, org=org)

    def create() -> tuple[int, Any]:
        event = crud.comment(session, review=review, org=org, text=body.text)
        session.flush()
        return status.HTTP_201_CREATED, crud.event_public(event)

    return run_idempotent(
        session,
        org=org,
        key=idempotency_key,
        method="POST",
        path=request.url.path,
        body=body.model_dump(mode="json"),
        create=create,
    )


@router.post("/{review_id}/request-changes", responses=_STATE_CONFLICT)
def request_changes(
    review_id: ReviewId, body: ReviewText, session: SessionDep, org: Decider
) -> ReviewPublic:
    """Ask the enterprise for a corrected footprint; the text says what to change."""
    review = crud.get_review(session, review_id=review_id, org=org)
    crud.request_changes(session, review=review, org=org, text=body.text)
    session.commit()
    return crud.to_public(session, review)


@router.post("/{review_id}/resubmit", responses=_STATE_CONFLICT)
def resubmit(
    review_id: ReviewId, body: ReviewResubmit, session: SessionDep, org: Submitter
) -> ReviewPublic:
    """Answer a change request with a corrected footprint (a new footprint of the product)."""
    review = crud.get_review(session, review_id=review_id, org=org)
    crud.resubmit(
        session, review=review, org=org, footprint_id=body.footprint_id, message=body.message
    )
    session.commit()
    return crud.to_public(session, review)


@router.post(
    "/{review_id}/approve",
    status_code=status.HTTP_201_CREATED,
    response_model=LabelPublic,
    responses=_STATE_CONFLICT,
)
def approve(
    review_id: ReviewId,
    body: ReviewApprove,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    org: Decider,
    idempotency_key: IdempotencyKey,
) -> JSONResponse:
    """Approve: issue the label with its grade (as ``POST /api/v1/labels``, with the same
    checks); its record lists the review's evidence documents by SHA-256."""
    check(Action.LABEL_ISSUE, org_role=org.role, user_role=None)

    def create() -> tuple[int, Any]:
        review = crud.get_review(session, review_id=review_id, org=org)
        label = crud.approve(session, review=review, org=org, body=body)
        return status.HTTP_201_CREATED, label_crud.to_public(
            session, label, base_url=settings.base_url
        )

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


@router.post("/{review_id}/reject", responses=_STATE_CONFLICT)
def reject(
    review_id: ReviewId, body: ReviewText, session: SessionDep, org: Decider
) -> ReviewPublic:
    """Refuse the footprint, saying why (final)."""
    review = crud.get_review(session, review_id=review_id, org=org)
    crud.reject(session, review=review, org=org, text=body.text)
    session.commit()
    return crud.to_public(session, review)


@router.post("/{review_id}/revoke", responses=_STATE_CONFLICT)
def revoke(
    review_id: ReviewId,
    body: ReviewRevoke,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    org: Revoker,
) -> LabelPublic:
    """Revoke the label the approval issued, with a reason (anchored on chain)."""
    review = crud.get_review(session, review_id=review_id, org=org)
    label = crud.revoke(session, review=review, org=org, reason=body.reason_code, note=body.note)
    session.commit()
    wake_anchoring(request)
    return label_crud.to_public(session, label, base_url=settings.base_url)


@router.post(
    "/{review_id}/evidence",
    status_code=status.HTTP_201_CREATED,
    response_model=EvidencePublic,
    responses={
        200: {
            "model": EvidencePublic,
            "description": "the same document (same SHA-256) was already on file",
        },
        409: {"description": "`review_state` (a decided review) or `evidence_limit`"},
        413: {"description": "the document is over the request size limit"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": f"the document itself (PDF, PNG or JPEG, at most "
            f"{MAX_EVIDENCE_BYTES} bytes; its type is read from its first bytes)",
            "content": {
                **_EVIDENCE_TYPES,
                "application/octet-stream": _EVIDENCE_TYPES["application/pdf"],
            },
        }
    },
)
async def upload_evidence(
    review_id: ReviewId,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    org: Uploader,
    name: Annotated[str, Query(min_length=1, max_length=200, description="file name")],
) -> JSONResponse:
    """Add an evidence document to the review (either party, until it is decided)."""
    content = await read_bounded(request)

    def store() -> JSONResponse:
        review = crud.get_review(session, review_id=review_id, org=org)
        evidence, new = crud.add_evidence(
            session, review=review, org=org, name=name, content=content
        )
        session.commit()
        view = crud.evidence_public(evidence, base_url=settings.base_url)
        return JSONResponse(
            view.model_dump(mode="json"),
            status_code=status.HTTP_201_CREATED if new else status.HTTP_200_OK,
        )

    return await run_in_threadpool(store)


async def read_bounded(request: Request, limit: int = MAX_EVIDENCE_BYTES) -> bytes:
    """The request body, refused (422 ``evidence_too_large``) as soon as it passes ``limit``."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise InvalidInputError(
                f"the document is larger than {limit} bytes",
                code="evidence_too_large",
                field="file",
                details=[{"limit": limit}],
            )
        chunks.append(chunk)
    return b"".join(chunks)


@router.get("/{review_id}/evidence")
def list_evidence(
    review_id: ReviewId, session: SessionDep, settings: SettingsDep, org: Reader
) -> EvidenceList:
    """The review's evidence documents with their digests, in upload order."""
    review = crud.get_review(session, review_id=review_id, org=org)
    return EvidenceList(
        data=[
            crud.evidence_public(e, base_url=settings.base_url)
            for e in crud.list_evidence(session, review)
        ]
    )


@router.get(
    "/{review_id}/evidence/{evidence_id}",
    response_class=Response,
    responses={200: {"description": "the document", "content": _EVIDENCE_TYPES}},
)
def download_evidence(
    review_id: ReviewId, evidence_id: EvidenceId, session: SessionDep, org: Reader
) -> Response:
    """One evidence document's bytes (the review's parties only)."""
    review = crud.get_review(session, review_id=review_id, org=org)
    evidence = crud.get_evidence(session, review=review, evidence_id=evidence_id)
    return evidence_response(evidence.content, evidence.media_type, evidence.name, evidence.sha256)


def evidence_response(content: bytes, media_type: str, name: str, sha256: str) -> Response:
    """A document as an attachment, never rendered by the browser as a page."""
    digest = base64.b64encode(bytes.fromhex(sha256)).decode("ascii")
    return Response(
        content,
        media_type=media_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name, safe='')}",
            "Repr-Digest": f"sha-256=:{digest}:",
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
