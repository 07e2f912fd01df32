"""Supplier signing keys: the Ethereum addresses a supplier organisation signs attestations with.

A supplier is an organisation with the ``enterprise`` role (a cell maker is an enterprise that
may label its own products too); it registers one or more addresses, each proven by a signature
of that key over the registration message (EIP-191 ``personal_sign``), rotates them and revokes
them. Every key has an effective window ``[valid_from, revoked_at)``: an attestation is accepted
only while its signing key is in force at intake time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field
from sqlmodel import Field as SQLField
from sqlmodel import SQLModel

from registry.models.common import StrictInput, UTCDateTime, utcnow
from registry.plaintext import PlainText

RevocationReason = Literal["compromised", "retired"]


class SupplierKey(SQLModel, table=True):
    """One registered signing address of a supplier organisation."""

    __tablename__ = "supplier_key"
    id: int | None = SQLField(default=None, primary_key=True)
    org_id: str = SQLField(foreign_key="organisation.id", index=True)
    #: EIP-55 checksummed; an address is registered once, ever (a revoked key stays revoked).
    address: str = SQLField(unique=True, index=True, max_length=42)
    label: str | None = SQLField(default=None, max_length=200)
    valid_from: datetime = SQLField(sa_type=UTCDateTime)
    revoked_at: datetime | None = SQLField(default=None, sa_type=UTCDateTime)
    revocation_reason: str | None = SQLField(default=None, max_length=32)  # rotated | ...
    replaced_by: str | None = SQLField(default=None, max_length=42)
    created_at: datetime = SQLField(default_factory=utcnow, sa_type=UTCDateTime)


class KeyRegistration(StrictInput):
    """Body of ``POST /api/v1/suppliers/keys``: the address and its proof of possession."""

    address: str = Field(description="0x-hex Ethereum address (any case, or valid EIP-55)")
    signature: str = Field(
        description="personal_sign (EIP-191) by this key over the registration message "
        "from GET /api/v1/suppliers/keys/challenge"
    )
    valid_from: datetime | None = Field(default=None, description="default: now")
    label: PlainText | None = Field(default=None, max_length=200)


class KeyRotation(StrictInput):
    """Body of ``POST /api/v1/suppliers/keys/{address}/rotate``."""

    new_key: KeyRegistration
    effective_at: datetime | None = Field(
        default=None, description="when the old key stops and the new one starts; default now"
    )


class KeyRevocation(StrictInput):
    """Body of ``POST /api/v1/suppliers/keys/{address}/revoke``."""

    reason: RevocationReason
    effective_at: datetime | None = Field(
        default=None,
        description="from when the key's signatures are refused (may be in the past for a "
        "compromised key); default now",
    )


class RegistrationChallenge(BaseModel):
    """The exact text a key signs (``personal_sign``) to be registered to an organisation."""

    address: str
    message: str


class SupplierKeyPublic(BaseModel):
    address: str
    org_id: str
    label: str | None
    valid_from: datetime
    revoked_at: datetime | None
    revocation_reason: str | None
    replaced_by: str | None
    active: bool
    created_at: datetime


class SupplierKeysPublic(BaseModel):
    data: list[SupplierKeyPublic]
    count: int
