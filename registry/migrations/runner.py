"""Running the revisions: upgrade a database to the head, read its revision (Alembic's API)."""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, inspect, text

from registry.errors import ConfigError
from registry.migrations import LEGACY_RETIRED, LEGACY_TABLE

log = logging.getLogger(__name__)

#: This package: ``env.py``, ``script.py.mako`` and the revisions in ``versions/``.
SCRIPT_LOCATION = Path(__file__).resolve().parent
#: The revision files' names: ``v<rev>_<slug>.py`` (a valid module name, for mypy).
FILE_TEMPLATE = "v%(rev)s_%(slug)s"
#: Serialises migrations of several processes starting on one PostgreSQL database
#: (``pg_advisory_xact_lock``; any constant unlikely to clash: "tanjimig" read as an integer).
MIGRATION_LOCK_KEY = 0x74616E6A696D6967
#: SQLite: the lock file next to the database that processes migrating it take turns on.
SQLITE_LOCK_SUFFIX = ".migrations.lock"
#: Alembic's table of the applied revision (its default name).
VERSION_TABLE = "alembic_version"


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration for this package; with ``connection``, the database it runs on.

    Without one, ``env.py`` opens the database of :func:`registry.config.load_settings`
    (``TANJI_DATABASE_URL`` or ``$TANJI_DATA_DIR``), as the ``alembic`` command line does.
    """
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    config.set_main_option("file_template", FILE_TEMPLATE.replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def migration_options(connection: Connection) -> dict[str, Any]:
    """Alembic's context options on ``connection`` (``env.py``'s, and the test's that compares
    the revisions with the models)."""
    from sqlmodel import SQLModel

    return {
        "target_metadata": SQLModel.metadata,
        "include_object": _include,
        "compare_type": True,
        # SQLite cannot ALTER most things: autogenerate writes batch operations (copy and move).
        "render_as_batch": connection.dialect.name == "sqlite",
    }


def _include(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    # The pre-Alembic version table stays (old binaries read it) but is no model.
    return not (type_ == "table" and name == LEGACY_TABLE)


def head_revision() -> str:
    """The newest revision this Tanji knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "registry/migrations/versions holds no revision"
    return head


def current_revision(engine: Engine) -> str | None:
    """The database's revision (``None``: empty, or not yet upgraded to Alembic)."""
    with engine.connect() as conn:
        return _revision(conn)


def upgrade(engine: Engine) -> str:
    """Upgrade the database to :func:`head_revision`; return it. Safe to run repeatedly.

    Processes starting at once take turns: on PostgreSQL through an advisory lock, on a SQLite
    file through ``flock`` on ``<database file>.migrations.lock`` next to it.
    """
    with _sqlite_turn(engine):
        return _upgrade(engine)


@contextmanager
def _sqlite_turn(engine: Engine) -> Iterator[None]:
    database = engine.url.database
    if engine.url.get_backend_name() != "sqlite" or database in (None, "", ":memory:"):
        yield
        return
    with open(f"{database}{SQLITE_LOCK_SUFFIX}", "a", encoding="utf-8") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)  # waits for the process migrating now
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _upgrade(engine: Engine) -> str:
    head = head_revision()
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            # Held to the commit: a second process starting at once waits, then has nothing to do.
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
        before = _revision(conn)
        if before == head:
            conn.commit()
            return head
        _refuse_newer(conn, before)
        command.upgrade(alembic_config(conn), "head")
        conn.commit()
    log.info("database upgraded from revision %s to %s", before or "(none)", head)
    return head


def _revision(conn: Connection) -> str | None:
    # Alembic's own table, read without a MigrationContext (which logs at every start).
    if not inspect(conn).has_table(VERSION_TABLE):
        return None
    versions = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    if len(versions) > 1:  # branches: Tanji's history is linear, so this is not ours
        raise ConfigError(
            f"the database has several schema revisions ({', '.join(versions)})",
            code="schema_unknown",
            field="database_url",
        )
    return str(versions[0]) if versions else None


def _refuse_newer(conn: Connection, revision: str | None) -> None:
    """A database a newer Tanji upgraded: its tables may mean things this code does not know."""
    known = True
    if revision is not None:
        try:
            known = ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
        except CommandError:
            known = False
    elif inspect(conn).has_table(LEGACY_TABLE):
        version = conn.execute(text(f"SELECT version FROM {LEGACY_TABLE}")).scalar()
        known = version is None or int(version) < LEGACY_RETIRED
    if not known:
        raise ConfigError(
            f"the database is at schema revision {revision or 'unknown'}, newer than this Tanji "
            f"knows ({head_revision()}); run the newer version or restore a backup",
            code="schema_too_new",
            field="database_url",
        )
