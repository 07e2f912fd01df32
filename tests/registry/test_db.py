"""The database: SQLite pragmas on every connection, migrations run by the program, idempotent."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text
from sqlmodel import Session, select

from registry.config import Settings, load_settings
from registry.db import MIGRATIONS, SQLITE_BUSY_TIMEOUT_MS, make_engine, migrate, schema_version
from registry.models.attestations import Attestation
from registry.models.orgs import Organisation, OrgRole
from registry.models.recognitions import Recognition, RecognitionWithdrawal
from registry.models.suppliers import SupplierKey
from tests.registry.postgres import create_database


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
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == SQLITE_BUSY_TIMEOUT_MS
    assert (tmp_path / "data" / "registry.sqlite3").exists()
    engine.dispose()


def test_a_database_from_a_newer_tanji_is_refused(tmp_path: Path) -> None:
    from registry.errors import ConfigError

    engine = make_engine(load_settings(data_dir=tmp_path / "data"))
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE tanji_schema SET version = :v"), {"v": len(MIGRATIONS) + 1})
    with pytest.raises(ConfigError) as info:
        migrate(engine)
    assert (info.value.code, info.value.field) == ("schema_too_new", "database_url")
    assert schema_version(engine) == len(MIGRATIONS) + 1  # left as it was
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


def build_version_1(engine: Engine) -> None:
    """The database as a version-1 data dir has it: its tables only, version row 1."""
    script = (ASSETS / f"schema_v1.{engine.dialect.name}.sql").read_text("utf-8")
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
    with Session(engine) as session:
        session.add(Organisation(id="org-v1", name="Bishan Computing", role=OrgRole.ENTERPRISE))
        session.commit()


def columns(engine: Engine) -> dict[str, set[str]]:
    found = inspect(engine)
    return {t: {c["name"] for c in found.get_columns(t)} for t in found.get_table_names()}


def test_a_version_1_database_gets_every_table_added_since(
    two_databases: tuple[Settings, Settings],
) -> None:
    old = make_engine(two_databases[0])
    build_version_1(old)
    assert set(inspect(old).get_table_names()) == V1_TABLES | {"tanji_schema"}
    assert schema_version(old) == 1

    assert migrate(old) == len(MIGRATIONS)
    assert schema_version(old) == len(MIGRATIONS)
    # The upgraded database has exactly the schema a new one gets.
    new = make_engine(two_databases[1])
    migrate(new)
    assert columns(old) == columns(new)
    assert set(columns(old)) >= ADDED_SINCE_V1
    # Step 2 added label.reissue_of with its unique index, as a new database has it.
    assert "reissue_of" in columns(old)["label"]
    for engine in (old, new):
        (index,) = [
            i for i in inspect(engine).get_indexes("label") if i["name"] == "ix_label_reissue_of"
        ]
        assert index["column_names"] == ["reissue_of"] and index["unique"]

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
    assert migrate(old) == len(MIGRATIONS)  # a second start changes nothing
    old.dispose()
    new.dispose()
