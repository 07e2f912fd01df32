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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, event, text
from sqlmodel import Session, SQLModel, create_engine

from registry.config import Settings
from registry.errors import ConfigError

log = logging.getLogger(__name__)

#: How long a SQLite writer waits for another writer before giving up (ms).
SQLITE_BUSY_TIMEOUT_MS = 10_000


def _import_models() -> None:
    # Importing registers every table on SQLModel.metadata before create_all runs.
    import anchoring.ledger  # noqa: F401
    import registry.models  # noqa: F401


def create_missing_tables(conn: Connection) -> None:
    """Create every table of ``SQLModel.metadata`` the database does not have yet.

    :func:`migrate` runs this on every start, after the numbered steps; existing tables are left
    alone. (It is also step 1, as shipped.)
    """
    _import_models()
    SQLModel.metadata.create_all(conn, checkfirst=True)


#: Migration ``i`` upgrades the schema from version ``i`` to ``i + 1`` by changing tables that
#: exist (see the module docstring). Append only; never edit or reorder a step that has shipped.
MIGRATIONS: list[Callable[[Connection], None]] = [create_missing_tables]


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
        return create_engine(url, pool_pre_ping=True)
    raise ConfigError("database_url must be a sqlite:// or postgresql:// URL", field="database_url")


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
