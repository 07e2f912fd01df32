"""Certification review: the queue, the thread's transitions, evidence documents (no commits).

States (:class:`ReviewState`) and who moves them::

    submitted ──claim──▶ in_review ──request_changes──▶ changes_requested
        ▲                 │  ▲                                  │ resubmit (enterprise,
        │                 │  └──────────claim────── resubmitted ◀┘  a corrected footprint)
    open (enterprise)     ├──approve──▶ approved ──revoke──▶ revoked
                          └──reject───▶ rejected

A step from a state that does not allow it is a :class:`ConflictError` with the code
``review_state`` and details ``{state, action, allowed_from}``. Every step writes a
:class:`ReviewEvent` to the thread and an audit entry (``review.<step>``), in the caller's
transaction. A state change is a compare-and-set ``UPDATE ... WHERE state IN (...)``, so two
requests racing for one step (two approvals) cannot both make it.

Visibility: an enterprise sees its own reviews; a certification body sees the unclaimed ones of
the shared queue and those it claimed. A review someone may not see is 404 ``not_found``.

Evidence documents are stored in the database (:class:`Evidence`), not in the data directory:
the document, its digest and its audit entry commit in one transaction (no file without its row
after a crash, no row without its file), a PostgreSQL deployment with several servers needs no
shared file system, and a database backup holds them. They are bounded
(:data:`MAX_EVIDENCE_BYTES`, :data:`MAX_EVIDENCE_PER_REVIEW`), which keeps rows small enough.
The media type is read from the document's first bytes, never from its name.
"""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.orm import defer
from sqlmodel import Session, col, func, select

from registry.audit import actor_of, record_audit
from registry.crud import labels as label_crud
from registry.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from registry.ids import new_record_id
from registry.models.footprints import Footprint
from registry.models.labels import Label, LabelCreate
from registry.models.orgs import Organisation, OrgRole
from registry.models.reviews import (
    MAX_EVIDENCE_BYTES,
    MAX_EVIDENCE_PER_REVIEW,
    Evidence,
    EvidencePublic,
    Review,
    ReviewApprove,
    ReviewDetail,
    ReviewEvent,
    ReviewEventKind,
    ReviewEventPublic,
    ReviewFootprint,
    ReviewPublic,
    ReviewState,
)
from registry.permissions import Action
from registry.plaintext import text_problem
from verifier.protocol.evidence import EVIDENCE_MEDIA_TYPES

__all__ = [
    "EVIDENCE_TYPES",
    "SUBJECT_TYPE",
    "add_evidence",
    "approve",
    "claim",
    "comment",
    "comment_action",
    "event_public",
    "evidence_member",
    "evidence_public",
    "get_evidence",
    "get_review",
    "list_events",
    "list_evidence",
    "list_reviews",
    "open_review",
    "reject",
    "request_changes",
    "resubmit",
    "review_footprints",
    "revoke",
    "sniff_media_type",
    "to_detail",
    "to_public",
]

#: The audit log's subject type of a review.
SUBJECT_TYPE: Final = "review"
#: Evidence media types and the first bytes that identify them.
EVIDENCE_TYPES: Final[tuple[tuple[bytes, str], ...]] = tuple(
    zip((b"%PDF-", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff"), EVIDENCE_MEDIA_TYPES, strict=True)
)
MAX_NAME: Final = 200

S = ReviewState


# -- reading ----------------------------------------------------------------------------------


def _visible(review: Review, org: Organisation) -> bool:
    if org.role == OrgRole.ENTERPRISE:
        return review.enterprise_org_id == org.id
    if org.role == OrgRole.CERTIFICATION_BODY:
        return review.certifier_org_id in (None, org.id)
    return False


def get_review(session: Session, *, review_id: str, org: Organisation) -> Review:
    """The review ``review_id`` if ``org`` is one of its parties (or may claim it), else 404."""
    review = session.get(Review, review_id)
    if review is None or not _visible(review, org):
        raise NotFoundError(f"review {review_id} does not exist", field="review_id")
    return review


def list_reviews(
    session: Session,
    *,
    org: Organisation,
    states: Sequence[ReviewState] = (),
    offset: int,
    limit: int,
) -> tuple[list[Review], int]:
    """An enterprise's reviews, or a certification body's queue (unclaimed and its own), oldest
    first (the queue is worked in order), optionally only in ``states``."""
    query = select(Review)
    if org.role == OrgRole.ENTERPRISE:
        query = query.where(Review.enterprise_org_id == org.id)
    elif org.role == OrgRole.CERTIFICATION_BODY:
        query = query.where(
            sa.or_(
                col(Review.certifier_org_id) == org.id,
                sa.and_(col(Review.certifier_org_id).is_(None), col(Review.state) == S.SUBMITTED),
            )
        )
    else:
        return [], 0
    if states:
        query = query.where(col(Review.state).in_(list(states)))
    count = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(Review.created_at), col(Review.id)).offset(offset).limit(limit)
    ).all()
    return list(rows), int(count)


def list_events(session: Session, review: Review) -> list[ReviewEvent]:
    """The review's thread, oldest first."""
    rows = session.exec(
        select(ReviewEvent).where(ReviewEvent.review_id == review.id).order_by(col(ReviewEvent.id))
    ).all()
    return list(rows)


def review_footprints(session: Session, review: Review) -> list[str]:
    """Every footprint the review has held, oldest first (the last is the current one)."""
    rows = session.exec(
        select(ReviewFootprint.footprint_id)
        .where(ReviewFootprint.review_id == review.id)
        .order_by(col(ReviewFootprint.position))
    ).all()
    return list(rows)


def comment_action(org: Organisation) -> Action:
    """The permission a comment needs: the reviewer's, or (the enterprise answering) the
    submitter's."""
    return Action.FOOTPRINT_SUBMIT if org.role == OrgRole.ENTERPRISE else Action.REVIEW_COMMENT


# -- steps ------------------------------------------------------------------------------------


def _snapshot(review: Review) -> dict[str, Any]:
    return {
        "id": review.id,
        "footprint_id": review.footprint_id,
        "enterprise_org_id": review.enterprise_org_id,
        "certifier_org_id": review.certifier_org_id,
        "state": str(review.state),
        "change_request": review.change_request,
        "label_id": review.label_id,
    }


def _event(
    session: Session,
    review: Review,
    kind: ReviewEventKind,
    *,
    text: str | None = None,
    footprint_id: str | None = None,
    evidence_id: int | None = None,
    label_id: str | None = None,
) -> ReviewEvent:
    actor = actor_of(session)
    event = ReviewEvent(
        review_id=review.id,
        kind=kind,
        org_id=actor.org_id,
        actor=actor.key_id,
        via=actor.via,
        text=text,
        footprint_id=footprint_id,
        evidence_id=evidence_id,
        label_id=label_id,
    )
    session.add(event)
    return event


def _state_error(review: Review, action: str, allowed: Sequence[ReviewState]) -> ConflictError:
    return ConflictError(
        f"review {review.id} is {review.state.value}; {action} needs it "
        + " or ".join(s.value for s in allowed),
        code="review_state",
        field="review_id",
        details=[
            {
                "state": review.state.value,
                "action": action,
                "allowed_from": [s.value for s in allowed],
            }
        ],
    )


def _move(
    session: Session,
    review: Review,
    action: str,
    allowed: Sequence[ReviewState],
    to: ReviewState,
    **changes: Any,
) -> dict[str, Any]:
    """Compare-and-set the state (409 ``review_state`` if it is not in ``allowed`` any more);
    returns the review's audit snapshot from before."""
    if review.state not in allowed:
        raise _state_error(review, action, allowed)
    before = _snapshot(review)
    now = datetime.now(UTC)
    values = {"state": to.value, "updated_at": now, **changes}
    result = session.execute(
        sa.update(Review)
        .where(col(Review.id) == review.id, col(Review.state).in_([s.value for s in allowed]))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        session.refresh(review)
        raise _state_error(review, action, allowed)
    session.refresh(review)
    return before


def _audit(session: Session, review: Review, step: str, before: dict[str, Any] | None) -> None:
    record_audit(
        session,
        action=f"review.{step}",
        subject_type=SUBJECT_TYPE,
        subject_id=review.id,
        before=before,
        after=_snapshot(review),
    )


def _check_claimer(review: Review, org: Organisation) -> None:
    if org.role != OrgRole.CERTIFICATION_BODY or review.certifier_org_id != org.id:
        raise PermissionDeniedError(
            f"only the certification body that claimed review {review.id} may do this",
            code="not_reviewer",
            field="review_id",
        )


def _check_enterprise(review: Review, org: Organisation) -> None:
    if review.enterprise_org_id != org.id:
        raise PermissionDeniedError(
            f"only the enterprise that opened review {review.id} may do this",
            code="not_review_enterprise",
            field="review_id",
        )


def _reviewable_footprint(
    session: Session, *, org: Organisation, footprint_id: str, field: str
) -> Footprint:
    """The enterprise's own submitted footprint, in no review yet and not labelled."""
    footprint = session.get(Footprint, footprint_id)
    if footprint is None or footprint.org_id != org.id:
        raise NotFoundError(f"footprint {footprint_id} does not exist", field=field)
    held = session.get(ReviewFootprint, footprint_id)
    if held is not None:
        raise ConflictError(
            f"footprint {footprint_id} is already in review {held.review_id}",
            code="footprint_in_review",
            field=field,
            details=[{"review_id": held.review_id}],
        )
    labelled = session.exec(select(Label.id).where(Label.footprint_id == footprint_id)).first()
    if footprint.status != "submitted" or labelled is not None:
        raise ConflictError(
            f"footprint {footprint_id} is {footprint.status} (label {labelled}); only a "
            "submitted, unlabelled footprint is reviewed",
            code="footprint_certified",
            field=field,
            details=[{"label_id": labelled}],
        )
    return footprint


def _hold(session: Session, review: Review, footprint_id: str) -> None:
    position = len(review_footprints(session, review))
    session.add(ReviewFootprint(footprint_id=footprint_id, review_id=review.id, position=position))


def open_review(
    session: Session, *, org: Organisation, footprint_id: str, message: str | None
) -> Review:
    """Put the enterprise's submitted footprint in the certification bodies' shared queue."""
    _reviewable_footprint(session, org=org, footprint_id=footprint_id, field="footprint_id")
    review = Review(id=new_record_id("rv"), footprint_id=footprint_id, enterprise_org_id=org.id)
    session.add(review)
    session.flush()
    _hold(session, review, footprint_id)
    _event(session, review, ReviewEventKind.SUBMITTED, text=message, footprint_id=footprint_id)
    session.flush()
    _audit(session, review, "open", None)
    return review


def claim(session: Session, *, review: Review, org: Organisation) -> Review:
    """A certification body takes the review (``submitted``, or its own ``resubmitted``) into
    ``in_review``. Claiming a review it already has in review is a no-op (a retry)."""
    if review.state == S.IN_REVIEW and review.certifier_org_id == org.id:
        return review
    if review.state == S.RESUBMITTED:
        _check_claimer(review, org)
    if org.role != OrgRole.CERTIFICATION_BODY:
        _check_claimer(review, org)
    before = _move(
        session,
        review,
        "claim",
        (S.SUBMITTED, S.RESUBMITTED),
        S.IN_REVIEW,
        certifier_org_id=org.id,
    )
    _event(session, review, ReviewEventKind.CLAIMED, footprint_id=review.footprint_id)
    _audit(session, review, "claim", before)
    return review


def comment(session: Session, *, review: Review, org: Organisation, text: str) -> ReviewEvent:
    """Add a comment to the thread (either party, while the review is open)."""
    if org.role == OrgRole.ENTERPRISE:
        _check_enterprise(review, org)
    else:
        _check_claimer(review, org)
    event = _event(session, review, ReviewEventKind.COMMENT, text=text)
    session.flush()
    record_audit(
        session,
        action="review.comment",
        subject_type=SUBJECT_TYPE,
        subject_id=review.id,
        after={"review_id": review.id, "event_id": event.id, "text": text},
    )
    return event


def request_changes(session: Session, *, review: Review, org: Organisation, text: str) -> Review:
    """The reviewer asks the enterprise for a corrected footprint (``text`` says what)."""
    _check_claimer(review, org)
    before = _move(
        session,
        review,
        "request_changes",
        (S.IN_REVIEW,),
        S.CHANGES_REQUESTED,
        change_request=text,
    )
    _event(session, review, ReviewEventKind.CHANGES_REQUESTED, text=text)
    _audit(session, review, "request_changes", before)
    return review


def resubmit(
    session: Session,
    *,
    review: Review,
    org: Organisation,
    footprint_id: str,
    message: str | None,
) -> Review:
    """The enterprise answers a change request with a corrected footprint (a new footprint, of
    the same product category); the old one leaves the queue, the thread goes on."""
    _check_enterprise(review, org)
    if review.state != S.CHANGES_REQUESTED:
        raise _state_error(review, "resubmit", (S.CHANGES_REQUESTED,))
    new = _reviewable_footprint(session, org=org, footprint_id=footprint_id, field="footprint_id")
    old = session.get(Footprint, review.footprint_id)
    assert old is not None  # FK
    if new.data["category"] != old.data["category"]:
        raise InvalidInputError(
            f"footprint {footprint_id} is of category {new.data['category']!r}; the review is "
            f"of {old.data['category']!r}",
            code="resubmit_other_product",
            field="footprint_id",
        )
    before = _move(
        session,
        review,
        "resubmit",
        (S.CHANGES_REQUESTED,),
        S.RESUBMITTED,
        footprint_id=footprint_id,
    )
    _hold(session, review, footprint_id)
    _event(session, review, ReviewEventKind.RESUBMITTED, text=message, footprint_id=footprint_id)
    _audit(session, review, "resubmit", before)
    return review


def approve(session: Session, *, review: Review, org: Organisation, body: ReviewApprove) -> Label:
    """Approve: issue the label (and its grade) with :func:`registry.crud.labels.issue_label`,
    its record naming the review's evidence documents by digest."""
    _check_claimer(review, org)
    if review.state != S.IN_REVIEW:
        raise _state_error(review, "approve", (S.IN_REVIEW,))
    create = LabelCreate(footprint_id=review.footprint_id, **body.model_dump())
    # The state moves first: of two approvals racing, the second waits on the review's row and
    # gets 409 before it reaches the label's checks or its certificate number.
    before = _move(session, review, "approve", (S.IN_REVIEW,), S.APPROVED)
    label = label_crud.issue_label(
        session, certifier=org, body=create, evidence=evidence_member(session, review)
    )
    review.label_id = label.id
    session.add(review)
    _event(session, review, ReviewEventKind.APPROVED, label_id=label.id, text=body.notes)
    _audit(session, review, "approve", before)
    return label


def reject(session: Session, *, review: Review, org: Organisation, text: str) -> Review:
    """Refuse the footprint (final; the enterprise may open a new review with another one)."""
    _check_claimer(review, org)
    before = _move(session, review, "reject", (S.IN_REVIEW,), S.REJECTED)
    _event(session, review, ReviewEventKind.REJECTED, text=text)
    _audit(session, review, "reject", before)
    return review


def revoke(session: Session, *, review: Review, org: Organisation, reason: int, note: str) -> Label:
    """Revoke the label the approval issued (:func:`registry.crud.labels.revoke_label`)."""
    _check_claimer(review, org)
    if review.state != S.APPROVED or review.label_id is None:
        raise _state_error(review, "revoke", (S.APPROVED,))
    label = label_crud.get_label(session, label_id=review.label_id)
    label_crud.revoke_label(session, label=label, org=org, reason=reason, note=note)
    before = _move(session, review, "revoke", (S.APPROVED,), S.REVOKED)
    _event(session, review, ReviewEventKind.REVOKED, text=note, label_id=label.id)
    _audit(session, review, "revoke", before)
    return label


#: The states of a review still deciding its footprint.
OPEN_STATES: Final = (S.SUBMITTED, S.IN_REVIEW, S.CHANGES_REQUESTED, S.RESUBMITTED)


def check_not_under_review(session: Session, footprint_id: str) -> None:
    """Refuse (409 ``under_review``) a label issued around the review that holds the footprint:
    its label comes from the review's approval, which records who decided and on what evidence."""
    review = session.exec(
        select(Review).where(
            col(Review.footprint_id) == footprint_id, col(Review.state).in_(OPEN_STATES)
        )
    ).first()
    if review is not None:
        raise ConflictError(
            f"footprint {footprint_id} is under review {review.id} ({review.state.value}): "
            "approve the review to issue its label",
            code="under_review",
            field="footprint_id",
            details=[{"review_id": review.id, "state": review.state.value}],
        )


def revoke_label(
    session: Session, *, label: Label, org: Organisation, reason: int, note: str | None
) -> Label:
    """Revoke ``label`` by whichever way it came: through its review when an approval issued it
    (so the review says revoked too, :func:`revoke`), else directly
    (:func:`registry.crud.labels.revoke_label`). The API's revoke route takes this path."""
    review = session.exec(
        select(Review).where(col(Review.label_id) == label.id, col(Review.state) == S.APPROVED)
    ).first()
    if review is not None:
        return revoke(session, review=review, org=org, reason=reason, note=note or "")
    return label_crud.revoke_label(session, label=label, org=org, reason=reason, note=note)


# -- evidence ---------------------------------------------------------------------------------


def sniff_media_type(content: bytes) -> str | None:
    """The evidence media type ``content`` starts like, or ``None``."""
    return next((kind for magic, kind in EVIDENCE_TYPES if content.startswith(magic)), None)


def _clean_name(name: str) -> str:
    base = posixpath.basename(name.replace("\\", "/")).strip() or "document"
    if len(base) > MAX_NAME:
        raise InvalidInputError(
            f"the file name is longer than {MAX_NAME} characters",
            code="name_too_long",
            field="name",
        )
    problem = text_problem(base)
    if problem is not None:
        raise InvalidInputError(f"the file name {problem}", code="bad_text", field="name")
    return base


OPEN_FOR_EVIDENCE: Final = (S.SUBMITTED, S.IN_REVIEW, S.CHANGES_REQUESTED, S.RESUBMITTED)


def add_evidence(
    session: Session, *, review: Review, org: Organisation, name: str, content: bytes
) -> tuple[Evidence, bool]:
    """Store an evidence document (PDF, PNG or JPEG by its first bytes, at most 10 MiB) with
    its SHA-256; returns it and whether it is new (the same document again is the same row)."""
    if org.role == OrgRole.ENTERPRISE:
        _check_enterprise(review, org)
    else:
        _check_claimer(review, org)
    if review.state not in OPEN_FOR_EVIDENCE:
        raise _state_error(review, "add_evidence", OPEN_FOR_EVIDENCE)
    if not content:
        raise InvalidInputError("the document is empty", code="evidence_empty", field="file")
    if len(content) > MAX_EVIDENCE_BYTES:
        raise InvalidInputError(
            f"the document is larger than {MAX_EVIDENCE_BYTES} bytes",
            code="evidence_too_large",
            field="file",
            details=[{"limit": MAX_EVIDENCE_BYTES, "size": len(content)}],
        )
    media_type = sniff_media_type(content)
    if media_type is None:
        raise InvalidInputError(
            "evidence must be a PDF, PNG or JPEG document (read from its first bytes)",
            code="evidence_type",
            field="file",
            details=[{"accepted": [kind for _, kind in EVIDENCE_TYPES]}],
        )
    clean = _clean_name(name)
    digest = hashlib.sha256(content).hexdigest()
    same = session.exec(
        select(Evidence).where(Evidence.review_id == review.id, Evidence.sha256 == digest)
    ).first()
    if same is not None:
        return same, False
    held = session.exec(
        select(func.count()).select_from(Evidence).where(Evidence.review_id == review.id)
    ).one()
    if held >= MAX_EVIDENCE_PER_REVIEW:
        raise ConflictError(
            f"review {review.id} holds {MAX_EVIDENCE_PER_REVIEW} documents already",
            code="evidence_limit",
            field="file",
        )
    actor = actor_of(session)
    evidence = Evidence(
        review_id=review.id,
        sha256=digest,
        media_type=media_type,
        name=clean,
        size=len(content),
        org_id=org.id,
        actor=actor.key_id,
        content=content,
    )
    session.add(evidence)
    session.flush()
    _event(session, review, ReviewEventKind.EVIDENCE, evidence_id=evidence.id, text=clean)
    record_audit(
        session,
        action="review.evidence",
        subject_type=SUBJECT_TYPE,
        subject_id=review.id,
        after={"review_id": review.id, "sha256": digest, "media_type": media_type, "name": clean},
    )
    return evidence, True


def list_evidence(session: Session, review: Review) -> list[Evidence]:
    """The review's documents in upload order (without loading their bytes twice)."""
    rows = session.exec(
        select(Evidence)
        .where(Evidence.review_id == review.id)
        .order_by(col(Evidence.id))
        .options(defer(Evidence.content))  # type: ignore[arg-type]
    ).all()
    return list(rows)


def get_evidence(session: Session, *, review: Review, evidence_id: int) -> Evidence:
    """One document of the review, or 404."""
    evidence = session.get(Evidence, evidence_id)
    if evidence is None or evidence.review_id != review.id:
        raise NotFoundError(f"evidence {evidence_id} does not exist", field="evidence_id")
    return evidence


def evidence_member(session: Session, review: Review) -> list[dict[str, str]]:
    """The label record's ``evidence`` member: ``{sha256, mediaType, name}`` per document."""
    return [
        {"sha256": e.sha256, "mediaType": e.media_type, "name": e.name}
        for e in list_evidence(session, review)
    ]


# -- views ------------------------------------------------------------------------------------


def evidence_public(evidence: Evidence, *, base_url: str) -> EvidencePublic:
    """The API view of a document (its bytes at ``download_url``)."""
    assert evidence.id is not None
    return EvidencePublic(
        id=evidence.id,
        sha256=evidence.sha256,
        media_type=evidence.media_type,
        name=evidence.name,
        size=evidence.size,
        org_id=evidence.org_id,
        created_at=evidence.created_at,
        download_url=f"{base_url}/api/v1/reviews/{evidence.review_id}/evidence/{evidence.id}",
    )


def to_public(session: Session, review: Review) -> ReviewPublic:
    """The API view of a review."""
    return ReviewPublic(
        id=review.id,
        footprint_id=review.footprint_id,
        enterprise_org_id=review.enterprise_org_id,
        certifier_org_id=review.certifier_org_id,
        state=review.state,
        change_request=review.change_request,
        label_id=review.label_id,
        footprints=review_footprints(session, review),
        created_at=review.created_at,
        updated_at=review.updated_at,
    )


def event_public(event: ReviewEvent) -> ReviewEventPublic:
    """The API view of a step of the thread."""
    assert event.id is not None
    return ReviewEventPublic(
        id=event.id,
        kind=event.kind,
        org_id=event.org_id,
        via=event.via,
        text=event.text,
        footprint_id=event.footprint_id,
        evidence_id=event.evidence_id,
        label_id=event.label_id,
        created_at=event.created_at,
    )


def to_detail(session: Session, review: Review, *, base_url: str) -> ReviewDetail:
    """A review with its thread, its documents and the label it issued."""
    label = None
    if review.label_id is not None:
        row = label_crud.get_label(session, label_id=review.label_id)
        label = label_crud.to_public(session, row, base_url=base_url)
    return ReviewDetail(
        **to_public(session, review).model_dump(),
        events=[event_public(e) for e in list_events(session, review)],
        evidence=[evidence_public(e, base_url=base_url) for e in list_evidence(session, review)],
        label=label,
    )
