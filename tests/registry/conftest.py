"""Fixtures for registry tests: a real SQLite file per test, the app over httpx's ASGI transport."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from registry.app import create_app
from registry.config import Settings, load_settings
from tests.registry.factories import Orgs, make_orgs


@pytest.fixture
def api_settings(tmp_path: Path) -> Settings:
    """Settings for API tests that do not anchor (no chain in this process)."""
    return load_settings(data_dir=tmp_path / "data", anchoring=False, base_url="https://tanji.test")


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
