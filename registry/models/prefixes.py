"""Product identifier namespaces an organisation may use: GS1 company prefixes.

An enterprise claims a prefix; an admin or a certification body (or the server operator with
``tanji org prefix add --confirm``) confirms it. Only confirmed prefixes count: a footprint's
GTIN must fall under one of its organisation's, and the GS1 Digital Link resolver sends a GTIN
only to labels of the organisation holding it. Two organisations never hold overlapping confirmed
prefixes (one a prefix of the other).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Final, Literal

from pydantic import BaseModel, Field, field_validator
from pydantic_core import PydanticCustomError
from sqlalchemy import UniqueConstraint
from sqlmodel import Field as SQLField
from sqlmodel import SQLModel

from registry.models.common import StrictInput, UTCDateTime, utcnow
from registry.plaintext import PlainText

#: The namespace of GTINs: GS1 company prefixes (GS1 General Specifications, section 1.4.3).
GS1: Final = "gs1"
#: A GS1 company prefix has 6 to 12 digits (a 12-digit prefix numbers exactly one GTIN-13).
GS1_PREFIX: Final = re.compile(r"[0-9]{6,12}")
CLAIMED: Final = "claimed"
CONFIRMED: Final = "confirmed"
#: A claim an admin or certification body refused (the audit log holds the reason); claiming
#: the prefix again reopens it.
REFUSED: Final = "refused"

Scheme = Literal["gs1"]


class IdPrefix(SQLModel, table=True):
    """An organisation's claim to an identifier prefix, and who confirmed it."""

    __tablename__ = "id_prefix"
    __table_args__ = (UniqueConstraint("org_id", "scheme", "prefix"),)
    id: int | None = SQLField(default=None, primary_key=True)
    org_id: str = SQLField(foreign_key="organisation.id", index=True, max_length=64)
    scheme: str = SQLField(default=GS1, max_length=16)
    prefix: str = SQLField(index=True, max_length=32)
    status: str = SQLField(default=CLAIMED, index=True, max_length=16)  # claimed|confirmed|refused
    evidence: str | None = SQLField(default=None, max_length=500)
    claimed_at: datetime = SQLField(default_factory=utcnow, sa_type=UTCDateTime)
    confirmed_at: datetime | None = SQLField(default=None, sa_type=UTCDateTime)
    #: The admin or certification body that confirmed it; ``None`` with ``confirmed_via`` "cli":
    #: the server operator.
    confirmed_by_org_id: str | None = SQLField(
        default=None, foreign_key="organisation.id", max_length=64
    )
    confirmed_via: str | None = SQLField(default=None, max_length=16)


def check_gs1_prefix(value: str) -> str:
    """``value`` when it is a GS1 company prefix (6-12 digits), else ``PydanticCustomError``."""
    if not value.isascii() or GS1_PREFIX.fullmatch(value) is None:
        raise PydanticCustomError(
            "invalid_prefix",
            "a GS1 company prefix is 6 to 12 digits (e.g. 690123456), got '{value}'",
            {"value": value[:40]},
        )
    return value


class IdPrefixClaim(StrictInput):
    """Body of ``POST /api/v1/orgs/me/id-prefixes``."""

    prefix: str = Field(max_length=32, description="GS1 company prefix, 6-12 digits")
    scheme: Scheme = GS1
    evidence: PlainText | None = Field(
        default=None,
        max_length=500,
        description="what proves it, e.g. the GS1 member organisation's certificate number",
    )

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        return check_gs1_prefix(value)


class IdPrefixRefusal(StrictInput):
    """Body of ``POST /api/v1/orgs/{org_id}/id-prefixes/{prefix}/refuse``."""

    reason: PlainText = Field(
        min_length=1, max_length=500, description="why: what proof is missing or wrong"
    )


class IdPrefixPublic(BaseModel):
    org_id: str
    scheme: str
    prefix: str
    status: str
    evidence: str | None
    claimed_at: datetime
    confirmed_at: datetime | None
    confirmed_by_org_id: str | None
    confirmed_via: str | None


class IdPrefixesPublic(BaseModel):
    data: list[IdPrefixPublic]
    count: int
