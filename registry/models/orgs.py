"""Organisations and their API keys."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field
from sqlmodel import Field as SQLField
from sqlmodel import SQLModel

from registry.models.common import StrictInput, UTCDateTime, utcnow
from registry.plaintext import PlainText


class OrgRole(StrEnum):
    """What an organisation may do."""

    ENTERPRISE = "enterprise"  # submits its own product footprints
    CERTIFICATION_BODY = "certification_body"  # certifies footprints, issues and revokes labels
    PARTNER_CERTIFIER = "partner_certifier"  # a foreign certifier (SG, HK): reads labels
    PUBLISHER = "publisher"  # publishes signed emission-factor dataset versions
    ADMIN = "admin"  # creates organisations, reads everything


class OrgBase(SQLModel):
    name: str = SQLField(min_length=1, max_length=200)
    role: OrgRole
    address: str | None = SQLField(default=None, max_length=500)


class Organisation(OrgBase, table=True):
    """An organisation known to the registry."""

    __tablename__ = "organisation"
    id: str = SQLField(primary_key=True)
    created_at: datetime = SQLField(default_factory=utcnow, sa_type=UTCDateTime)
    #: The Chongqing district it is registered in (an id of registry/data/districts.json): where
    #: its footprints and labels count in the city's aggregates (registry.city.stats).
    district: str | None = SQLField(default=None, index=True, max_length=32)


class ApiKey(SQLModel, table=True):
    """An API key of an organisation, stored only as a SHA-256 hash (see registry.security)."""

    __tablename__ = "api_key"
    id: int | None = SQLField(default=None, primary_key=True)
    org_id: str = SQLField(foreign_key="organisation.id", index=True)
    key_id: str = SQLField(unique=True, index=True)
    key_hash: str
    created_at: datetime = SQLField(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = SQLField(default=None, sa_type=UTCDateTime)


class OrgCreate(StrictInput):
    """Body of ``POST /api/v1/orgs``."""

    name: PlainText = Field(min_length=1, max_length=200)
    role: OrgRole
    address: PlainText | None = Field(default=None, max_length=500)
    district: str | None = Field(
        default=None,
        max_length=32,
        description="Chongqing district id (registry/data/districts.json, e.g. yuzhong)",
    )


class OrgDistrict(StrictInput):
    """Body of ``PUT /api/v1/orgs/{org_id}/district``."""

    district: str | None = Field(
        max_length=32, description="a district id of registry/data/districts.json, or null"
    )


class OrgPublic(BaseModel):
    id: str
    name: str
    role: OrgRole
    address: str | None
    created_at: datetime
    district: str | None = None


class OrgCreated(OrgPublic):
    """The answer to creating an organisation: carries its first API key, shown once."""

    api_key: str


class OrgsPublic(BaseModel):
    data: list[OrgPublic]
    count: int
