"""The database: SQLite pragmas on every connection, migrations run by the program, idempotent."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, text

from registry.config import load_settings
from registry.db import MIGRATIONS, make_engine, migrate, schema_version


def test_sqlite_pragmas_and_migrations(tmp_path: Path) -> None:
    engine = make_engine(load_settings(data_dir=tmp_path / "data"))
    assert schema_version(engine) == 0
    assert migrate(engine) == len(MIGRATIONS)
    assert migrate(engine) == len(MIGRATIONS)  # a second start changes nothing
    assert schema_version(engine) == len(MIGRATIONS)
    tables = set(inspect(engine).get_table_names())
    assert {"organisation", "api_key", "footprint", "label", "idempotency_entry"} <= tables
    assert {"anchor_record", "anchor_batch", "anchor_revocation"} <= tables
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 10_000
    assert (tmp_path / "data" / "registry.sqlite3").exists()
    engine.dispose()


def test_postgresql_migrations(tmp_path: Path, postgres_database: str) -> None:
    engine = make_engine(load_settings(data_dir=tmp_path, database_url=postgres_database))
    assert engine.dialect.name == "postgresql"
    assert migrate(engine) == len(MIGRATIONS)
    assert migrate(engine) == len(MIGRATIONS)
    tables = set(inspect(engine).get_table_names())
    assert {"organisation", "footprint", "label", "anchor_record", "tanji_schema"} <= tables
    engine.dispose()


def test_unsupported_database_url(tmp_path: Path) -> None:
    import pytest

    from registry.errors import ConfigError

    with pytest.raises(ConfigError) as info:
        make_engine(load_settings(data_dir=tmp_path, database_url="mysql://x/y"))
    assert info.value.field == "database_url"
