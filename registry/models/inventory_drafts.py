"""Inventory drafts: an enterprise's ``tanji-inventory/1`` document while it is being edited.

A draft is stored per organisation (:mod:`registry.accounting.drafts` holds the rules: upload,
line edits, calculation, submission as a footprint). It is not a record and is never anchored:
what is anchored is the inventory of the footprint it is submitted as.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from registry.models.common import UTCDateTime, utcnow

__all__ = ["InventoryDraft", "InventoryDraftPublic", "InventoryDraftsPublic"]


class InventoryDraft(SQLModel, table=True):
    """An inventory being edited by an enterprise."""

    __tablename__ = "inventory_draft"
    #: ``draft-…``.
    id: str = Field(primary_key=True, max_length=64)
    org_id: str = Field(foreign_key="organisation.id", index=True, max_length=64)
    #: The ``tanji-inventory/1`` document (always one the verifier's parser accepts).
    document: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    #: From the document, kept beside it so a list of drafts does not read every document:
    #: its ``id``, its ``product.names`` and how many root lines it has.
    inventory_id: str = Field(default="", max_length=128)
    names: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    line_count: int = Field(default=0)
    #: Incremented by every change: a change made from an older revision is refused.
    revision: int = Field(default=1)
    #: The footprint it was last submitted as, if any.
    footprint_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class InventoryDraftPublic(BaseModel):
    """A draft as the API gives it."""

    id: str
    revision: int
    inventory_id: str
    line_count: int
    footprint_id: str | None
    created_at: datetime
    updated_at: datetime
    inventory: dict[str, Any] | None = None


class InventoryDraftsPublic(BaseModel):
    """A list of drafts (without their documents)."""

    data: list[InventoryDraftPublic]
    count: int
