"""The registry database: engine set-up (SQLite WAL or PostgreSQL) and versioned migrations.

The schema is created and upgraded by the program at start-up (:func:`migrate`); ``tanji_schema``
holds one row with the applied version. Models of ``registry`` and ``anchoring.ledger`` share
``SQLModel.metadata``. The rules, so that every data dir ever created upgrades correctly:

- **New tables need no migration step.** Every start ends with ``create_all(checkfirst=True)``,
  which creates each table of the models that the database lacks, in its current shape, and
  leaves existing tables alone. (Version 1 made this a numbered step, so data dirs already at
  version 1 never got the tables added after it; running it on every start fixes that for them
  and for every table added later.)
- **Numbered steps only change tables that already exist** (add a column or an index, move
  data). :data:`MIGRATIONS` step ``i`` upgrades version ``i`` to ``i + 1``; append only, never
  edit or reorder a step that has shipped. Steps run before ``create_all``, each in its own
  transaction, so a step sees the database as the code of its version left it; a table that did
  not exist yet is still absent when the step runs (skip it: ``create_all`` then makes it in its
  newest shape).
- **A new database** (version 0) is created from the models, which are the newest schema, and
  stamped with the newest version; no step runs on it.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as SATimeoutError
from sqlmodel import Session, SQLModel, create_engine

from registry.config import Settings
from registry.errors import ConfigError

log = logging.getLogger(__name__)

#: How long a SQLite writer waits for another writer before giving up (ms). Ample for this
#: process's own writers (each holds the lock only for its inserts and commit, the anchoring loop
#: never across a chain call), short enough that a request held up by an outside lock gets its 503
#: ``database_busy`` in seconds rather than holding a worker thread for long; the anchoring loop
#: retries a cycle that met the lock.
SQLITE_BUSY_TIMEOUT_MS = 5_000
#: PostgreSQL: seconds to open a connection, and to wait for a pooled one when all are in use.
PG_CONNECT_TIMEOUT_SECONDS = 5
POOL_TIMEOUT_SECONDS = 10.0

#: What a route answers when the database fails (see :func:`database_fault`): busy (locked, a
#: lock or serialisation conflict, no pooled connection free) or unavailable (down, restarting,
#: the connection lost), with the ``Retry-After`` seconds to send.
DATABASE_BUSY = "database_busy"
DATABASE_UNAVAILABLE = "database_unavailable"
RETRY_AFTER_SECONDS = {DATABASE_BUSY: 1, DATABASE_UNAVAILABLE: 5}
#: PostgreSQL SQLSTATEs of a conflict that a retry resolves: lock_not_available,
#: serialization_failure, deadlock_detected, query_canceled (statement_timeout).
_PG_BUSY_STATES = frozenset({"55P03", "40001", "40P01", "57014"})
#: SQLite messages of a file that cannot be used at all (vs. locked, which is busy).
_SQLITE_UNAVAILABLE = ("unable to open", "disk i/o error", "database or disk is full")


def _import_models() -> None:
    # Importing registers every table on SQLModel.metadata before create_all runs.
    import anchoring.ledger  # noqa: F401
    import registry.audit
    import registry.factors.models
    import registry.models
    import registry.records.inventories  # noqa: F401


def create_missing_tables(conn: Connection) -> None:
    """Create every table of ``SQLModel.metadata`` the database does not have yet.

    :func:`migrate` runs this on every start, after the numbered steps; existing tables are left
    alone. (It is also step 1, as shipped.)
    """
    _import_models()
    SQLModel.metadata.create_all(conn, checkfirst=True)


def add_label_reissue_of(conn: Connection) -> None:
    """Step 2: ``label.reissue_of``, the revoked label an explicit reissue replaces (once)."""
    conn.execute(text("ALTER TABLE label ADD COLUMN reissue_of VARCHAR REFERENCES label (id)"))
    conn.execute(text("CREATE UNIQUE INDEX ix_label_reissue_of ON label (reissue_of)"))


def add_org_role_publisher(conn: Connection) -> None:
    """Step 3: the organisation role ``publisher``. PostgreSQL keeps roles in the enum type
    ``orgrole``, which gets the value; SQLite stores the name as text and needs nothing."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("ALTER TYPE orgrole ADD VALUE IF NOT EXISTS 'PUBLISHER'"))


#: Migration ``i`` upgrades the schema from version ``i`` to ``i + 1`` by changing tables that
#: exist (see the module docstring). Append only; never edit or reorder a step that has shipped.
MIGRATIONS: list[Callable[[Connection], None]] = [
    create_missing_tables,
    add_label_reissue_of,
    add_org_role_publisher,
]


def make_engine(settings: Settings) -> Engine:
    """Create the engine for ``settings.sqlalchemy_url``; SQLite gets WAL and foreign keys."""
    url = settings.sqlalchemy_url
    if url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql"):
        return create_engine(
            url,
            pool_pre_ping=True,
            pool_timeout=POOL_TIMEOUT_SECONDS,
            connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_SECONDS},
        )
    raise ConfigError("database_url must be a sqlite:// or postgresql:// URL", field="database_url")


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
        if state in _PG_BUSY_STATES or state.startswith("53"):  # 53: too many connections, ...
            return DATABASE_BUSY
        # connection_exception, admin_shutdown, crash_shutdown, cannot_connect_now
        if state.startswith("08") or state in ("57P01", "57P02", "57P03"):
            return DATABASE_UNAVAILABLE
        return None
    if not isinstance(exc, OperationalError | InterfaceError):
        return None
    message = str(orig).lower()
    if isinstance(orig, sqlite3.Error):
        if "locked" in message or "busy" in message:
            return DATABASE_BUSY
        return DATABASE_UNAVAILABLE if message.startswith(_SQLITE_UNAVAILABLE) else None
    # psycopg: a failed connection or a broken one carries no SQLSTATE.
    return DATABASE_UNAVAILABLE


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


def schema_version(engine: Engine) -> int:
    """The applied schema version (0 for an empty database)."""
    with engine.connect() as conn:
        _ensure_version_table(conn)
        conn.commit()
        return int(conn.execute(text("SELECT version FROM tanji_schema WHERE id = 1")).scalar_one())


def migrate(engine: Engine) -> int:
    """Apply every pending migration; return the resulting version. Safe to run repeatedly."""
    _import_models()
    with engine.connect() as conn:
        _ensure_version_table(conn)
        conn.commit()
    version = schema_version(engine)
    if version > len(MIGRATIONS):
        # A newer Tanji wrote this database: its tables may mean things this code does not know.
        raise ConfigError(
            f"the database is at schema version {version}, newer than this Tanji knows "
            f"({len(MIGRATIONS)}); run the newer version or restore a backup",
            code="schema_too_new",
            field="database_url",
        )
    if version == 0:
        # The models are the newest schema: build it and skip the steps that led to it.
        with engine.begin() as conn:
            create_missing_tables(conn)
            _set_version(conn, len(MIGRATIONS))
        log.info("database created at schema version %d", len(MIGRATIONS))
        return len(MIGRATIONS)
    for target, step in enumerate(MIGRATIONS[version:], start=version + 1):
        with engine.begin() as conn:
            step(conn)
            _set_version(conn, target)
        log.info("database migrated to schema version %d", target)
    with engine.begin() as conn:
        create_missing_tables(conn)
    return len(MIGRATIONS)


def _set_version(conn: Connection, version: int) -> None:
    conn.execute(text("UPDATE tanji_schema SET version = :v WHERE id = 1"), {"v": version})


def _ensure_version_table(conn: Connection) -> None:
    conn.execute(
        text("CREATE TABLE IF NOT EXISTS tanji_schema (id INTEGER PRIMARY KEY, version INTEGER)")
    )
    if conn.execute(text("SELECT COUNT(*) FROM tanji_schema")).scalar_one() == 0:
        conn.execute(text("INSERT INTO tanji_schema (id, version) VALUES (1, 0)"))


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that is closed on exit; callers commit explicitly."""
    with Session(engine) as session:
        yield session
