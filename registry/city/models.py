"""Tables and API schemas of the city administrator's confirmations.

:class:`PublisherConfirmation`: whether the city vouches for an organisation that publishes
emission-factor datasets (role ``publisher``). A publisher's signing keys are its own, proved by
possession (docs/ACCOUNTING.md, "Factor database"); the confirmation is the city's statement that
the organisation behind the keys is the data centre, association or lead enterprise it says it
is. One row per publisher, its current state; every change is in the audit log.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final, Literal

from pydantic import BaseModel, Field
from sqlmodel import Field as SQLField
from sqlmodel import SQLModel

from registry.models.common import StrictInput, UTCDateTime, utcnow
from registry.plaintext import PlainText

__all__ = [
    "CONFIRMED",
    "WITHDRAWN",
    "PublisherConfirmation",
    "PublisherDecision",
    "PublisherPublic",
    "PublishersPublic",
]

CONFIRMED: Final = "confirmed"
WITHDRAWN: Final = "withdrawn"
PublisherStatus = Literal["unconfirmed", "confirmed", "withdrawn"]


class PublisherConfirmation(SQLModel, table=True):
    """The city's current decision on a publisher, and who made it when."""

    __tablename__ = "publisher_confirmation"
    org_id: str = SQLField(primary_key=True, foreign_key="organisation.id", max_length=64)
    status: str = SQLField(index=True, max_length=16)  # confirmed | withdrawn
    #: The admin organisation that decided; ``None``: the server operator (CLI).
    decided_by_org_id: str | None = SQLField(
        default=None, foreign_key="organisation.id", max_length=64
    )
    decided_at: datetime = SQLField(default_factory=utcnow, sa_type=UTCDateTime)
    reason: str | None = SQLField(default=None, max_length=500)


class PublisherDecision(StrictInput):
    """Body of ``POST /api/v1/publishers/{org_id}/confirm|withdraw``."""

    reason: PlainText | None = Field(
        default=None, max_length=500, description="why (required to withdraw)"
    )


class PublisherPublic(BaseModel):
    """A publisher organisation, its signing keys in force and the city's decision."""

    org_id: str
    name: str
    status: PublisherStatus
    keys: list[str] = Field(description="its signing addresses in force")
    datasets: int = Field(description="dataset versions it published")
    decided_at: datetime | None
    decided_by_org_id: str | None
    reason: str | None


class PublishersPublic(BaseModel):
    data: list[PublisherPublic]
    count: int
