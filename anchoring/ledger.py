"""The anchoring ledger: which records wait for, are in, or were anchored by which batch.

The tables share ``SQLModel.metadata`` with the registry so that the registry writes a domain
record and its ledger row in one transaction: every function here takes the caller's
:class:`~sqlmodel.Session` and never commits.

Lifecycles (each step committed before the next one starts, see :mod:`anchoring.batcher`):

* record:      ``pending`` → ``batched`` (leaf index and proof stored) → ``anchored``
* batch:       ``sealed`` (root fixed) → ``sent`` (raw tx stored) → ``mined`` (in a block, fewer
  than the required confirmations on top) → ``anchored`` (final). A reorganisation that takes
  a ``mined`` batch's transaction off the chain puts it back to ``sent`` and its records to
  ``batched``; its stored transaction is sent again.
* revocation:  ``pending`` → ``sent`` → ``anchored``
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Field, Session, SQLModel, col, func, select

from anchoring.errors import LedgerError
from verifier.protocol.leaf import LEAF_ENCODING
from verifier.protocol.merkle import leaf_hash

RECORD_PENDING: Final = "pending"
RECORD_BATCHED: Final = "batched"
RECORD_ANCHORED: Final = "anchored"
BATCH_SEALED: Final = "sealed"
BATCH_SENT: Final = "sent"
BATCH_MINED: Final = "mined"
BATCH_ANCHORED: Final = "anchored"
REVOCATION_PENDING: Final = "pending"
REVOCATION_SENT: Final = "sent"
REVOCATION_ANCHORED: Final = "anchored"
MAX_REASON: Final = 2**16 - 1


class UTCDateTime(sa.TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: ledger timestamps must be timezone-aware")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def _created_at() -> Any:
    return Field(default_factory=utc_now, sa_type=UTCDateTime, nullable=False)


class AnchorBatch(SQLModel, table=True):
    """One Merkle tree of records and the transaction that anchors its root."""

    __tablename__ = "anchor_batch"

    id: int | None = Field(default=None, primary_key=True)
    root: str = Field(unique=True, index=True, max_length=66)
    record_count: int
    status: str = Field(default=BATCH_SEALED, index=True, max_length=16)
    chain_id: int | None = None
    contract: str | None = Field(default=None, max_length=42)
    tx_hash: str | None = Field(default=None, max_length=66)
    raw_tx: str | None = None
    nonce: int | None = None
    block_number: int | None = None
    block_timestamp: int | None = None
    created_at: datetime = _created_at()
    anchored_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AnchorRecord(SQLModel, table=True):
    """A record's leaf, waiting for or included in a batch."""

    __tablename__ = "anchor_record"
    __table_args__ = (sa.UniqueConstraint("record_type", "record_id"),)

    id: int | None = Field(default=None, primary_key=True)
    record_type: str = Field(max_length=64)
    record_id: str = Field(max_length=200)
    leaf_value: list[str] = Field(sa_type=sa.JSON, nullable=False)
    leaf_hash: str = Field(index=True, max_length=66)
    status: str = Field(default=RECORD_PENDING, index=True, max_length=16)
    batch_id: int | None = Field(default=None, foreign_key="anchor_batch.id", index=True)
    leaf_index: int | None = None
    proof: list[str] | None = Field(default=None, sa_type=sa.JSON)
    created_at: datetime = _created_at()


class AnchorRevocation(SQLModel, table=True):
    """A request to revoke one anchored record's leaf on chain."""

    __tablename__ = "anchor_revocation"
    __table_args__ = (sa.UniqueConstraint("record_type", "record_id"),)

    id: int | None = Field(default=None, primary_key=True)
    record_type: str = Field(max_length=64)
    record_id: str = Field(max_length=200)
    root: str = Field(max_length=66)
    leaf_hash: str = Field(max_length=66)
    reason: int
    status: str = Field(default=REVOCATION_PENDING, index=True, max_length=16)
    tx_hash: str | None = Field(default=None, max_length=66)
    raw_tx: str | None = None
    nonce: int | None = None
    block_number: int | None = None
    created_at: datetime = _created_at()


@dataclass(frozen=True)
class AnchoredLeaf:
    """Everything a bundle needs about an anchored record's leaf."""

    record_type: str
    record_id: str
    leaf_value: list[str]
    leaf_hash: str
    proof: list[str]
    root: str
    chain_id: int
    contract: str
    tx_hash: str
    block_number: int
    timestamp: int
    #: False while the block has fewer confirmations on top than the registry requires: a
    #: reorganisation may still take it off the chain (serve it only after a canonical check).
    final: bool = True


def leaf_hash_hex(leaf_value: list[str]) -> str:
    """The StandardMerkleTree leaf hash of a record's leaf value, 0x-hex."""
    return "0x" + leaf_hash(LEAF_ENCODING, leaf_value).hex()


def enqueue(
    session: Session, *, record_type: str, record_id: str, leaf_value: list[str]
) -> AnchorRecord:
    """Queue a record's leaf for anchoring (idempotent for the same record and leaf).

    Raises :class:`LedgerError` (``leaf_conflict``) when the record is already queued with a
    different leaf: an anchored record cannot change.
    """
    value = _checked_leaf_value(record_type, record_id, leaf_value)
    existing = _record(session, record_type, record_id)
    if existing is not None:
        if list(existing.leaf_value) != value:
            raise LedgerError(
                f"{record_type} {record_id} is already queued with a different leaf",
                code="leaf_conflict",
                field="leaf_value",
            )
        return existing
    row = AnchorRecord(
        record_type=record_type,
        record_id=record_id,
        leaf_value=value,
        leaf_hash=leaf_hash_hex(value),
    )
    session.add(row)
    session.flush()
    return row


def enqueue_new(session: Session, leaves: Sequence[tuple[str, str, Sequence[str]]]) -> None:
    """Queue the leaves of records created in this transaction, in one multi-row insert.

    ``leaves`` are ``(record_type, record_id, leaf_value)``. The bulk intake path: unlike
    :func:`enqueue` it neither looks for an earlier row of each record nor flushes per row (about
    ten times faster for thousands of records), so it is only for records the caller has just
    created with new ids. A record already queued makes the insert raise SQLAlchemy's
    ``IntegrityError`` (the unique record constraint), after which the caller's transaction must
    be rolled back; nothing of it is kept.
    """
    if not leaves:
        return
    now = utc_now()
    rows = []
    for record_type, record_id, leaf_value in leaves:
        value = _checked_leaf_value(record_type, record_id, leaf_value)
        rows.append(
            {
                "record_type": record_type,
                "record_id": record_id,
                "leaf_value": value,
                "leaf_hash": leaf_hash_hex(value),
                "status": RECORD_PENDING,
                "created_at": now,
            }
        )
    session.execute(sa.insert(AnchorRecord), rows)


def _checked_leaf_value(record_type: str, record_id: str, leaf_value: Sequence[str]) -> list[str]:
    value = [str(v) for v in leaf_value]
    if len(value) != len(LEAF_ENCODING) or value[0] != record_type or value[1] != record_id:
        raise LedgerError(
            "leaf value must be [record_type, record_id, 0x-digest] of this record",
            code="invalid_leaf",
            field="leaf_value",
        )
    return value


def record_status(session: Session, *, record_type: str, record_id: str) -> str | None:
    """``pending``, ``batched`` or ``anchored``; ``None`` for a record never queued."""
    row = _record(session, record_type, record_id)
    return None if row is None else row.status


def anchored_leaf(session: Session, *, record_type: str, record_id: str) -> AnchoredLeaf | None:
    """The leaf, proof and anchor of an anchored record; ``None`` until it is anchored."""
    row = _record(session, record_type, record_id)
    if row is None or row.status != RECORD_ANCHORED or row.batch_id is None:
        return None
    return leaf_of(row, session.get(AnchorBatch, row.batch_id))


def leaf_of(row: Any, batch: Any) -> AnchoredLeaf | None:
    """The :class:`AnchoredLeaf` of a record's ledger row and its batch (any objects with the
    columns of :class:`AnchorRecord` and :class:`AnchorBatch` as attributes, e.g. the row of a
    joined read); ``None`` unless the record is anchored in a mined or final batch."""
    if row is None or row.status != RECORD_ANCHORED or row.batch_id is None:
        return None
    if batch is None or batch.status not in (BATCH_ANCHORED, BATCH_MINED):
        return None
    return AnchoredLeaf(
        record_type=row.record_type,
        record_id=row.record_id,
        leaf_value=list(row.leaf_value),
        leaf_hash=row.leaf_hash,
        proof=list(row.proof or []),
        root=batch.root,
        chain_id=int(batch.chain_id or 0),
        contract=str(batch.contract),
        tx_hash=str(batch.tx_hash),
        block_number=int(batch.block_number or 0),
        timestamp=int(batch.block_timestamp or 0),
        final=batch.status == BATCH_ANCHORED,
    )


def request_revocation(
    session: Session, *, record_type: str, record_id: str, reason: int
) -> AnchorRevocation:
    """Queue the on-chain revocation of an anchored record's leaf (idempotent).

    Raises :class:`LedgerError` when the record is not anchored yet, the reason code is not a
    non-zero uint16, or the record was already revoked with another reason.
    """
    # An int or an IntEnum member (verifier.protocol.reasons.RevocationReason), never a bool.
    if isinstance(reason, bool) or not isinstance(reason, int) or not 0 < reason <= MAX_REASON:
        raise LedgerError(
            f"reason must be an integer in 1..{MAX_REASON}", code="invalid_reason", field="reason"
        )
    reason = int(reason)
    existing = revocation_of(session, record_type=record_type, record_id=record_id)
    if existing is not None:
        if existing.reason != reason:
            raise LedgerError(
                f"{record_type} {record_id} is already revoked with reason {existing.reason}",
                code="already_revoked",
                field="reason",
            )
        return existing
    leaf = anchored_leaf(session, record_type=record_type, record_id=record_id)
    if leaf is None:
        raise LedgerError(
            f"{record_type} {record_id} is not anchored yet; it cannot be revoked on chain",
            code="not_anchored",
            field="record_id",
        )
    row = AnchorRevocation(
        record_type=record_type,
        record_id=record_id,
        root=leaf.root,
        leaf_hash=leaf.leaf_hash,
        reason=reason,
    )
    # Another transaction may queue the same revocation between our read and our insert (an API
    # revocation racing the anchoring loop's sweep, on either database: pysqlite reads outside a
    # transaction). INSERT ... ON CONFLICT DO NOTHING lets theirs stand without a savepoint.
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else postgresql_insert
    session.execute(
        insert(AnchorRevocation)
        .values(**row.model_dump(exclude={"id"}))
        .on_conflict_do_nothing(index_elements=["record_type", "record_id"])
    )
    stored = revocation_of(session, record_type=record_type, record_id=record_id)
    if stored is None:  # pragma: no cover - the insert or the other transaction's row is there
        raise LedgerError(f"{record_type} {record_id}: revocation not stored", field="record_id")
    if stored.reason != reason:
        raise LedgerError(
            f"{record_type} {record_id} is already revoked with reason {stored.reason}",
            code="already_revoked",
            field="reason",
        )
    return stored


def revocation_of(session: Session, *, record_type: str, record_id: str) -> AnchorRevocation | None:
    """The revocation requested for a record, if any."""
    return session.exec(
        select(AnchorRevocation).where(
            AnchorRevocation.record_type == record_type, AnchorRevocation.record_id == record_id
        )
    ).first()


def pending_count(session: Session) -> int:
    """Records waiting for a batch."""
    count = session.exec(
        select(func.count()).select_from(AnchorRecord).where(AnchorRecord.status == RECORD_PENDING)
    ).one()
    return int(count)


def _record(session: Session, record_type: str, record_id: str) -> AnchorRecord | None:
    return session.exec(
        select(AnchorRecord).where(
            AnchorRecord.record_type == record_type, col(AnchorRecord.record_id) == record_id
        )
    ).first()
