"""Supplier attestations as the registry stores them, and the push API's bodies and answers.

An attestation row holds the signed statement's anchored record (``verifier.protocol.attestation``'s
record shape: ``id`` is the EIP-712 digest), its master salt, and the columns intake and
footprints query: the supplier, the signer, the nonce (unique per supplier: replay protection),
the declared unit and the depth of its upstream chain.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final, Literal

from pydantic import BaseModel, Field
from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field as SQLField
from sqlmodel import SQLModel

from registry.models.common import StrictInput, UTCDateTime, utcnow
from verifier.protocol.records import MAX_DEPTH as MAX_BUNDLE_DEPTH

#: Longest supply chain: attestation hops below a label. The verifier parses bundles nested at
#: most ``verifier.protocol.records.MAX_DEPTH`` (8) levels, the label itself being the first.
MAX_CHAIN_DEPTH: Final = MAX_BUNDLE_DEPTH - 1
MAX_BULK: Final = 10_000
ACTIVE: Final = "active"
REVOKED: Final = "revoked"


class Attestation(SQLModel, table=True):
    """A supplier's signed attestation, stored and queued for anchoring."""

    __tablename__ = "attestation"
    __table_args__ = (UniqueConstraint("supplier_org_id", "nonce"),)
    id: str = SQLField(primary_key=True, max_length=66)  # the EIP-712 digest, 0x-hex
    supplier_org_id: str = SQLField(foreign_key="organisation.id", index=True)
    signer: str = SQLField(index=True, max_length=42)
    pushed_by_org_id: str = SQLField(foreign_key="organisation.id", index=True)
    component_id: str = SQLField(index=True, max_length=256)
    product_id: str = SQLField(max_length=256)
    declared_unit: str = SQLField(max_length=32)
    kg_co2e_per_unit: str = SQLField(max_length=40)  # canonical decimal, as signed
    nonce: str = SQLField(max_length=66)
    expiry: int
    upstream: list[str] = SQLField(sa_column=Column(JSON, nullable=False))
    #: 1 for an attestation without upstream, else 1 + the deepest upstream's depth.
    depth: int
    status: str = SQLField(default=ACTIVE, max_length=16)
    revocation_reason: int | None = None
    record: dict[str, Any] = SQLField(sa_column=Column(JSON, nullable=False))
    master_salt: str  # 0x-hex; leaves the server only in a full bundle
    received_at: datetime = SQLField(default_factory=utcnow, index=True, sa_type=UTCDateTime)


class AttestationPush(StrictInput):
    """One attestation as an enterprise pushes it: the supplier's message and signature.

    The domain is the registry's own (``GET /api/v1/attestations/eip712``); a ``domain`` sent
    along must equal it (``wrong_domain``).
    """

    message: dict[str, Any]
    signature: str
    domain: dict[str, Any] | None = None


class BulkAttestations(StrictInput):
    """Body of ``POST /api/v1/attestations/bulk``: raw items, each checked on its own."""

    items: list[Any] = Field(min_length=1, max_length=MAX_BULK)


class AttestationItemResult(BaseModel):
    index: int
    status: Literal["created", "duplicate", "error"]
    id: str | None = None
    error: dict[str, Any] | None = None


class BulkAttestationResult(BaseModel):
    created: int
    duplicates: int
    errors: int
    results: list[AttestationItemResult]


class AttestationRevoke(StrictInput):
    """Body of ``POST /api/v1/attestations/{id}/revoke``."""

    reason_code: int = Field(ge=1, le=65535, description="docs/PROTOCOL.md revocation reasons")


class AttestationPublic(BaseModel):
    id: str
    supplier_org_id: str
    supplier_name: str | None
    signer: str
    pushed_by_org_id: str
    component_id: str
    product_id: str
    declared_unit: str
    kg_co2e_per_unit: str
    upstream: list[str]
    depth: int
    status: str
    anchor_status: str | None
    record: dict[str, Any]
    received_at: datetime
