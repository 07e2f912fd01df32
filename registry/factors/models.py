"""Tables and API schemas of the factor database (docs/ACCOUNTING.md, "Factor database").

- :class:`FactorDatasetVersion`: one signed version of a dataset (its ``tanji-factors/1``
  document, signature and anchored ``factor_dataset`` record), never changed once stored;
- :class:`FactorDatasetRevocation`: a version withdrawn with its publisher's revoked key;
- :class:`Factor`: one factor of a version, with the columns search and browsing need;
- :class:`FootprintFactor`: which footprint used which factor of which version (written by the
  calculation, read by the impact of a new version's deprecations).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field as SQLField
from sqlmodel import SQLModel

from registry.models.common import StrictInput, UTCDateTime, utcnow


class FactorDatasetVersion(SQLModel, table=True):
    """A published version of a factor dataset: immutable once stored."""

    __tablename__ = "factor_dataset_version"
    __table_args__ = (
        UniqueConstraint("dataset", "version"),
        UniqueConstraint("dataset", "seq"),
    )
    #: The record id, ``dataset@version``.
    id: str = SQLField(primary_key=True, max_length=96)
    dataset: str = SQLField(index=True, max_length=63)
    version: str = SQLField(max_length=32)
    #: 1, 2, 3 … in the order the dataset's versions were published: "earlier" means lower.
    seq: int
    #: ``keccak256(JCS(document))``, 0x-hex.
    digest: str = SQLField(max_length=66)
    org_id: str = SQLField(foreign_key="organisation.id", index=True)
    signer: str = SQLField(index=True, max_length=42)
    factor_count: int
    #: The factor ids of earlier versions this version retires.
    deprecates: list[str] = SQLField(sa_column=Column(JSON, nullable=False))
    document: dict[str, Any] = SQLField(sa_column=Column(JSON, nullable=False))
    record: dict[str, Any] = SQLField(sa_column=Column(JSON, nullable=False))
    master_salt: str
    created_at: datetime = SQLField(default_factory=utcnow, index=True, sa_type=UTCDateTime)


class FactorDatasetRevocation(SQLModel, table=True):
    """A version withdrawn with its publisher's signing key (registry.crud.key_revocation):
    calculations refuse it, its leaf is revoked on chain (reason key compromise) and
    ``tanji factors impact`` lists the footprints that used it. Versions themselves never
    change, so the withdrawal is a row of its own."""

    __tablename__ = "factor_dataset_revocation"
    version_id: str = SQLField(
        foreign_key="factor_dataset_version.id", primary_key=True, max_length=96
    )
    #: The revoked key (the version's signer).
    key_address: str = SQLField(max_length=42)
    #: The on-chain revocation reason code (verifier.protocol.reasons).
    reason: int
    revoked_at: datetime = SQLField(default_factory=utcnow, sa_type=UTCDateTime)


class Factor(SQLModel, table=True):
    """One factor of a stored version (its document member in ``data``)."""

    __tablename__ = "factor"
    __table_args__ = (UniqueConstraint("version_id", "factor_id"),)
    id: int | None = SQLField(default=None, primary_key=True)
    version_id: str = SQLField(foreign_key="factor_dataset_version.id", index=True, max_length=96)
    dataset: str = SQLField(index=True, max_length=63)
    version: str = SQLField(max_length=32)
    factor_id: str = SQLField(index=True, max_length=128)
    #: Lower-cased id and names in every language, one per line: what ``q`` searches.
    search_text: str
    category: str | None = SQLField(default=None, index=True, max_length=16)
    geography: str = SQLField(index=True, max_length=16)
    year: int
    illustrative: bool = SQLField(index=True)
    #: The factor as the document has it.
    data: dict[str, Any] = SQLField(sa_column=Column(JSON, nullable=False))


class FootprintFactor(SQLModel, table=True):
    """A factor (dataset, version, id) a footprint's calculation used (docs/ACCOUNTING.md,
    "Footprint provenance")."""

    __tablename__ = "footprint_factor"
    __table_args__ = (Index("ix_footprint_factor_dataset_factor", "dataset", "factor_id"),)
    footprint_id: str = SQLField(foreign_key="footprint.id", primary_key=True)
    dataset: str = SQLField(primary_key=True, max_length=63)
    version: str = SQLField(primary_key=True, max_length=32)
    factor_id: str = SQLField(primary_key=True, max_length=128)


# --- API schemas --------------------------------------------------------------------------------


class SignedDataset(StrictInput):
    """Body of ``POST /api/v1/factors/datasets``: a ``tanji-factors/1`` document and the
    publisher key's EIP-712 signature of ``FactorDataset(dataset, version, digest)``."""

    document: dict[str, Any] = Field(
        description="the tanji-factors/1 document (docs/ACCOUNTING.md)"
    )
    signature: str = Field(description="0x-hex, 65 bytes r || s || v")

    model_config = ConfigDict(extra="forbid")


class DatasetVersionPublic(BaseModel):
    """A stored dataset version (without its factors)."""

    id: str
    dataset: str
    version: str
    digest: str
    publisher: dict[str, Any]
    org_id: str
    signer: str
    published: str | None
    factor_count: int
    deprecates: list[str]
    anchor_status: str | None
    created_at: datetime
    url: str


class DatasetVersionsPublic(BaseModel):
    data: list[DatasetVersionPublic]
    count: int


class FactorPublic(BaseModel):
    """One factor with where it comes from: its version and whether a later one retired it."""

    dataset: str
    version: str
    digest: str
    factor: dict[str, Any]
    deprecated_by: str | None = Field(
        default=None, description="dataset@version of the later version that deprecates it"
    )
    page_url: str


class FactorsPublic(BaseModel):
    data: list[FactorPublic]
    count: int
    limit: int
    offset: int


class ImpactedFootprint(BaseModel):
    """A certified footprint that used a factor a new version deprecates."""

    footprint_id: str
    org_id: str
    category: str
    gtin: str | None
    labels: list[str]
    factors: list[str] = Field(
        description="dataset@version:factor_id of each deprecated factor used"
    )


class ImpactPublic(BaseModel):
    dataset: str
    version: str
    deprecates: list[str]
    revoked_at: datetime | None = Field(
        default=None,
        description="when the version was withdrawn with its publisher's key: then every "
        "certified footprint that used any of its factors is listed",
    )
    data: list[ImpactedFootprint]
    count: int
