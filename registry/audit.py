"""The append-only audit log: who changed what, when, with the before and after digests.

Every state change of the registry calls :func:`record_audit` (or :func:`record_audit_many` for
a bulk intake) inside the transaction that makes the change, so an entry exists exactly when the
change does. The acting organisation and API key are taken from the session (:func:`set_actor`,
called by the authentication dependency and by CLI commands), so crud functions do not thread
them through.

Interface (stable; other modules call it):

- ``set_actor(session, Actor(org_id=..., key_id=...))`` — who acts in this session.
- ``record_audit(session, action=..., subject_type=..., subject_id=..., before=..., after=...)``
  — ``before``/``after`` are JSON-able snapshots (or ``None``); only their digests are stored.

Tamper evidence (docs/AUDIT.md). Entries are written when the session commits (a
``before_commit`` hook), numbered 1, 2, 3, ... without gaps, and chained: each entry is a record
``{"type": "audit", "id": "<n>", ..., "prev": <digest of entry n-1>}`` whose digest is the
protocol's one record → leaf derivation (:func:`verifier.protocol.leaf.record_leaf_value`, salted
like every record). The leaf is queued for anchoring in the same transaction, so an entry edited,
deleted or moved after the fact no longer matches its successor, its stored digest, or the root
anchored on chain; ``tanji audit verify`` (:mod:`registry.audit_verify`) checks all three.

The chain has one head (:class:`AuditHead`, one row). A committing transaction takes the head's
row lock as the last lock it takes (after flushing its own changes), so concurrent transactions
append one after another and never fork the chain, and no deadlock can involve the head.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Field, Session, SQLModel, col

from anchoring import ledger
from registry.ids import new_master_salt
from registry.models.common import UTCDateTime, utcnow
from verifier.protocol.canonical import canonicalize
from verifier.protocol.hashing import keccak
from verifier.protocol.leaf import (
    canonical_field_commitment,
    commitments_digest,
    field_commitment,
    field_salt,
    record_leaf_value,
)
from verifier.protocol.records import AUDIT

#: ``session.info`` key holding the session's :class:`Actor`.
ACTOR_KEY: Final = "tanji_actor"
#: ``session.info`` key holding the entries recorded in the open transaction.
PENDING_KEY: Final = "tanji_audit_pending"
#: The ledger record type (``leafValue[0]``) of an audit entry (the protocol's).
RECORD_TYPE: Final = AUDIT
#: ``prev`` of the first entry.
GENESIS_DIGEST: Final = "0x" + "00" * 32
#: The id of the head row.
HEAD_ID: Final = 1
#: The record fields only known when the entry is chained (at commit, under the head's lock).
_CHAIN_FIELDS: Final = frozenset({"id", "prev"})
#: The record fields every entry of one bulk change has in common.
_SHARED_FIELDS: Final = ("type", "at", "actor", "action")


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: an organisation and the API key it used (``None`` for the server's own CLI)."""

    org_id: str | None
    key_id: str | None
    via: str = "api"  # "api", "cli" or "system"


SYSTEM: Final = Actor(org_id=None, key_id=None, via="system")
CLI: Final = Actor(org_id=None, key_id=None, via="cli")


class AuditEntry(SQLModel, table=True):
    """One state change. Rows are only ever inserted, numbered from 1 without gaps."""

    __tablename__ = "audit_entry"

    id: int | None = Field(
        default=None, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    org_id: str | None = Field(default=None, max_length=64, index=True)
    key_id: str | None = Field(default=None, max_length=64)
    via: str = Field(max_length=16)
    action: str = Field(max_length=64, index=True)
    subject_type: str = Field(max_length=64)
    subject_id: str = Field(max_length=200, index=True)
    before_digest: str | None = Field(default=None, max_length=66)
    after_digest: str | None = Field(default=None, max_length=66)
    #: The previous entry's digest (:data:`GENESIS_DIGEST` for entry 1).
    prev_digest: str = Field(default=GENESIS_DIGEST, max_length=66)
    #: This entry's record digest (``leafValue[2]``): commits to every field above and ``prev``.
    digest: str = Field(default="", max_length=66)
    #: The record's master salt, ``0x``-hex (audit entries are not secret: it is shown).
    master_salt: str = Field(default="", max_length=66)


class AuditHead(SQLModel, table=True):
    """The end of the chain: the last entry's id and digest (one row, id 1)."""

    __tablename__ = "audit_head"

    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    last_id: int = 0
    last_digest: str = Field(default=GENESIS_DIGEST, max_length=66)


# The head row exists from the moment its table does (a lazy first insert could race).
event.listen(
    AuditHead.__table__,  # type: ignore[attr-defined]
    "after_create",
    sa.DDL(
        f"INSERT INTO audit_head (id, last_id, last_digest) "
        f"VALUES ({HEAD_ID}, 0, '{GENESIS_DIGEST}')"
    ),
)


@dataclass(slots=True)
class _Pending:
    at: datetime
    actor: Actor
    action: str
    subject_type: str
    subject_id: str
    before_digest: str | None
    after_digest: str | None
    entry: AuditEntry | None  # the object record_audit returned, filled in at commit
    #: ``JCS([name, value])`` of fields a bulk change shares (canonicalised once for all).
    shared: Mapping[str, bytes] = field(default_factory=dict)
    salt: bytes = b""
    #: Commitments of every field but ``id`` and ``prev``: computed when the change is recorded,
    #: so that the commit, holding the head's lock, only commits to those two and folds.
    commitments: dict[str, bytes] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.salt = new_master_salt()
        record = entry_record(
            entry_id=0,
            at=self.at,
            org_id=self.actor.org_id,
            key_id=self.actor.key_id,
            via=self.actor.via,
            action=self.action,
            subject_type=self.subject_type,
            subject_id=self.subject_id,
            before_digest=self.before_digest,
            after_digest=self.after_digest,
            prev_digest="",
        )
        self.commitments = {
            name: canonical_field_commitment(
                self.shared.get(name) or canonicalize([name, value]),
                field_salt(self.salt, name),
                name=name,
            )
            for name, value in record.items()
            if name not in _CHAIN_FIELDS
        }

    def leaf_value(self, entry_id: int, prev_digest: str) -> list[str]:
        """``record_leaf_value(entry_record(...), salt)`` of this entry as number ``entry_id``."""
        chained = {"id": str(entry_id), "prev": prev_digest}
        commitments = dict(self.commitments)
        for name, value in chained.items():
            commitments[name] = field_commitment(name, value, field_salt(self.salt, name))
        return [RECORD_TYPE, str(entry_id), "0x" + commitments_digest(commitments).hex()]


def set_actor(session: Session, actor: Actor) -> None:
    """Record who acts in ``session`` (read by :func:`record_audit`)."""
    session.info[ACTOR_KEY] = actor


def actor_of(session: Session) -> Actor:
    """The session's actor (:data:`SYSTEM` when none was set)."""
    actor = session.info.get(ACTOR_KEY)
    return actor if isinstance(actor, Actor) else SYSTEM


def snapshot_digest(snapshot: Any) -> str | None:
    """``0x`` keccak-256 of the RFC 8785 form of ``snapshot`` (``None`` for ``None``)."""
    if snapshot is None:
        return None
    return "0x" + keccak(canonicalize(snapshot)).hex()


def _pending(session: Session) -> list[_Pending]:
    if not session.in_transaction():
        # Entries belong to a transaction: its commit writes them, its end drops what is left.
        session.begin()
    found: list[_Pending] | None = session.info.get(PENDING_KEY)
    if found is None:
        found = session.info[PENDING_KEY] = []
    return found


def record_audit(
    session: Session,
    *,
    action: str,
    subject_type: str,
    subject_id: str,
    before: Any = None,
    after: Any = None,
) -> AuditEntry:
    """Append an entry for a change made in ``session``'s transaction (no commit).

    The entry is written (numbered, chained and queued for anchoring) when the session commits,
    and dropped if it rolls back. The returned object gets its ``id`` and ``digest`` then.
    """
    actor = actor_of(session)
    entry = AuditEntry(
        org_id=actor.org_id,
        key_id=actor.key_id,
        via=actor.via,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        before_digest=snapshot_digest(before),
        after_digest=snapshot_digest(after),
    )
    _pending(session).append(
        _Pending(
            at=entry.at,
            actor=actor,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            before_digest=entry.before_digest,
            after_digest=entry.after_digest,
            entry=entry,
        )
    )
    return entry


def record_audit_many(
    session: Session,
    *,
    action: str,
    subject_type: str,
    changes: Iterable[tuple[str, Any, Any]],
) -> int:
    """Append one entry per ``(subject_id, before, after)`` of a bulk change (no commit).

    The bulk intake's path: like :func:`record_audit` for each item, without building an ORM
    object per entry. Returns how many entries were recorded.
    """
    actor, now, pending = actor_of(session), utcnow(), _pending(session)
    count = len(pending)
    common = entry_record(
        entry_id=0,
        at=now,
        org_id=actor.org_id,
        key_id=actor.key_id,
        via=actor.via,
        action=action,
        subject_type=subject_type,
        subject_id="",
        before_digest=None,
        after_digest=None,
        prev_digest="",
    )
    shared = {name: canonicalize([name, common[name]]) for name in _SHARED_FIELDS}
    pending.extend(
        _Pending(
            at=now,
            actor=actor,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            before_digest=snapshot_digest(before),
            after_digest=snapshot_digest(after),
            entry=None,
            shared=shared,
        )
        for subject_id, before, after in changes
    )
    return len(pending) - count


def timestamp_text(at: datetime) -> str:
    """An entry time as its record carries it: ISO 8601 UTC with microseconds."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def entry_record(
    *,
    entry_id: int,
    at: datetime,
    org_id: str | None,
    key_id: str | None,
    via: str,
    action: str,
    subject_type: str,
    subject_id: str,
    before_digest: str | None,
    after_digest: str | None,
    prev_digest: str,
) -> dict[str, Any]:
    """The anchored record of an audit entry (docs/AUDIT.md): every column but the digest."""
    return {
        "type": RECORD_TYPE,
        "id": str(entry_id),
        "at": timestamp_text(at),
        "actor": {"org": org_id, "key": key_id, "via": via},
        "action": action,
        "subject": {"type": subject_type, "id": subject_id},
        "before": before_digest,
        "after": after_digest,
        "prev": prev_digest,
    }


def record_of(entry: AuditEntry) -> dict[str, Any]:
    """The record of a stored entry, from its columns."""
    if entry.id is None:
        raise ValueError("an audit entry has an id once it is written")
    return entry_record(
        entry_id=entry.id,
        at=entry.at,
        org_id=entry.org_id,
        key_id=entry.key_id,
        via=entry.via,
        action=entry.action,
        subject_type=entry.subject_type,
        subject_id=entry.subject_id,
        before_digest=entry.before_digest,
        after_digest=entry.after_digest,
        prev_digest=entry.prev_digest,
    )


def leaf_of(record: Mapping[str, Any], master_salt: str) -> list[str]:
    """The leaf value ``["audit", id, 0x-digest]`` of an entry's record under its salt.

    Raises :class:`ValueError` for a salt that is not 32 bytes of hex.
    """
    salt = bytes.fromhex(master_salt.removeprefix("0x"))
    if len(salt) != 32 or not master_salt.startswith("0x"):
        raise ValueError("the master salt must be 0x and 32 bytes of hex")
    return record_leaf_value(record, salt)


def _write_pending(session: OrmSession) -> None:
    """Number, chain, insert and queue the entries of the committing transaction."""
    if session.in_nested_transaction():  # a SAVEPOINT's release: the real commit comes later
        return
    pending: list[_Pending] | None = session.info.pop(PENDING_KEY, None)
    if not pending:
        return
    # The transaction's own row changes (and their locks) first: the head's lock is the last
    # one any transaction takes, so waiting for it never closes a cycle.
    session.flush()
    count = len(pending)
    bump = (
        sa.update(AuditHead)
        .where(col(AuditHead.id) == HEAD_ID)
        .values(last_id=col(AuditHead.last_id) + count)
    )
    if session.execute(bump).rowcount == 0:  # type: ignore[attr-defined]
        # A database whose head row went missing: start it (a concurrent start fails the key).
        session.execute(
            sa.insert(AuditHead).values(id=HEAD_ID, last_id=count, last_digest=GENESIS_DIGEST)
        )
    last_id, prev = session.execute(
        sa.select(col(AuditHead.last_id), col(AuditHead.last_digest)).where(
            col(AuditHead.id) == HEAD_ID
        )
    ).one()
    rows: list[dict[str, Any]] = []
    leaves: list[tuple[str, str, list[str]]] = []
    for entry_id, item in enumerate(pending, start=int(last_id) - count + 1):
        actor = item.actor
        value = item.leaf_value(entry_id, prev)
        row = {
            "id": entry_id,
            "at": item.at,
            "org_id": actor.org_id,
            "key_id": actor.key_id,
            "via": actor.via,
            "action": item.action,
            "subject_type": item.subject_type,
            "subject_id": item.subject_id,
            "before_digest": item.before_digest,
            "after_digest": item.after_digest,
            "prev_digest": prev,
            "digest": value[2],
            "master_salt": "0x" + item.salt.hex(),
        }
        rows.append(row)
        leaves.append((RECORD_TYPE, str(entry_id), value))
        if item.entry is not None:
            for name, column_value in row.items():
                setattr(item.entry, name, column_value)
        prev = value[2]
    session.execute(sa.insert(AuditEntry), rows)
    ledger.enqueue_new(session, leaves)  # type: ignore[arg-type]  # any ORM session will do
    session.execute(
        sa.update(AuditHead).where(col(AuditHead.id) == HEAD_ID).values(last_digest=prev)
    )


def _drop_pending(session: OrmSession, transaction: SessionTransaction) -> None:
    """A transaction that ended without writing its entries (rolled back, closed) drops them."""
    if transaction.parent is None:
        session.info.pop(PENDING_KEY, None)


event.listen(OrmSession, "before_commit", _write_pending)
event.listen(OrmSession, "after_transaction_end", _drop_pending)
