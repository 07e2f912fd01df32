"""Certification review: a footprint's review thread, its events and its evidence documents.

A :class:`Review` is one enterprise's request that a certification body certify a footprint. It
moves through :class:`ReviewState` (:mod:`registry.crud.reviews` holds the transitions); every
step, comment included, is a :class:`ReviewEvent` of its thread. Footprints are content-hashed
records that never change, so a corrected footprint is a new footprint: the review's
``footprint_id`` moves to it and :class:`ReviewFootprint` remembers every footprint the thread
has held (a footprint belongs to at most one review). :class:`Evidence` documents (PDF, PNG,
JPEG) are stored in the database with their SHA-256 digest; the digests go into the label record
the approval issues, so they are anchored with it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Final

import sqlalchemy as sa
from pydantic import BaseModel, Field
from sqlmodel import Field as SQLField
from sqlmodel import SQLModel

from registry.models.common import StrictInput, UTCDateTime, utcnow
from registry.models.labels import LabelPublic, Validity
from registry.plaintext import MultilineText

#: The largest evidence document accepted (10 MiB).
MAX_EVIDENCE_BYTES: Final = 10 * 1024 * 1024
#: Evidence documents a review holds at most.
MAX_EVIDENCE_PER_REVIEW: Final = 50
#: The longest comment, change request or decision note.
MAX_REVIEW_TEXT: Final = 4000


class ReviewState(StrEnum):
    """Where a review stands."""

    SUBMITTED = "submitted"  # in the queue, no certification body has claimed it
    IN_REVIEW = "in_review"  # a certification body's reviewer claimed it
    CHANGES_REQUESTED = "changes_requested"  # waiting for the enterprise's corrected footprint
    RESUBMITTED = "resubmitted"  # a corrected footprint is back in the claiming body's queue
    APPROVED = "approved"  # the label is issued
    REJECTED = "rejected"  # refused, final
    REVOKED = "revoked"  # the label it issued was revoked


class ReviewEventKind(StrEnum):
    """What happened in a review's thread."""

    SUBMITTED = "submitted"
    CLAIMED = "claimed"
    COMMENT = "comment"
    CHANGES_REQUESTED = "changes_requested"
    RESUBMITTED = "resubmitted"
    EVIDENCE = "evidence"
    APPROVED = "approved"
    REJECTED = "rejected"
    REVOKED = "revoked"


def _state_column(enum: type[StrEnum], length: int) -> sa.Enum:
    return sa.Enum(
        enum,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
    )


class Review(SQLModel, table=True):
    """One footprint's certification review (its current footprint and state)."""

    __tablename__ = "review"

    id: str = SQLField(primary_key=True, max_length=64)
    #: The footprint under review now (a resubmission moves it to the corrected one).
    footprint_id: str = SQLField(foreign_key="footprint.id", unique=True, max_length=64)
    enterprise_org_id: str = SQLField(foreign_key="organisation.id", index=True, max_length=64)
    #: The certification body that claimed it (``None`` while it waits in the shared queue).
    certifier_org_id: str | None = SQLField(
        default=None, foreign_key="organisation.id", index=True, max_length=64
    )
    state: ReviewState = SQLField(
        default=ReviewState.SUBMITTED, sa_type=_state_column(ReviewState, 24), index=True
    )
    #: The open change request's text (while ``changes_requested`` / ``resubmitted``).
    change_request: str | None = SQLField(default=None, max_length=MAX_REVIEW_TEXT)
    #: The label the approval issued.
    label_id: str | None = SQLField(default=None, foreign_key="label.id", max_length=64)
    created_at: datetime = SQLField(default_factory=utcnow, index=True, sa_type=UTCDateTime)
    updated_at: datetime = SQLField(default_factory=utcnow, sa_type=UTCDateTime)


class ReviewFootprint(SQLModel, table=True):
    """Every footprint a review has held, in order: a footprint is in one review only."""

    __tablename__ = "review_footprint"

    footprint_id: str = SQLField(primary_key=True, foreign_key="footprint.id", max_length=64)
    review_id: str = SQLField(foreign_key="review.id", index=True, max_length=64)
    position: int
    created_at: datetime = SQLField(default_factory=utcnow, sa_type=UTCDateTime)


class ReviewEvent(SQLModel, table=True):
    """A step of a review's thread: who (organisation, key or person), what, and its text."""

    __tablename__ = "review_event"

    id: int | None = SQLField(default=None, primary_key=True)
    review_id: str = SQLField(foreign_key="review.id", index=True, max_length=64)
    kind: ReviewEventKind = SQLField(sa_type=_state_column(ReviewEventKind, 24))
    org_id: str | None = SQLField(default=None, max_length=64)
    #: The API key id or the console user id that acted (the audit actor's ``key_id``).
    actor: str | None = SQLField(default=None, max_length=64)
    via: str = SQLField(default="api", max_length=16)
    text: str | None = SQLField(default=None, max_length=MAX_REVIEW_TEXT)
    footprint_id: str | None = SQLField(default=None, max_length=64)
    evidence_id: int | None = None
    label_id: str | None = SQLField(default=None, max_length=64)
    created_at: datetime = SQLField(default_factory=utcnow, sa_type=UTCDateTime)


class Evidence(SQLModel, table=True):
    """An evidence document of a review, stored with its SHA-256 digest (once per review)."""

    __tablename__ = "review_evidence"
    __table_args__ = (sa.UniqueConstraint("review_id", "sha256", name="uq_review_evidence_digest"),)

    id: int | None = SQLField(default=None, primary_key=True)
    review_id: str = SQLField(foreign_key="review.id", index=True, max_length=64)
    #: Lower-case hex, as ``sha256sum`` prints it.
    sha256: str = SQLField(max_length=64)
    media_type: str = SQLField(max_length=32)
    name: str = SQLField(max_length=200)
    size: int
    org_id: str = SQLField(foreign_key="organisation.id", max_length=64)
    actor: str | None = SQLField(default=None, max_length=64)
    content: bytes = SQLField(sa_type=sa.LargeBinary)
    created_at: datetime = SQLField(default_factory=utcnow, sa_type=UTCDateTime)


# -- API bodies and views ------------------------------------------------------------------------


class ReviewCreate(StrictInput):
    """Body of ``POST /api/v1/reviews``: put a submitted footprint in the review queue."""

    footprint_id: str = Field(min_length=1, max_length=64)
    #: Optional: a message to the reviewer that opens the thread.
    message: MultilineText | None = Field(default=None, max_length=MAX_REVIEW_TEXT)


class ReviewText(StrictInput):
    """Body of a comment, a change request or a rejection: its text."""

    text: MultilineText = Field(min_length=1, max_length=MAX_REVIEW_TEXT)


class ReviewResubmit(StrictInput):
    """Body of ``POST /api/v1/reviews/{id}/resubmit``: the corrected footprint."""

    footprint_id: str = Field(min_length=1, max_length=64)
    message: MultilineText | None = Field(default=None, max_length=MAX_REVIEW_TEXT)


class ReviewApprove(Validity):
    """Body of ``POST /api/v1/reviews/{id}/approve``: the label's validity (as ``POST
    /api/v1/labels``)."""

    serial: str | None = Field(default=None, min_length=1, max_length=20, pattern=r"^[!-~]+$")
    notes: MultilineText | None = Field(default=None, max_length=2000)


class ReviewRevoke(StrictInput):
    """Body of ``POST /api/v1/reviews/{id}/revoke``: revoke the label the approval issued."""

    reason_code: int = Field(ge=1, le=65535, description="uint16 reason code, non-zero")
    note: MultilineText = Field(min_length=1, max_length=2000)


class EvidencePublic(BaseModel):
    id: int
    sha256: str = Field(description="SHA-256 of the document, lower-case hex")
    media_type: str
    name: str
    size: int
    org_id: str
    created_at: datetime
    download_url: str


class ReviewEventPublic(BaseModel):
    id: int
    kind: ReviewEventKind
    org_id: str | None
    via: str
    text: str | None
    footprint_id: str | None
    evidence_id: int | None
    label_id: str | None
    created_at: datetime


class ReviewPublic(BaseModel):
    id: str
    footprint_id: str
    enterprise_org_id: str
    certifier_org_id: str | None
    state: ReviewState
    change_request: str | None
    label_id: str | None
    footprints: list[str] = Field(description="every footprint the review held, oldest first")
    created_at: datetime
    updated_at: datetime


class ReviewDetail(ReviewPublic):
    events: list[ReviewEventPublic]
    evidence: list[EvidencePublic]
    label: LabelPublic | None = None


class ReviewsPublic(BaseModel):
    data: list[ReviewPublic]
    count: int


class EvidenceList(BaseModel):
    data: list[EvidencePublic]
