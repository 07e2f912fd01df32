"""The inventory kind: a computed footprint's inventory, one field per line.

A footprint submitted from a calculation (:mod:`registry.accounting.submission`) stores its
inventory as an ``inventory`` record (:func:`verifier.protocol.accounting.inventory_record`,
docs/PROTOCOL.md section 17.6) in the same transaction, so each line has its own salted commitment
and can be shown to a certifier alone. Its bundle nests nothing; it is never revoked (the
footprint is).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from sqlalchemy import JSON, Column
from sqlmodel import Field, Session, SQLModel

from registry.ids import new_master_salt, new_record_id
from registry.models.common import UTCDateTime, utcnow
from registry.records.kind import RecordKind
from verifier.protocol.accounting import inventory_record
from verifier.protocol.records import INVENTORY

__all__ = ["KIND", "InventoryRecord", "new_inventory_id", "store_inventory"]


class InventoryRecord(SQLModel, table=True):
    """The anchored inventory of a computed footprint."""

    __tablename__ = "inventory_record"
    #: The record id, ``inv-…``.
    id: str = Field(primary_key=True, max_length=64)
    footprint_id: str = Field(foreign_key="footprint.id", index=True, unique=True)
    org_id: str = Field(foreign_key="organisation.id", index=True)
    #: ``keccak256(JCS(document))`` of the inventory, 0x-hex (the footprint's inventory_digest).
    digest: str = Field(max_length=66)
    record: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    master_salt: str
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


KIND: Final[RecordKind[Any]] = RecordKind(INVENTORY, InventoryRecord)


def new_inventory_id() -> str:
    """A fresh inventory record id (the footprint names it before it is stored)."""
    return new_record_id("inv")


def store_inventory(
    session: Session,
    *,
    record_id: str,
    document: dict[str, Any],
    digest: str,
    footprint_id: str,
    org_id: str,
) -> InventoryRecord:
    """Store ``document`` as the inventory record ``record_id`` and queue its leaf (no commit)."""
    row = InventoryRecord(
        id=record_id,
        footprint_id=footprint_id,
        org_id=org_id,
        digest=digest,
        record=inventory_record(document, record_id),
        master_salt="0x" + new_master_salt().hex(),
    )
    session.add(row)
    KIND.enqueue(session, row)
    return row
