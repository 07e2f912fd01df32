"""Fixtures for registry tests: the app over httpx's ASGI transport on a real database.

API tests run on a SQLite file per test, or in the PostgreSQL pass on a fresh database of a real
PostgreSQL server (``tests.database``: ``TANJI_TEST_DATABASE``; the ``postgres_url`` and
``postgres_database`` fixtures live there).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from registry.app import create_app
from registry.config import Settings, load_settings
from tests.registry.factories import Orgs, make_orgs


@pytest.fixture(params=["sqlite", "postgresql"])
def api_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings for API tests that do not anchor (no chain in this process)."""
    database_url = None
    if request.param == "postgresql":
        database_url = request.getfixturevalue("registry_database_url")
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
