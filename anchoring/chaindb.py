"""A py-evm key-value database on SQLite, so the embedded chain survives restarts and ``kill -9``.

py-evm ships only in-memory databases. :class:`SqliteChainDB` stores its keys and values in one
SQLite table (WAL journal) and implements py-evm's *atomic* database interface directly: every
``atomic_batch()`` py-evm opens (one per state persist, one per block with its header, canonical
head pointer and transaction lookups) becomes exactly one SQLite transaction. A process killed at
any moment therefore leaves either the whole block or none of it on disk. Writes outside a batch
(py-evm makes few) are committed one by one.

The object is not thread-safe by itself: :class:`anchoring.embedded.EmbeddedChain` serialises all
access behind its lock; the SQLite connection is opened with ``check_same_thread=False`` so that
lock, not the creating thread, decides who may use it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from eth.abc import AtomicWriteBatchAPI
from eth.db.atomic import AtomicDBWriteBatch
from eth.db.backends.base import BaseAtomicDB

_SCHEMA = "CREATE TABLE IF NOT EXISTS kv (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID"


class SqliteChainDB(BaseAtomicDB):
    """py-evm ``AtomicDatabaseAPI`` over one SQLite file: table ``kv(k, v)``, WAL journal.

    ``synchronous`` is SQLite's ``PRAGMA synchronous``: ``FULL`` (the default here) makes every
    committed block durable against power loss too, ``NORMAL`` only against process crashes.
    """

    def __init__(self, path: Path, *, synchronous: str = "FULL") -> None:
        if synchronous not in ("FULL", "NORMAL", "EXTRA"):
            raise ValueError(f"synchronous must be FULL, NORMAL or EXTRA, not {synchronous!r}")
        self.path = path
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, one per py-evm atomic batch.
        self._conn: sqlite3.Connection | None = sqlite3.connect(
            str(path), isolation_level=None, check_same_thread=False
        )
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(f"PRAGMA synchronous={synchronous}")
        self._conn.execute(_SCHEMA)

    @property
    def connection(self) -> sqlite3.Connection:
        """The open SQLite connection (raises once :meth:`close` was called)."""
        if self._conn is None:
            raise ValueError(f"chain database {self.path} is closed")
        return self._conn

    def __getitem__(self, key: bytes) -> bytes:
        row = self.connection.execute("SELECT v FROM kv WHERE k = ?", (key,)).fetchone()
        if row is None:
            raise KeyError(key)
        return bytes(row[0])

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self.connection.execute("INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)", (key, value))

    def __delitem__(self, key: bytes) -> None:
        cursor = self.connection.execute("DELETE FROM kv WHERE k = ?", (key,))
        if cursor.rowcount == 0:
            raise KeyError(key)

    def _exists(self, key: bytes) -> bool:
        row = self.connection.execute("SELECT 1 FROM kv WHERE k = ?", (key,)).fetchone()
        return row is not None

    @contextmanager
    def atomic_batch(self) -> Iterator[AtomicWriteBatchAPI]:
        """Collect writes in memory; on a clean exit apply them all in one SQLite transaction."""
        batch = AtomicDBWriteBatch(self)
        try:
            yield batch
            diff = batch._diff()
            conn = self.connection
            conn.execute("BEGIN IMMEDIATE")
            try:
                pending = diff.pending_items()
                conn.executemany("INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)", pending)
                deleted = [(key,) for key in diff.deleted_keys()]
                conn.executemany("DELETE FROM kv WHERE k = ?", deleted)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        finally:
            # Mirrors py-evm's AtomicDB: a batch cannot be used after its context ends.
            batch._track_diff = None  # type: ignore[assignment]
            batch._write_target_db = None  # type: ignore[assignment]

    def close(self) -> None:
        """Checkpoint the WAL into the main file and close the connection (idempotent)."""
        if self._conn is None:
            return
        self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._conn.close()
        self._conn = None
