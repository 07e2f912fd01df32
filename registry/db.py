"""The registry database: engine set-up (SQLite WAL or PostgreSQL) and migrations at start-up.

The schema is Alembic's (:mod:`registry.migrations`: one file per revision in its ``versions/``);
:func:`migrate` upgrades the database to the newest revision on every start, from empty or from
any schema a released Tanji left. Models of ``registry`` and ``anchoring.ledger`` share
``SQLModel.metadata``; a model's table reaches a database only through a revision
(``registry/migrations/__init__.py`` says how to write one).
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as SATimeoutError
from sqlmodel import Session, create_engine

from registry.config import Settings
from registry.errors import ConfigError

log = logging.getLogger(__name__)

#: How long a SQLite writer waits for another writer before giving up (ms). Ample for this
#: process's own writers (each holds the lock only for its inserts and commit, the anchoring loop
#: never across a chain call), short enough that a request held up by an outside lock gets its 503
#: ``database_busy`` in seconds rather than holding a worker thread for long; the anchoring loop
#: retries a cycle that met the lock.
SQLITE_BUSY_TIMEOUT_MS = 5_000
#: PostgreSQL: seconds to open a connection.
PG_CONNECT_TIMEOUT_SECONDS = 5
#: Pooled connections beyond the requests a worker admits (registry.api.admission): the
#: anchoring loop, the ``/healthz`` probe, a consumer page's render thread.
POOL_SPARE = 4
#: PostgreSQL connections left out of the workers' pools (superuser reserve, psql, migrations).
PG_RESERVED_CONNECTIONS = 10
#: A pooled PostgreSQL connection idle longer than this is pinged before use
#: (:func:`_ping_if_idle`); one in steady use is not.
PING_AFTER_IDLE_SECONDS = 1.0

#: What a route answers when the database fails (see :func:`database_fault`): busy (locked, a
#: lock or serialisation conflict, no pooled connection free) or unavailable (down, restarting,
#: the connection lost), with the ``Retry-After`` seconds to send.
DATABASE_BUSY = "database_busy"
DATABASE_UNAVAILABLE = "database_unavailable"
RETRY_AFTER_SECONDS = {DATABASE_BUSY: 1, DATABASE_UNAVAILABLE: 5}
#: The public message of each fault.
DATABASE_MESSAGES = {
    DATABASE_BUSY: "the database is busy; retry after the time in Retry-After",
    DATABASE_UNAVAILABLE: "the database cannot be reached; retry after the time in Retry-After",
}
#: PostgreSQL SQLSTATEs of a conflict that a retry resolves: lock_not_available,
#: serialization_failure, deadlock_detected, query_canceled (statement_timeout).
_PG_BUSY_STATES = frozenset({"55P03", "40001", "40P01", "57014"})
#: SQLite messages of a file that cannot be used at all (vs. locked, which is busy).
_SQLITE_UNAVAILABLE = ("unable to open", "disk i/o error", "database or disk is full")


def import_models() -> None:
    """Import every module that defines tables, registering them on ``SQLModel.metadata``
    (Alembic's ``revision --autogenerate`` compares the revisions with it)."""
    import anchoring.ledger  # noqa: F401
    import registry.audit
    import registry.city.models
    import registry.factors.models
    import registry.models
    import registry.models.inventory_drafts
    import registry.models.products
    import registry.models.reviews
    import registry.models.supplier_invitations
    import registry.models.users
    import registry.pact.models
    import registry.records.inventories  # noqa: F401


def make_engine(settings: Settings) -> Engine:
    """Create the engine for ``settings.sqlalchemy_url``; SQLite gets WAL and foreign keys."""
    url = settings.sqlalchemy_url
    if url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            **_pool_arguments(settings),
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql"):
        engine = create_engine(
            url,
            connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_SECONDS},
            **_pool_arguments(settings),
        )
        event.listen(engine.pool, "checkin", _note_checkin)
        event.listen(engine.pool, "checkout", _ping_if_idle)
        return engine
    raise ConfigError("database_url must be a sqlite:// or postgresql:// URL", field="database_url")


def _note_checkin(dbapi_connection: Any, record: Any) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    """Ping a pooled connection that sat idle longer than :data:`PING_AFTER_IDLE_SECONDS`
    before handing it out; a dead one is replaced (the pool retries on ``DisconnectionError``).

    SQLAlchemy's ``pool_pre_ping`` pings on every checkout: a round trip to the server on every
    request, as many as the request's own statements for a label read. A connection in steady
    use was used a moment ago; one idle for a while (the server may have restarted since) is
    checked. A server lost while its connections are busy fails their statements, which
    :func:`database_fault` answers as ``database_unavailable`` (the pool is then renewed).
    """
    idle_since = record.info.get("idle_since")
    if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
        return
    try:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        if not dbapi_connection.autocommit:
            dbapi_connection.rollback()
    except Exception as exc:
        raise DisconnectionError(f"pooled connection is dead: {exc}") from exc


def pool_size_for(settings: Settings, max_connections: int | None = None) -> int:
    """Pooled connections for one worker: ``db_pool_size`` if set, else the requests it admits
    plus :data:`POOL_SPARE`, within its share of PostgreSQL's ``max_connections`` (when given)
    among ``settings.workers`` workers after :data:`PG_RESERVED_CONNECTIONS`, less its read
    pool (:func:`read_pool_size_for`)."""
    if settings.db_pool_size is not None:
        return settings.db_pool_size
    wanted = settings.max_concurrent_requests + POOL_SPARE
    if max_connections is None:
        return wanted
    share = _share(settings, max_connections) - read_pool_size_for(settings, max_connections)
    return max(2, min(wanted, share))


def read_pool_size_for(settings: Settings, max_connections: int | None = None) -> int:
    """Connections of one worker's asyncpg pool (PostgreSQL's public reads,
    :mod:`registry.pg_reads`): ``db_read_pool_size`` if set, else as many as the requests it
    admits, within half its share of ``max_connections`` (when given).

    As many as it admits: then a read never waits for a connection. The admission queue in front
    of it is first come, first served; asyncpg's pool is not (a connection given back goes to
    whichever task asks next, and a reader that was woken for it may find it gone and queue
    again): measured with 20 clients, a pool of 2 answered p90 65 ms, p99 174 ms, one of 20
    p90 3.7 ms, p99 8.6 ms.
    """
    if settings.db_read_pool_size is not None:
        return settings.db_read_pool_size
    wanted = settings.max_concurrent_requests
    if max_connections is None:
        return wanted
    return max(1, min(wanted, _share(settings, max_connections) // 2))


def _share(settings: Settings, max_connections: int) -> int:
    return (max_connections - PG_RESERVED_CONNECTIONS) // settings.workers


def _pool_arguments(settings: Settings) -> dict[str, Any]:
    # A fixed pool and a short wait: a request that finds every connection taken gets its 503
    # database_busy within db_pool_timeout_seconds instead of waiting (and holding a thread).
    return {
        "pool_size": pool_size_for(settings),
        "max_overflow": 0,
        "pool_timeout": settings.db_pool_timeout_seconds,
    }


def database_fault(exc: BaseException) -> str | None:
    """:data:`DATABASE_BUSY`, :data:`DATABASE_UNAVAILABLE`, or ``None`` for any other error.

    Only faults of the database itself count; an error in a statement (no such table, a
    constraint) is a bug or a conflict, answered elsewhere.
    """
    if isinstance(exc, SATimeoutError):  # no pooled connection became free in time
        return DATABASE_BUSY
    if not isinstance(exc, DBAPIError):
        return None
    if exc.connection_invalidated:
        return DATABASE_UNAVAILABLE
    orig = exc.orig
    state = getattr(orig, "sqlstate", None)
    if isinstance(state, str):
        if pg_busy_state(state):
            return DATABASE_BUSY
        return DATABASE_UNAVAILABLE if pg_unavailable_state(state) else None
    if not isinstance(exc, OperationalError | InterfaceError):
        return None
    message = str(orig).lower()
    if isinstance(orig, sqlite3.Error):
        if "locked" in message or "busy" in message:
            return DATABASE_BUSY
        return DATABASE_UNAVAILABLE if message.startswith(_SQLITE_UNAVAILABLE) else None
    # psycopg: a failed connection or a broken one carries no SQLSTATE.
    return DATABASE_UNAVAILABLE


def pg_busy_state(sqlstate: str) -> bool:
    """Whether PostgreSQL's ``sqlstate`` is a conflict or a shortage that a retry resolves."""
    return sqlstate in _PG_BUSY_STATES or sqlstate.startswith("53")  # 53: too many connections


def pg_unavailable_state(sqlstate: str) -> bool:
    """Whether PostgreSQL's ``sqlstate`` means the server cannot be used now: a connection
    exception, an administrator's or a crash's shut-down, or a server still starting."""
    return sqlstate.startswith("08") or sqlstate in ("57P01", "57P02", "57P03")


def fault_text(exc: BaseException) -> str:
    """One line on what failed, for the log: the driver's own message, without the statement."""
    orig = exc.orig if isinstance(exc, DBAPIError) else None
    source = orig if orig is not None else exc
    lines = str(source).strip().splitlines()
    return f"{type(source).__name__}: {lines[0] if lines else ''}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: a committed reply (201, a bulk 200) survives a power cut too, not only a crash;
        # WAL's NORMAL could lose the last commits. One fsync per commit; bulk commits once.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()


def migrate(engine: Engine) -> str:
    """Upgrade the database to the newest schema revision; return it. Safe to run repeatedly.

    Raises :class:`ConfigError` ``schema_too_new`` for a database a newer Tanji upgraded.
    """
    from registry.migrations.runner import upgrade

    import_models()
    return upgrade(engine)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that is closed on exit; callers commit explicitly."""
    with Session(engine) as session:
        yield session
