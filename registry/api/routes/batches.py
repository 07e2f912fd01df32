"""``/api/v1/batches``: anchored (and in-flight) Merkle batches."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel
from sqlmodel import col, func, select

from anchoring.ledger import AnchorBatch
from registry.api.deps import SERIAL_ID_MAX, CurrentOrg, PageDep, SessionDep
from registry.errors import NotFoundError

router = APIRouter(prefix="/api/v1/batches", tags=["batches"])


class BatchPublic(BaseModel):
    id: int
    root: str
    record_count: int
    status: str
    chain_id: int | None
    contract: str | None
    tx_hash: str | None
    block_number: int | None
    block_timestamp: int | None
    created_at: datetime
    anchored_at: datetime | None


class BatchesPublic(BaseModel):
    data: list[BatchPublic]
    count: int


def _public(batch: AnchorBatch) -> BatchPublic:
    return BatchPublic.model_validate(batch, from_attributes=True)


@router.get("")
def list_batches(session: SessionDep, org: CurrentOrg, page: PageDep) -> BatchesPublic:
    """Batches, newest first."""
    count = session.exec(select(func.count()).select_from(AnchorBatch)).one()
    rows = session.exec(
        select(AnchorBatch)
        .order_by(col(AnchorBatch.id).desc())
        .offset(page.offset)
        .limit(page.limit)
    ).all()
    return BatchesPublic(data=[_public(row) for row in rows], count=int(count))


@router.get("/{batch_id}")
def get_batch(
    batch_id: Annotated[int, Path(ge=1, le=SERIAL_ID_MAX)], session: SessionDep, org: CurrentOrg
) -> BatchPublic:
    """One batch: root, transaction, block, record count, status."""
    batch = session.get(AnchorBatch, batch_id)
    if batch is None:
        raise NotFoundError(f"batch {batch_id} does not exist", field="batch_id")
    return _public(batch)
