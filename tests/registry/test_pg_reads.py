"""The public reads' asyncpg pool on a real PostgreSQL (registry.pg_reads): a pool with no free
connection answers 503 ``database_busy``, a connection the server dropped is replaced without
the reader noticing, and a server that is down answers 503 ``database_unavailable`` until it is
back. (That the reads answer what the ORM answers: tests/registry/test_label_reads.py.)"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from registry.app import create_app
from registry.config import load_settings
from registry.db import DATABASE_BUSY, DATABASE_UNAVAILABLE, RETRY_AFTER_SECONDS
from registry.pg_reads import APPLICATION_NAME
from tests.registry.postgres import create_database, postgres_instance

READS = ("/api/v1/labels/nosuchlabel1", "/api/v1/labels/nosuchlabel1/bundle", "/l/nosuchlabel1")


@asynccontextmanager
async def serving(
    tmp_path: Path, database_url: str, **settings: object
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """The application on ``database_url`` with its lifespan run, and a client of it."""
    app = create_app(
        load_settings(data_dir=tmp_path, database_url=database_url, anchoring=False, **settings)
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tanji.test") as client:
            yield app, client


def assert_fault(reply: httpx.Response, code: str) -> None:
    assert reply.status_code == 503, reply.text
    assert reply.json()["error"]["code"] == code, reply.text
    assert reply.headers["Retry-After"] == str(RETRY_AFTER_SECONDS[code])


async def test_a_read_that_finds_no_free_connection_is_503_database_busy(
    tmp_path: Path, postgres_database: str
) -> None:
    async with serving(
        tmp_path, postgres_database, db_read_pool_size=1, db_pool_timeout_seconds=0.2
    ) as (app, client):
        assert (await client.get(READS[0])).status_code == 404
        with app.state.engine.connect() as locker:
            # The first read holds the pool's only connection, waiting for the table's lock.
            locker.execute(text("LOCK TABLE label IN ACCESS EXCLUSIVE MODE"))
            first = asyncio.create_task(client.get(READS[0]))
            with app.state.engine.connect() as watcher:
                for _ in range(200):
                    waiting = watcher.execute(
                        text(
                            "SELECT count(*) FROM pg_stat_activity WHERE application_name = :a"
                        ).bindparams(a=APPLICATION_NAME)
                    ).scalar_one()
                    locks = watcher.execute(
                        text("SELECT count(*) FROM pg_locks WHERE NOT granted")
                    ).scalar_one()
                    if waiting and locks:
                        break
                    await asyncio.sleep(0.02)
                else:
                    pytest.fail("the first read never waited for the lock")
            for path in READS:
                assert_fault(await client.get(path), DATABASE_BUSY)
            locker.rollback()
        assert (await first).status_code == 404
        for path in READS:  # free again
            assert (await client.get(path)).status_code == 404


async def test_connections_the_server_dropped_are_replaced_unnoticed(
    tmp_path: Path, postgres_database: str
) -> None:
    async with serving(tmp_path, postgres_database) as (app, client):
        await asyncio.gather(*(client.get(path) for path in READS * 4))  # a few pooled
        with app.state.engine.connect() as admin:
            dropped = admin.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE application_name = :a"
                ).bindparams(a=APPLICATION_NAME)
            ).scalar_one()
        assert dropped >= 1
        for path in READS * 2:
            reply = await client.get(path)
            assert reply.status_code == 404, reply.text


async def test_a_server_that_is_down_answers_503_database_unavailable_until_it_is_back(
    tmp_path: Path, postgres_url: str
) -> None:
    # A server of this test's own (``postgres_url``: this test runs in the PostgreSQL pass).
    with postgres_instance() as server:
        database_url = create_database(server.url, "reads")
        async with serving(tmp_path, database_url) as (_app, client):
            assert (await client.get(READS[0])).status_code == 404
            await asyncio.to_thread(server.stop)
            for path in READS:
                assert_fault(await client.get(path), DATABASE_UNAVAILABLE)
            await asyncio.to_thread(server.start)
            for path in READS:
                reply = await client.get(path)
                assert reply.status_code == 404, reply.text
