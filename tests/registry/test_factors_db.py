"""The schema of the factor database: a data dir made before it (schema version 1) upgrades to
take ``publisher`` organisations (a new value of PostgreSQL's ``orgrole`` enum type) and the
factor tables."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlmodel import Session

from registry.config import Settings, load_settings
from registry.crud.orgs import create_org
from registry.db import make_engine, migrate
from registry.migrations.runner import current_revision, head_revision
from registry.models.orgs import Organisation, OrgRole
from tests.registry.postgres import create_database
from tests.registry.test_db import build_version_1


@pytest.fixture(params=["sqlite", "postgresql"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    if request.param == "sqlite":
        return load_settings(data_dir=tmp_path / "old")
    server = request.getfixturevalue("postgres_url")
    url = create_database(server, f"t_old_{uuid.uuid4().hex[:12]}")
    return load_settings(data_dir=tmp_path / "old", database_url=url)


def test_a_version_1_database_takes_publishers_and_factor_tables(settings: Settings) -> None:
    engine = make_engine(settings)
    build_version_1(engine)
    assert current_revision(engine) is None
    assert migrate(engine) == head_revision()
    tables = set(inspect(engine).get_table_names())
    assert {"factor_dataset_version", "factor", "footprint_factor"} <= tables
    with Session(engine, expire_on_commit=False) as session:
        org, _ = create_org(session, name="CQ data centre", role=OrgRole.PUBLISHER)
    with Session(engine) as session:
        stored = session.get(Organisation, org.id)
        assert stored is not None and stored.role is OrgRole.PUBLISHER
        assert session.get(Organisation, "org-v1") is not None  # the old rows stay
    assert migrate(engine) == head_revision()  # a second start changes nothing
    engine.dispose()
