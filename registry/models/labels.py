"""Carbon labels: a certification body's certified statement about one footprint."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field, model_validator
from pydantic_core import PydanticCustomError
from sqlalchemy import JSON, Column, Index
from sqlmodel import Field as SQLField
from sqlmodel import SQLModel

from registry.models.common import StrictInput, UTCDateTime, utcnow
from registry.plaintext import MultilineText


class Validity(StrictInput):
    valid_from: date
    valid_until: date

    @model_validator(mode="after")
    def _ordered(self) -> Validity:
        if self.valid_from >= self.valid_until:
            raise PydanticCustomError(
                "invalid_validity", "valid_from must be before valid_until", {"loc": "valid_until"}
            )
        return self


class LabelCreate(Validity):
    """Body of ``POST /api/v1/labels``: certify ``footprint_id`` and issue its label."""

    footprint_id: str = Field(min_length=1, max_length=64)
    #: Serial of the labelled item or lot (GS1 AI 21) for the Digital Link; optional.
    serial: str | None = Field(default=None, min_length=1, max_length=20, pattern=r"^[!-~]+$")
    notes: MultilineText | None = Field(default=None, max_length=2000)


class LabelSupersede(Validity):
    """Body of ``POST /api/v1/labels/{id}/supersede``: the corrected footprint's new label."""

    footprint_id: str = Field(min_length=1, max_length=64)
    serial: str | None = Field(default=None, min_length=1, max_length=20, pattern=r"^[!-~]+$")
    notes: MultilineText | None = Field(default=None, max_length=2000)


class LabelReissue(Validity):
    """Body of ``POST /api/v1/labels/{id}/reissue``: a new label for a revoked label's footprint.

    Only the certification body that revoked the label may reissue it, once.
    """

    serial: str | None = Field(default=None, min_length=1, max_length=20, pattern=r"^[!-~]+$")
    notes: MultilineText | None = Field(default=None, max_length=2000)


class LabelRevoke(StrictInput):
    """Body of ``POST /api/v1/labels/{id}/revoke``."""

    reason_code: int = Field(ge=1, le=65535, description="uint16 reason code, non-zero")
    note: MultilineText | None = Field(default=None, max_length=2000)


class Label(SQLModel, table=True):
    """An issued label and its anchored record."""

    __tablename__ = "label"
    # The city's aggregates (registry.city.stats): a month range, grouped by grade, by the
    # footprint's category or by the enterprise's district, read from the index alone.
    __table_args__ = (
        Index("ix_label_stats", "created_at", "grade", "enterprise_org_id", "footprint_id"),
    )
    id: str = SQLField(primary_key=True)
    footprint_id: str = SQLField(foreign_key="footprint.id", index=True)
    enterprise_org_id: str = SQLField(foreign_key="organisation.id", index=True)
    certifier_org_id: str = SQLField(foreign_key="organisation.id", index=True)
    certificate_number: str = SQLField(unique=True)
    gtin: str | None = SQLField(default=None, index=True)
    serial: str | None = SQLField(default=None, index=True)
    valid_from: date
    valid_until: date
    grade: str
    status: str = SQLField(default="active")  # active | revoked | superseded
    record: dict[str, Any] = SQLField(sa_column=Column(JSON, nullable=False))
    master_salt: str
    revocation_reason: int | None = None
    revocation_note: str | None = None
    revoked_at: datetime | None = SQLField(default=None, sa_type=UTCDateTime)
    supersedes: str | None = SQLField(default=None, foreign_key="label.id")
    superseded_by: str | None = SQLField(default=None, foreign_key="label.id")
    #: The revoked label this one reissues (its revoking body's explicit decision); once each.
    reissue_of: str | None = SQLField(default=None, foreign_key="label.id", unique=True, index=True)
    created_at: datetime = SQLField(default_factory=utcnow, index=True, sa_type=UTCDateTime)


class AnchorFinality(BaseModel):
    """How deep a record's anchoring block is while its batch is not final (the bundle's
    ``finality`` member, verifier/protocol/finality.py)."""

    final: bool
    confirmations: int = Field(ge=0, description="blocks mined on top of the anchoring block")
    required: int = Field(ge=0, description="confirmations before the anchor is final")


class LabelPublic(BaseModel):
    id: str
    certificate_number: str
    footprint_id: str
    status: str
    anchor_status: str | None = Field(
        description="pending (queued), batched (in flight), mined (in a block, not final yet: "
        "see finality), anchored (final); null: never queued"
    )
    finality: AnchorFinality | None = Field(
        default=None,
        description="while the anchoring block has fewer confirmations than the deployment "
        "requires: {final, confirmations, required}, as in the bundle",
    )
    revocation_status: str | None = None
    grade: str
    valid_from: date
    valid_until: date
    gtin: str | None
    serial: str | None
    url: str
    bundle_url: str
    record: dict[str, Any]
    revocation_reason: int | None
    revocation_note: str | None
    revoked_at: datetime | None
    supersedes: str | None
    superseded_by: str | None
    reissue_of: str | None = None
    created_at: datetime


class LabelsPublic(BaseModel):
    data: list[LabelPublic]
    count: int
