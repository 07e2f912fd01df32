"""A record kind (one entry of the table of record kinds) and the table itself.

A kind says everything the registry's generic machinery needs about one type of anchored record:

- ``model``: the SQLModel table holding one row per record, keyed by the record's id;
- how a row becomes a leaf: its anchored ``record`` and ``salt`` (by default the row's
  ``record`` and ``master_salt`` columns), hashed by the protocol's one derivation
  (:func:`verifier.protocol.leaf.record_leaf_value`);
- how its bundle is built: ``nested`` names the rows of each nested list of its bundle (keyed by
  the protocol's list names, :data:`verifier.protocol.records.NESTED_RECORD_TYPES`), each built
  by its own kind in turn (:mod:`registry.records.bundles`);
- how its revocation is swept: ``revoked`` selects the rows the registry has revoked (or
  withdrawn) and ``reason`` gives each one's on-chain reason; the anchoring loop and
  ``tanji anchor`` queue the revocation of each such leaf once it is anchored
  (:mod:`registry.records.sweeps`).

Nothing here imports ``registry.crud``: the kinds' own modules do, and the table sits above them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, SQLModel

from anchoring import ledger
from verifier.protocol.leaf import record_leaf_value
from verifier.protocol.records import NESTED_RECORD_TYPES

RowT = TypeVar("RowT", bound=SQLModel)

#: A kind's nested rows: protocol list name (``attestations``, ``recognitions``) → rows.
Nested = Mapping[str, Sequence[Any]]


def stored_record(row: Any) -> Mapping[str, Any]:
    """The anchored record a row keeps in its ``record`` column."""
    record: Mapping[str, Any] = row.record
    return record


def stored_salt(row: Any) -> str:
    """The ``0x``-hex master salt a row keeps in its ``master_salt`` column."""
    salt: str = row.master_salt
    return salt


@dataclass(frozen=True, eq=False)
class RecordKind(Generic[RowT]):
    """One kind of anchored record: an entry of the table of record kinds."""

    #: The protocol's record type (``record.type``, ``leafValue[0]``, the ledger's record type).
    record_type: str
    #: The table with one row per record, keyed by the record's id.
    model: type[RowT]
    #: The anchored record of a row.
    record: Callable[[RowT], Mapping[str, Any]] = stored_record
    #: The ``0x``-hex master salt of a row.
    salt: Callable[[RowT], str] = stored_salt
    #: The rows nested in a row's bundle, by list name; ``None``: nothing is nested.
    nested: Callable[[Session, RowT], Nested] | None = None
    #: Rows revoked in the registry, whose leaves are revoked on chain once anchored; ``None``:
    #: records of this kind are never revoked.
    revoked: ColumnElement[bool] | None = None
    #: The on-chain reason code of a revoked row.
    reason: Callable[[RowT], int] | None = None

    def __post_init__(self) -> None:
        if (self.revoked is None) != (self.reason is None):
            raise ValueError(f"{self.record_type}: revoked and reason go together")

    def record_id(self, row: RowT) -> str:
        """The record's id (``leafValue[1]``)."""
        return str(self.record(row)["id"])

    def salt_bytes(self, row: RowT) -> bytes:
        """The record's master salt as bytes."""
        return bytes.fromhex(self.salt(row).removeprefix("0x"))

    def leaf_value(self, row: RowT) -> list[str]:
        """``[type, id, 0x-digest]``: the leaf value the record is anchored as."""
        return record_leaf_value(self.record(row), self.salt_bytes(row))

    def enqueue(self, session: Session, row: RowT) -> None:
        """Queue the row's leaf for anchoring, in the caller's transaction (no commit)."""
        ledger.enqueue(
            session,
            record_type=self.record_type,
            record_id=self.record_id(row),
            leaf_value=self.leaf_value(row),
        )

    def key(self) -> sa.ColumnElement[Any]:
        """The model's primary-key column (the record id)."""
        (column,) = sa.inspect(self.model).primary_key
        key: sa.ColumnElement[Any] = column
        return key


class RecordKinds(Mapping[str, RecordKind[Any]]):
    """The table of record kinds: record type → kind, in registration order.

    Reading is safe from any thread (the anchoring loop's): a registration replaces the mapping
    instead of changing it.
    """

    def __init__(self, kinds: Sequence[RecordKind[Any]] = ()) -> None:
        self._kinds: dict[str, RecordKind[Any]] = {}
        for kind in kinds:
            self.register(kind)

    def register(self, kind: RecordKind[Any]) -> RecordKind[Any]:
        """Add ``kind``; its record type must not be registered yet."""
        if kind.record_type in self._kinds:
            raise ValueError(f"record type {kind.record_type!r} is already registered")
        self._kinds = {**self._kinds, kind.record_type: kind}
        return kind

    def unregister(self, record_type: str) -> None:
        """Remove the kind of ``record_type``."""
        self._kinds = {t: k for t, k in self._kinds.items() if t != record_type}

    @contextmanager
    def registered(self, kind: RecordKind[Any]) -> Iterator[RecordKind[Any]]:
        """``kind`` registered for the ``with`` block only."""
        self.register(kind)
        try:
            yield kind
        finally:
            self.unregister(kind.record_type)

    def kinds(self) -> tuple[RecordKind[Any], ...]:
        """Every kind, in registration order (a snapshot: registrations after it do not show)."""
        return tuple(self._kinds.values())

    def nested_kind(self, list_name: str) -> RecordKind[Any]:
        """The kind of the records a nested list holds (``attestations`` → attestation)."""
        return self[NESTED_RECORD_TYPES[list_name]]

    def __getitem__(self, record_type: str) -> RecordKind[Any]:
        return self._kinds[record_type]

    def __iter__(self) -> Iterator[str]:
        return iter(self._kinds)

    def __len__(self) -> int:
        return len(self._kinds)
