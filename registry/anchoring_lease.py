"""The anchoring lease: of all the processes on one database, exactly one runs anchoring cycles.

Several API workers (``tanji serve --workers N``, or several hosts) share one PostgreSQL database,
and every one of them may start an anchoring loop; a loop runs a cycle only while it holds the
lease, and the others wait, trying again every poll, to take over when the holder dies.

- **PostgreSQL**: a session-level advisory lock (``pg_try_advisory_lock``) on a connection of its
  own, outside the pool, in autocommit (no transaction left open). The server frees it when that
  session ends: the process exits, is killed (``kill -9``: the kernel closes the socket) or loses
  the connection. Before each cycle the holder pings its session; a ping that fails means the lock
  may be someone else's now, so the lease counts as lost and is taken again like a new one.
- **SQLite**: ``flock`` on ``<database file>.anchoring.lock`` next to the database, which the
  kernel frees when the process dies. (SQLite serves one host; its processes share the file.)

A cycle begun under the lease finishes even if the lease is lost meanwhile; the batcher's
committed states (a batch sealed, sent, anchored) make the next holder continue it, not redo it.
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path
from typing import IO, Protocol

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.pool import NullPool

from registry.db import PG_CONNECT_TIMEOUT_SECONDS

log = logging.getLogger(__name__)

#: The advisory lock's key, one bigint for every Tanji database ("tanjiank" read as an integer;
#: registry.migrations.runner has its own key for migrations).
ANCHORING_LOCK_KEY = 0x74616E6A69616E6B
#: The SQLite lock file's suffix, after the database file's name.
LOCK_FILE_SUFFIX = ".anchoring.lock"


class AnchoringLease(Protocol):
    """What the anchoring loop asks before each cycle."""

    def hold(self) -> bool:
        """Take the lease, or confirm it is still held; True while this process holds it."""
        ...

    def release(self) -> None:
        """Give the lease up (the loop has stopped); another process may take it now."""
        ...


class PostgresLease:
    """A PostgreSQL session-level advisory lock on a connection of its own."""

    def __init__(self, engine: Engine, key: int = ANCHORING_LOCK_KEY) -> None:
        """Lock on ``engine``'s database (its URL; not its pool, which stays the requests')."""
        self._engine = create_engine(
            engine.url,
            poolclass=NullPool,
            connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_SECONDS},
        )
        self._key = key
        self._conn: Connection | None = None
        self._held = False

    def hold(self) -> bool:
        """Ping the session that holds the lock, or try to take it (never waits)."""
        try:
            if self._held and self._conn is not None:
                self._conn.execute(text("SELECT 1"))
                return True
            if self._conn is None:
                self._conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            query = text("SELECT pg_try_advisory_lock(:key)")
            self._held = bool(self._conn.execute(query, {"key": self._key}).scalar())
        except Exception as exc:  # the database is down or the session was lost
            if self._held:
                log.warning("anchoring lease lost with its database session: %s", exc)
            self._drop()
            return False
        if self._held:
            log.info("anchoring lease taken (PostgreSQL advisory lock): this process anchors")
        return self._held

    def release(self) -> None:
        """Unlock and close the session (closing alone would free the lock too)."""
        if self._conn is not None and self._held:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self._key})
            except Exception as exc:
                log.warning("could not unlock the anchoring lease: %s", exc)
        self._drop()
        self._engine.dispose()

    def _drop(self) -> None:
        self._held = False
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # already broken: nothing to close cleanly
                log.debug("closing the lease's broken connection failed", exc_info=True)


class FileLease:
    """An exclusive ``flock`` on a file, freed by the kernel when the process dies."""

    def __init__(self, path: Path) -> None:
        """Lock ``path`` (created if missing; its directory must exist)."""
        self.path = path
        self._handle: IO[str] | None = None

    def hold(self) -> bool:
        """Take the lock if free (never waits); True while this process holds it."""
        if self._handle is not None:
            return True
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 (held across calls)
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._handle = handle
        log.info("anchoring lease taken (%s): this process anchors", self.path)
        return True

    def release(self) -> None:
        """Unlock and close the file."""
        handle, self._handle = self._handle, None
        if handle is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            handle.close()


class SoleLease:
    """Always held: a database no other process can open (in-memory SQLite)."""

    def hold(self) -> bool:
        """True."""
        return True

    def release(self) -> None:
        """Nothing to give up."""


def lease_for(engine: Engine) -> AnchoringLease:
    """The lease that fits ``engine``'s database (the module docstring tells which)."""
    url = engine.url
    if url.get_backend_name() == "postgresql":
        return PostgresLease(engine)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return FileLease(Path(f"{url.database}{LOCK_FILE_SUFFIX}"))
    return SoleLease()
