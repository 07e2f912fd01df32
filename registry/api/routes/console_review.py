"""The certification review in the console: the reviewer's queue and the enterprise's side.

- ``/console/reviews``: a certification body's review queue (unclaimed reviews and its own).
- ``/console/reviews/{id}``: one review for either party: the footprint (its inventory lines,
  breakdown and the factor-dataset versions it cites, if Tanji calculated it), its supplier hops
  with their states, the evidence documents with their SHA-256 (upload, download), the thread,
  and the actions the person may take in the review's state: claim, comment, request changes,
  approve (the grade the label will carry is shown), reject, revoke the issued label with a
  reason; the enterprise's change request and resubmission with a corrected footprint.
- ``/console/my-reviews``: an enterprise's reviews, and its submitted footprints that can be put
  in the queue.

Every action is a plain form POST (no script needed) that checks its CSRF token and its
:class:`registry.permissions.Action` (the rule the API checks), and calls
:mod:`registry.crud.reviews`, as ``/api/v1/reviews`` does. A success redirects back to the review
(303); a refusal shows the page again with the error's code and field and its 4xx status.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from registry.accounting.breakdown import footprint_calculation
from registry.api.deps import SERIAL_ID_MAX, SessionDep, wake_anchoring
from registry.api.routes.console import (
    FormFields,
    LangQuery,
    check_csrf,
    console_page,
    form_problem,
    invalid_form,
    may,
    page_language,
    permit,
    redirect_to,
)
from registry.api.routes.pages import _supply_lines
from registry.api.routes.reviews import evidence_response
from registry.crud import labels as label_crud
from registry.crud import reviews as crud
from registry.crud.attestations import label_supply_chain
from registry.crud.users import SignedIn
from registry.errors import InvalidInputError, PermissionDeniedError, RegistryError
from registry.grading import grade_footprint
from registry.i18n import Language, localized
from registry.models.footprints import Footprint
from registry.models.orgs import Organisation, OrgRole
from registry.models.reviews import (
    MAX_EVIDENCE_BYTES,
    MAX_REVIEW_TEXT,
    Review,
    ReviewApprove,
    ReviewFootprint,
    ReviewState,
)
from registry.permissions import Action, check
from registry.plaintext import check_text
from verifier.protocol.reasons import RevocationReason

__all__ = ["router"]

router = APIRouter(prefix="/console", tags=["console"], include_in_schema=False)

QueueUser = Annotated[SignedIn, Depends(permit(Action.REVIEW_COMMENT))]
SubmitUser = Annotated[SignedIn, Depends(permit(Action.FOOTPRINT_SUBMIT))]
ReadUser = Annotated[SignedIn, Depends(permit(Action.ORG_READ))]
ReviewId = Annotated[str, Path(min_length=1, max_length=64)]
EvidenceId = Annotated[int, Path(ge=1, le=SERIAL_ID_MAX)]

#: Rows a queue page shows.
PAGE_ROWS: Final = 50
#: Footprints offered for a review or a resubmission.
CANDIDATES: Final = 50
#: The validity an approval form proposes: from today, for three years.
DEFAULT_VALIDITY_DAYS: Final = 3 * 365
#: Multipart fields besides the file (the CSRF token).
FORM_FIELDS: Final = 4


# -- shared pieces ------------------------------------------------------------------------------


def _require(user: SignedIn, action: Action) -> None:
    check(action, org_role=user.org.role, user_role=user.user.role)


def _text(form: dict[str, str], name: str) -> str:
    """A text field of a form, checked like the API's body (``text`` 1..4000 characters)."""
    value = form.get(name, "").replace("\r\n", "\n").strip()
    if not value:
        raise InvalidInputError(f"{name} is empty", code="missing_field", field=name)
    if len(value) > MAX_REVIEW_TEXT:
        raise InvalidInputError(
            f"{name} is longer than {MAX_REVIEW_TEXT} characters", code="too_long", field=name
        )
    return check_text(value, field=name, multiline=True)


def _org_names(session: Session, ids: set[str | None]) -> dict[str, str]:
    wanted = [i for i in ids if i]
    if not wanted:
        return {}
    rows = session.exec(select(Organisation).where(col(Organisation.id).in_(wanted))).all()
    return {org.id: org.name for org in rows}


def _candidates(session: Session, org: Organisation, category: str | None) -> list[Footprint]:
    """The enterprise's submitted footprints in no review yet (of ``category`` when given)."""
    held = select(ReviewFootprint.footprint_id)
    query = select(Footprint).where(
        Footprint.org_id == org.id,
        Footprint.status == "submitted",
        col(Footprint.id).not_in(held),
    )
    if category is not None:
        query = query.where(Footprint.category == category)
    rows = session.exec(query.order_by(col(Footprint.created_at).desc()).limit(CANDIDATES)).all()
    return list(rows)


def _footprint_view(footprint: Footprint, lang: Language) -> dict[str, Any]:
    data = footprint.data
    return {
        "id": footprint.id,
        "product": localized(data["product_name"], lang),
        "gtin": data.get("gtin"),
        "category": data["category"],
        "kg": data["kg_co2e_per_unit"],
        "unit": data["declared_unit"],
        "boundary": data["system_boundary"],
        "period": data["reference_period"],
        "geography": data["geography"],
        "standards": data["standards"],
        "primary": data["primary_data_share"],
        "quality": data["data_quality_rating"],
        "created_at": footprint.created_at,
    }


def _grade(footprint: Footprint) -> dict[str, Any]:
    """The grade an approval would give (or why it cannot be given)."""
    data = footprint.data
    try:
        grade = grade_footprint(
            category=data["category"],
            kg_co2e_per_unit=data["kg_co2e_per_unit"],
            declared_unit=data["declared_unit"],
            system_boundary=data["system_boundary"],
        )
    except RegistryError as exc:
        return {"grade": None, "code": exc.code, "message": exc.message}
    return {"grade": grade.grade, "scheme": grade.scheme, "version": grade.scheme_version}


def _calculation(session: Session, footprint: Footprint) -> dict[str, Any] | None:
    """A calculated footprint's result (lines, breakdowns, factor versions), or why not."""
    if not footprint.data.get("calculation"):
        return None
    try:
        return {"result": footprint_calculation(session, footprint).to_dict(), "error": None}
    except RegistryError as exc:
        return {"result": None, "error": {"code": exc.code, "message": exc.message}}


def _review_page(
    request: Request,
    session: Session,
    user: SignedIn,
    review: Review,
    lang: str | None,
    *,
    error: RegistryError | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    language, t = page_language(request, lang)
    footprint = session.get(Footprint, review.footprint_id)
    assert footprint is not None  # FK
    data = footprint.data
    events = crud.list_events(session, review)
    evidence = crud.list_evidence(session, review)
    names = _org_names(
        session,
        {review.enterprise_org_id, review.certifier_org_id, *(e.org_id for e in events)},
    )
    label = None
    if review.label_id is not None:
        row = label_crud.get_label(session, label_id=review.label_id)
        label = {
            "id": row.id,
            "status": row.status,
            "grade": row.grade,
            "certificate_number": row.certificate_number,
            "evidence": row.record.get("evidence", []),
        }
    components = data.get("components") or []
    hops = _supply_lines(label_supply_chain(session, {"components": components}), language, None, t)
    enterprise = user.org.role == OrgRole.ENTERPRISE
    claimer = user.org.role == OrgRole.CERTIFICATION_BODY and (
        review.certifier_org_id == user.org.id
    )
    state = review.state
    today = date.today()
    return console_page(
        "console_review_detail.html",
        request,
        user,
        lang=lang,
        status_code=error.status_code if error is not None else 200,
        review=review,
        footprint=_footprint_view(footprint, language),
        history=crud.review_footprints(session, review),
        calculation=_calculation(session, footprint),
        factor_datasets=(data.get("calculation") or {}).get("factor_datasets", []),
        hops=hops,
        grade=_grade(footprint),
        events=events,
        evidence=evidence,
        names=names,
        label=label,
        candidates=(
            [_footprint_view(f, language) for f in _candidates(session, user.org, data["category"])]
            if enterprise and state == ReviewState.CHANGES_REQUESTED
            else []
        ),
        may={
            "claim": may(user, Action.REVIEW_COMMENT)
            and (state == ReviewState.SUBMITTED or (state == ReviewState.RESUBMITTED and claimer)),
            "comment": may(user, crud.comment_action(user.org)) and (enterprise or claimer),
            "decide": may(user, Action.REVIEW_DECIDE)
            and may(user, Action.LABEL_ISSUE)
            and claimer
            and state == ReviewState.IN_REVIEW,
            "revoke": may(user, Action.LABEL_REVOKE) and claimer and state == ReviewState.APPROVED,
            "upload": may(user, Action.EVIDENCE_UPLOAD)
            and (enterprise or claimer)
            and state in crud.OPEN_FOR_EVIDENCE,
            "resubmit": may(user, Action.FOOTPRINT_SUBMIT)
            and enterprise
            and state == ReviewState.CHANGES_REQUESTED,
        },
        reasons=[
            (reason.value, reason.name.lower())
            for reason in RevocationReason
            if reason != RevocationReason.SUPERSEDED and reason.value != 0
        ],
        valid_from=today.isoformat(),
        valid_until=(today + timedelta(days=DEFAULT_VALIDITY_DAYS)).isoformat(),
        max_evidence_mib=MAX_EVIDENCE_BYTES // (1024 * 1024),
        error=None if error is None else form_problem(error, t, area="review"),
        form=form or {},
    )


def _act(
    request: Request,
    session: Session,
    user: SignedIn,
    review_id: str,
    lang: str | None,
    form: dict[str, str],
    step: Any,
    *,
    anchor: str = "",
) -> Response:
    """Run ``step(review)`` and commit, then see the review again; on a refusal, the page with
    the error (the transaction rolled back)."""
    check_csrf(form, user)
    review = crud.get_review(session, review_id=review_id, org=user.org)
    try:
        step(review)
        session.commit()
    except RegistryError as exc:
        session.rollback()
        review = crud.get_review(session, review_id=review_id, org=user.org)
        return _review_page(request, session, user, review, lang, error=exc, form=form)
    language, _ = page_language(request, lang)
    return redirect_to(f"/console/reviews/{review_id}", language, anchor)


# -- the reviewer's queue -----------------------------------------------------------------------


@router.get("/reviews", response_class=HTMLResponse)
def queue_page(
    request: Request,
    session: SessionDep,
    user: QueueUser,
    lang: LangQuery = None,
    page: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> HTMLResponse:
    language, _ = page_language(request, lang)
    rows, count = crud.list_reviews(session, org=user.org, offset=page * PAGE_ROWS, limit=PAGE_ROWS)
    footprints = {
        f.id: _footprint_view(f, language)
        for f in session.exec(
            select(Footprint).where(col(Footprint.id).in_([r.footprint_id for r in rows]))
        ).all()
    }
    names = _org_names(session, {r.enterprise_org_id for r in rows})
    return console_page(
        "console_review_queue.html",
        request,
        user,
        lang=lang,
        reviews=rows,
        footprints=footprints,
        names=names,
        count=count,
        page=page,
        pages=max(1, -(-count // PAGE_ROWS)),
    )


# -- the enterprise's reviews -------------------------------------------------------------------


def _mine_page(
    request: Request,
    session: Session,
    user: SignedIn,
    lang: str | None,
    *,
    error: RegistryError | None = None,
) -> HTMLResponse:
    language, t = page_language(request, lang)
    rows, count = crud.list_reviews(session, org=user.org, offset=0, limit=PAGE_ROWS)
    footprints = {
        f.id: _footprint_view(f, language)
        for f in session.exec(
            select(Footprint).where(col(Footprint.id).in_([r.footprint_id for r in rows]))
        ).all()
    }
    return console_page(
        "console_review_mine.html",
        request,
        user,
        lang=lang,
        status_code=error.status_code if error is not None else 200,
        reviews=rows,
        footprints=footprints,
        names=_org_names(session, {r.certifier_org_id for r in rows}),
        count=count,
        candidates=[_footprint_view(f, language) for f in _candidates(session, user.org, None)],
        error=None if error is None else form_problem(error, t, area="review"),
    )


@router.get("/my-reviews", response_class=HTMLResponse)
def mine_page(
    request: Request, session: SessionDep, user: SubmitUser, lang: LangQuery = None
) -> HTMLResponse:
    return _mine_page(request, session, user, lang)


@router.post("/my-reviews", response_class=HTMLResponse, response_model=None)
def open_review(
    request: Request,
    session: SessionDep,
    user: SubmitUser,
    form: FormFields,
    lang: LangQuery = None,
) -> Response:
    """Put a footprint in the review queue (the form names it; an optional message)."""
    check_csrf(form, user)
    try:
        message = form.get("message", "").strip() or None
        if message is not None:
            message = _text(form, "message")
        review = crud.open_review(
            session, org=user.org, footprint_id=form.get("footprint_id", ""), message=message
        )
        session.commit()
    except RegistryError as exc:
        session.rollback()
        return _mine_page(request, session, user, lang, error=exc)
    language, _ = page_language(request, lang)
    return redirect_to(f"/console/reviews/{review.id}", language)


# -- one review ---------------------------------------------------------------------------------


@router.get("/reviews/{review_id}", response_class=HTMLResponse)
def review_page(
    review_id: ReviewId,
    request: Request,
    session: SessionDep,
    user: ReadUser,
    lang: LangQuery = None,
) -> HTMLResponse:
    review = crud.get_review(session, review_id=review_id, org=user.org)
    return _review_page(request, session, user, review, lang)


@router.post("/reviews/{review_id}/claim", response_class=HTMLResponse, response_model=None)
def claim(
    review_id: ReviewId,
    request: Request,
    session: SessionDep,
    user: QueueUser,
    form: FormFields,
    lang: LangQuery = None,
) -> Response:
    return _act(
        request,
        session,
        user,
        review_id,
        lang,
        form,
        lambda review: crud.claim(session, review=review, org=user.org),
    )


@router.post("/reviews/{review_id}/comment", response_class=HTMLResponse, response_model=None)
def comment(
    review_id: ReviewId,
    request: Request,
    session: SessionDep,
    user: ReadUser,
    form: FormFields,
    lang: LangQuery = None,
) -> Response:
    def step(review: Review) -> None:
        _require(user, crud.comment_action(user.org))
        crud.comment(session, review=review, org=user.org, text=_text(form, "text"))

    return _act(request, session, user, review_id, lang, form, step, anchor="#thread")


@router.post(
    "/reviews/{review_id}/request-changes", response_class=HTMLResponse, response_model=None
)
def request_changes(
    review_id: ReviewId,
    request: Request,
    session: SessionDep,
    user: Annotated[SignedIn, Depends(permit(Action.REVIEW_DECIDE))],
    form: FormFields,
    lang: LangQuery = None,
) -> Response:
    return _act(
        request,
        session,
        user,
        review_id,
        lang,
        form,
        lambda review: crud.request_changes(
            session, review=review, org=user.org, text=_text(form, "change_request")
        ),
    )


@router.post("/reviews/{review_id}/approve", response_class=HTMLResponse, response_model=None)
def approve(
    review_id: ReviewId,
    request: Request,
    session: SessionDep,
    user: Annotated[SignedIn, Depends(permit(Action.REVIEW_DECIDE))],
    form: FormFields,
    lang: LangQuery = None,
) -> Response:
    def step(review: Review) -> None:
        _require(user, Action.LABEL_ISSUE)
        fields = {
            "valid_from": form.get("valid_from", ""),
            "valid_until": form.get("valid_until", ""),
            "serial": form.get("serial", "").strip() or None,
            "notes": form.get("notes", "").replace("\r\n", "\n").strip() or None,
        }
        try:
            body = ReviewApprove.model_validate(fields)
        except ValidationError as exc:
            raise invalid_form(exc) from None
        crud.approve(session, review=review, org=user.org, body=body)

    response = _act(request, session, user, review_id, lang, form, step)
    if response.status_code == 303:
        wake_anchoring(request)
    return response


@router.post("/reviews/{review_id}/reject", response_class=HTMLResponse, response_model=None)
def reject(
    review_id: ReviewId,
    request: Request,
    session: SessionDep,
    user: Annotated[SignedIn, Depends(permit(Action.REVIEW_DECIDE))],
    form: FormFields,
    lang: LangQuery = None,
) -> Response:
    return _act(
        request,
        session,
        user,
        review_id,
        lang,
        form,
        lambda review: crud.reject(
            session, review=review, org=user.org, text=_text(form, "reason")
        ),
    )


@router.post("/reviews/{review_id}/revoke", response_class=HTMLResponse, response_model=None)
def revoke(
    review_id: ReviewId,
    request: Request,
    session: SessionDep,
    user: Annotated[SignedIn, Depends(permit(Action.LABEL_REVOKE))],
    form: FormFields,
    lang: LangQuery = None,
) -> Response:
    def step(review: Review) -> None:
        raw = form.get("reason_code", "")
        if not raw.isdigit() or not 1 <= int(raw) <= 65535:
            raise InvalidInputError(
                "choose a revocation reason", code="invalid_reason", field="reason_code"
            )
        crud.revoke(session, review=review, org=user.org, reason=int(raw), note=_text(form, "note"))

    response = _act(request, session, user, review_id, lang, form, step)
    if response.status_code == 303:
        wake_anchoring(request)
    return response


@router.post("/reviews/{review_id}/resubmit", response_class=HTMLResponse, response_model=None)
def resubmit(
    review_id: ReviewId,
    request: Request,
    session: SessionDep,
    user: SubmitUser,
    form: FormFields,
    lang: LangQuery = None,
) -> Response:
    def step(review: Review) -> None:
        message = form.get("message", "").strip() or None
        crud.resubmit(
            session,
            review=review,
            org=user.org,
            footprint_id=form.get("footprint_id", ""),
            message=None if message is None else _text(form, "message"),
        )

    return _act(request, session, user, review_id, lang, form, step)


# -- evidence -----------------------------------------------------------------------------------


@router.post("/reviews/{review_id}/evidence", response_class=HTMLResponse, response_model=None)
async def upload_evidence(
    review_id: ReviewId,
    request: Request,
    session: SessionDep,
    user: Annotated[SignedIn, Depends(permit(Action.EVIDENCE_UPLOAD))],
    lang: LangQuery = None,
) -> Response:
    """A ``multipart/form-data`` upload (the file and the CSRF token), bounded in size."""
    fields: dict[str, str] = {}
    content, name = b"", ""
    problem: RegistryError | None = None
    try:
        async with request.form(
            max_files=1, max_fields=FORM_FIELDS, max_part_size=64 * 1024
        ) as form:
            for key, value in form.multi_items():
                if isinstance(value, UploadFile):
                    name = value.filename or "document"
                    content = await value.read(MAX_EVIDENCE_BYTES + 1)
                else:
                    fields.setdefault(key, value)
    except Exception as exc:  # starlette's MultiPartException: a malformed or oversized form
        problem = InvalidInputError(
            f"the upload form could not be read: {exc}", code="bad_form", field="file"
        )

    def store() -> Response:
        check_csrf(fields, user)
        if problem is not None:
            review = crud.get_review(session, review_id=review_id, org=user.org)
            return _review_page(request, session, user, review, lang, error=problem)
        if not content and not name:
            missing = InvalidInputError("choose a file", code="missing_field", field="file")
            review = crud.get_review(session, review_id=review_id, org=user.org)
            return _review_page(request, session, user, review, lang, error=missing)
        return _act(
            request,
            session,
            user,
            review_id,
            lang,
            fields,
            lambda review: crud.add_evidence(
                session, review=review, org=user.org, name=name, content=content
            ),
            anchor="#evidence",
        )

    return await run_in_threadpool(store)


@router.get("/reviews/{review_id}/evidence/{evidence_id}")
def download_evidence(
    review_id: ReviewId,
    evidence_id: EvidenceId,
    session: SessionDep,
    user: ReadUser,
) -> Response:
    """A document, to the review's parties (as an attachment, never shown as a page)."""
    review = crud.get_review(session, review_id=review_id, org=user.org)
    if user.org.role not in (OrgRole.ENTERPRISE, OrgRole.CERTIFICATION_BODY):
        raise PermissionDeniedError("not a party of this review", code="forbidden_role")
    evidence = crud.get_evidence(session, review=review, evidence_id=evidence_id)
    return evidence_response(evidence.content, evidence.media_type, evidence.name, evidence.sha256)
