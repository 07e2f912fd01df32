"""Fixtures for registry tests: the app over httpx's ASGI transport on a real database.

API tests run twice: on a SQLite file per test and on a fresh database of a real PostgreSQL
server (started once per session by ``tests.registry.postgres``).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from registry.app import create_app
from registry.config import Settings, load_settings
from tests.registry.factories import Orgs, make_orgs
from tests.registry.postgres import create_database, postgres_server


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL of a real PostgreSQL server for this test session (no database name)."""
    with postgres_server() as url:
        yield url


@pytest.fixture
def postgres_database(postgres_url: str) -> str:
    """A fresh, empty PostgreSQL database."""
    return create_database(postgres_url, f"t_{uuid.uuid4().hex[:16]}")


@pytest.fixture(params=["sqlite", "postgresql"])
def api_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings for API tests that do not anchor (no chain in this process)."""
    database_url = None
    if request.param == "postgresql":
        database_url = request.getfixturevalue("postgres_database")
    return load_settings(
        data_dir=tmp_path / "data",
        anchoring=False,
        base_url="https://tanji.test",
        database_url=database_url,
    )


@pytest.fixture
async def app(api_settings: Settings) -> AsyncIterator[FastAPI]:
    """The application with its lifespan run (database migrated)."""
    application = create_app(api_settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client talking to ``app`` in-process."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tanji.test") as c:
        yield c


@pytest.fixture
def orgs(app: FastAPI) -> Orgs:
    """One organisation per role, created in the app's database."""
    return make_orgs(app.state.engine)
