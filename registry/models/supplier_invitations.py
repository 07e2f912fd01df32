"""Who asked whom for an attestation: an enterprise invites a supplier to attest a component.

The customer (an enterprise) names the supplier organisation (another enterprise: a supplier is
an enterprise, docs/SUPPLY_CHAIN.md) and the component it wants attested. The invitation is
answered when the supplier's attestation of that component reaches the customer (pushed by it or
to it: ``Attestation.pushed_by_org_id`` is the customer); it is read, not stored, so an answer
that is later withdrawn shows as withdrawn. The customer may cancel an open invitation.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from pydantic import BaseModel, Field
from sqlmodel import Field as SQLField
from sqlmodel import SQLModel

from registry.models.common import StrictInput, UTCDateTime, utcnow

__all__ = [
    "CANCELLED",
    "OPEN",
    "InvitationAnswer",
    "SupplierInvitation",
    "SupplierInvitationCreate",
    "SupplierInvitationPublic",
    "SupplierInvitationsPublic",
]

OPEN: Final = "open"
CANCELLED: Final = "cancelled"


class SupplierInvitation(SQLModel, table=True):
    """A customer's request to a supplier for a signed attestation of one component."""

    __tablename__ = "supplier_invitation"
    id: int | None = SQLField(default=None, primary_key=True)
    #: The customer that asks (the enterprise whose footprint will cite the attestation).
    org_id: str = SQLField(foreign_key="organisation.id", index=True, max_length=64)
    supplier_org_id: str = SQLField(foreign_key="organisation.id", index=True, max_length=64)
    #: The component to attest, as the attestation's ``componentId`` will name it.
    component_id: str = SQLField(max_length=256)
    note: str | None = SQLField(default=None, max_length=500)
    status: str = SQLField(default=OPEN, max_length=16)  # open | cancelled
    created_at: datetime = SQLField(default_factory=utcnow, sa_type=UTCDateTime)
    cancelled_at: datetime | None = SQLField(default=None, sa_type=UTCDateTime)


class SupplierInvitationCreate(StrictInput):
    """Body of ``POST /api/v1/supplier-invitations``."""

    supplier_org_id: str = Field(min_length=1, max_length=64, description="another enterprise")
    component_id: str = Field(
        min_length=1, max_length=256, description="the componentId its attestation will name"
    )
    note: str | None = Field(default=None, max_length=500)


class InvitationAnswer(BaseModel):
    """The supplier's newest attestation of the component that reached the customer."""

    attestation_id: str
    status: str = Field(description="active, or revoked (withdrawn)")


class SupplierInvitationPublic(BaseModel):
    id: int
    org_id: str = Field(description="the customer that asks")
    supplier_org_id: str
    component_id: str
    note: str | None
    status: str = Field(description="open or cancelled")
    created_at: datetime
    cancelled_at: datetime | None
    answer: InvitationAnswer | None


class SupplierInvitationsPublic(BaseModel):
    data: list[SupplierInvitationPublic]
    count: int
