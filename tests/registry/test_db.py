"""The database: SQLite pragmas on every connection; Alembic migrations run by the program,
idempotent, from empty and from every released schema (frozen in tests/assets/registry), with the
models and the revisions in agreement."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text
from sqlmodel import Session, select

from registry.config import Settings, load_settings
from registry.crud.orgs import create_org
from registry.db import SQLITE_BUSY_TIMEOUT_MS, make_engine, migrate
from registry.migrations import LEGACY_RETIRED, LEGACY_TABLE
from registry.migrations.runner import VERSION_TABLE, current_revision, head_revision
from registry.models.attestations import Attestation
from registry.models.orgs import Organisation, OrgRole
from registry.models.recognitions import Recognition, RecognitionWithdrawal
from registry.models.suppliers import SupplierKey
from tests.registry.postgres import create_database


@pytest.mark.sqlite_only(reason="SQLite's pragmas on every connection")
def test_sqlite_pragmas_and_migrations(tmp_path: Path) -> None:
    engine = make_engine(load_settings(data_dir=tmp_path / "data"))
    assert current_revision(engine) is None
    assert migrate(engine) == head_revision()
    assert migrate(engine) == head_revision()  # a second start changes nothing
    assert current_revision(engine) == head_revision()
    tables = set(inspect(engine).get_table_names())
    assert {"organisation", "api_key", "footprint", "label", "idempotency_entry"} <= tables
    assert {"anchor_record", "anchor_batch", "anchor_revocation", VERSION_TABLE} <= tables
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == SQLITE_BUSY_TIMEOUT_MS
        # A Tanji of the numbered steps (3 of them) finds a version it does not know: it refuses.
        assert conn.execute(text(f"SELECT version FROM {LEGACY_TABLE}")).scalar() == 4
    assert (tmp_path / "data" / "registry.sqlite3").exists()
    engine.dispose()


@pytest.mark.parametrize(
    "newer",
    [
        f"UPDATE {VERSION_TABLE} SET version_num = 'ffffffffffff'",  # an unknown revision
        f"UPDATE {LEGACY_TABLE} SET version = {LEGACY_RETIRED + 1}",  # an unknown legacy version
    ],
)
def test_a_database_from_a_newer_tanji_is_refused(tmp_path: Path, newer: str) -> None:
    from registry.errors import ConfigError

    engine = make_engine(load_settings(data_dir=tmp_path / "data"))
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(text(newer))
        if VERSION_TABLE not in newer:
            conn.execute(text(f"DROP TABLE {VERSION_TABLE}"))
    before = columns(engine)
    with pytest.raises(ConfigError) as info:
        migrate(engine)
    assert (info.value.code, info.value.field) == ("schema_too_new", "database_url")
    assert columns(engine) == before  # left as it was
    engine.dispose()


def test_postgresql_migrations(tmp_path: Path, postgres_database: str) -> None:
    engine = make_engine(load_settings(data_dir=tmp_path, database_url=postgres_database))
    assert engine.dialect.name == "postgresql"
    assert migrate(engine) == head_revision()
    assert migrate(engine) == head_revision()
    tables = set(inspect(engine).get_table_names())
    assert {"organisation", "footprint", "label", "anchor_record", VERSION_TABLE} <= tables
    engine.dispose()


def test_unsupported_database_url(tmp_path: Path) -> None:
    from registry.errors import ConfigError

    with pytest.raises(ConfigError) as info:
        make_engine(load_settings(data_dir=tmp_path, database_url="mysql://x/y"))
    assert info.value.field == "database_url"


# -- upgrades of data dirs created by earlier versions ------------------------------------------

ASSETS = Path(__file__).resolve().parents[1] / "assets" / "registry"
#: The tables version 1 created; the rest were added later, with no numbered step of their own.
V1_TABLES = {
    "anchor_batch",
    "anchor_record",
    "anchor_revocation",
    "api_key",
    "certificate_counter",
    "footprint",
    "idempotency_entry",
    "label",
    "organisation",
}
ADDED_SINCE_V1 = {
    "attestation",
    "supplier_key",
    "recognition",
    "recognition_withdrawal",
    "id_prefix",
}


@pytest.fixture(params=["sqlite", "postgresql"])
def two_databases(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Settings, Settings]:
    """Settings of two empty databases of one kind (one to upgrade, one to create new)."""
    if request.param == "sqlite":
        return (
            load_settings(data_dir=tmp_path / "old"),
            load_settings(data_dir=tmp_path / "new"),
        )
    server = request.getfixturevalue("postgres_url")
    return tuple(  # type: ignore[return-value]
        load_settings(
            data_dir=tmp_path / name,
            database_url=create_database(server, f"t_{name}_{uuid.uuid4().hex[:12]}"),
        )
        for name in ("old", "new")
    )


#: Every schema a released Tanji left: the numbered steps' versions before Alembic.
RELEASED_VERSIONS = (1, 2, 3)


def released_schema(dialect: str, version: int) -> str:
    """The frozen DDL of schema ``version`` (version 2 is 3 without step 3's enum value)."""
    if version == 2:
        script = released_schema(dialect, 3).replace(", 'PUBLISHER'", "")
        return script.replace("VALUES (1, 3);", "VALUES (1, 2);")
    return (ASSETS / f"schema_v{version}.{dialect}.sql").read_text("utf-8")


def build_released(engine: Engine, version: int) -> None:
    """The database as a data dir of ``version`` has it: its tables, its version row, one
    organisation (written with SQL of its time, not today's models)."""
    script = released_schema(engine.dialect.name, version)
    statements = [
        s.strip()
        for s in "\n".join(line for line in script.splitlines() if not line.startswith("--")).split(
            ";"
        )
        if s.strip()
    ]
    with engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)
        conn.execute(
            text(
                "INSERT INTO organisation (id, name, role, created_at) "
                "VALUES ('org-v1', 'Bishan Computing', 'ENTERPRISE', :now)"
            ),
            {"now": datetime.now(UTC)},
        )


def build_version_1(engine: Engine) -> None:
    """The database as a version-1 data dir has it: its tables only, version row 1."""
    build_released(engine, 1)


def columns(engine: Engine) -> dict[str, set[str]]:
    found = inspect(engine)
    return {t: {c["name"] for c in found.get_columns(t)} for t in found.get_table_names()}


def shape(engine: Engine) -> dict[str, object]:
    """Each table's columns (type, nullability), indexes, unique and foreign keys."""
    found = inspect(engine)
    tables: dict[str, object] = {}
    for t in found.get_table_names():
        tables[t] = (
            sorted((c["name"], str(c["type"]), c["nullable"]) for c in found.get_columns(t)),
            sorted(
                (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                for i in found.get_indexes(t)
            ),
            sorted(tuple(u["column_names"]) for u in found.get_unique_constraints(t)),
            sorted(
                (tuple(f["constrained_columns"]), f["referred_table"])
                for f in found.get_foreign_keys(t)
            ),
        )
    return tables


@pytest.mark.parametrize("version", RELEASED_VERSIONS)
def test_a_released_database_upgrades_to_the_schema_a_new_one_gets(
    two_databases: tuple[Settings, Settings], version: int
) -> None:
    old = make_engine(two_databases[0])
    build_released(old, version)
    if version == 1:
        assert set(inspect(old).get_table_names()) == V1_TABLES | {LEGACY_TABLE}
    assert current_revision(old) is None

    assert migrate(old) == head_revision()
    assert current_revision(old) == head_revision()
    # The upgraded database has exactly the schema a new one gets.
    new = make_engine(two_databases[1])
    migrate(new)
    assert shape(old) == shape(new)
    assert set(columns(old)) >= ADDED_SINCE_V1
    # Step 2 added label.reissue_of with its unique index, as a new database has it.
    assert "reissue_of" in columns(old)["label"]
    for engine in (old, new):
        (index,) = [
            i for i in inspect(engine).get_indexes("label") if i["name"] == "ix_label_reissue_of"
        ]
        assert index["column_names"] == ["reissue_of"] and index["unique"]
        with engine.connect() as conn:
            assert conn.execute(text(f"SELECT version FROM {LEGACY_TABLE}")).scalar() == 4

    # The added tables work (foreign keys to the version-1 rows included), and old rows stay.
    now = datetime.now(UTC)
    with Session(old) as session:
        session.add(SupplierKey(org_id="org-v1", address="0x" + "ab" * 20, valid_from=now))
        session.add(
            Attestation(
                id="0x" + "11" * 32,
                supplier_org_id="org-v1",
                signer="0x" + "ab" * 20,
                pushed_by_org_id="org-v1",
                component_id="cell-21700",
                product_id="urn:tanji:sku:CELL-1",
                declared_unit="kWh",
                kg_co2e_per_unit="61.5",
                nonce="0x" + "22" * 32,
                expiry=0,
                upstream=[],
                depth=1,
                record={"type": "attestation", "id": "0x" + "11" * 32},
                master_salt="0x" + "00" * 32,
            )
        )
        session.add(
            Recognition(
                id="0x" + "33" * 32,
                org_id="org-v1",
                recognizer="0x" + "cd" * 20,
                scheme="sg-cfl",
                subject_type="scheme",
                subject="0x" + "44" * 32,
                valid_from=0,
                valid_until=0,
                record={"type": "recognition", "id": "0x" + "33" * 32},
                master_salt="0x" + "00" * 32,
            )
        )
        session.flush()
        session.add(
            RecognitionWithdrawal(
                id="0x" + "55" * 32,
                recognition_id="0x" + "33" * 32,
                reason=1,
                time=0,
                record={"type": "withdrawal", "id": "0x" + "55" * 32},
                master_salt="0x" + "00" * 32,
            )
        )
        session.commit()
    with Session(old) as session:
        assert session.exec(select(SupplierKey)).one().org_id == "org-v1"
        assert session.exec(select(Attestation)).one().component_id == "cell-21700"
        withdrawal = session.exec(select(RecognitionWithdrawal)).one()
        assert session.get(Recognition, withdrawal.recognition_id) is not None
        assert session.get(Organisation, "org-v1") is not None
    with Session(old, expire_on_commit=False) as session:  # step 3's role
        publisher, _ = create_org(session, name="CQ data centre", role=OrgRole.PUBLISHER)
    with Session(old) as session:
        stored = session.get(Organisation, publisher.id)
        assert stored is not None and stored.role is OrgRole.PUBLISHER
    assert migrate(old) == head_revision()  # a second start changes nothing
    old.dispose()
    new.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings of one empty database of each kind."""
    if request.param == "sqlite":
        return load_settings(data_dir=tmp_path / "data")
    return load_settings(
        data_dir=tmp_path / "data", database_url=request.getfixturevalue("postgres_database")
    )


def test_the_revisions_build_exactly_the_models_tables(empty_database: Settings) -> None:
    """A model changed (a table, a column, an index) without a revision fails here: write one
    (registry/migrations/__init__.py says how)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    from registry.migrations.runner import migration_options

    engine = make_engine(empty_database)
    migrate(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts=migration_options(conn))
        assert compare_metadata(context, SQLModel.metadata) == []
    engine.dispose()


def test_workers_starting_at_once_migrate_once(empty_database: Settings) -> None:
    engines = [make_engine(empty_database) for _ in range(4)]
    with ThreadPoolExecutor(len(engines)) as pool:
        results = list(pool.map(migrate, engines))
    assert results == [head_revision()] * len(engines)
    with engines[0].connect() as conn:
        assert conn.execute(text(f"SELECT count(*) FROM {VERSION_TABLE}")).scalar() == 1
    for engine in engines:
        engine.dispose()


def test_tanji_db_upgrade_and_current(
    empty_database: Settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from registry.cli import main

    if empty_database.database_url is not None:
        monkeypatch.setenv("TANJI_DATABASE_URL", empty_database.database_url)
    data = ["--data-dir", str(empty_database.data_dir)]
    assert main(["db", "current", *data]) == 0
    assert capsys.readouterr().out.strip() == f"none (head {head_revision()})"
    assert main(["db", "upgrade", *data]) == 0
    assert capsys.readouterr().out.strip() == head_revision()
    assert main(["db", "current", *data]) == 0
    assert capsys.readouterr().out.strip() == f"{head_revision()} (head {head_revision()})"
