"""Load: past capacity a worker answers 503 ``overloaded`` with ``Retry-After`` at once, never 500,
and serves normally again the moment the crowd is gone; a pool that has no connection free in
time answers 503 ``database_busy``; ``tanji serve --workers`` settings.

The crowd test floods a real ``tanji serve`` (admission limit 1, a line of 2) with concurrent
requests through real HTTP. No test here asserts a duration.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

from registry.api.admission import OVERLOADED, OVERLOADED_RETRY_AFTER, Admission
from registry.app import create_app
from registry.config import load_settings
from registry.db import (
    DATABASE_BUSY,
    POOL_SPARE,
    pool_size_for,
    read_pool_size_for,
)
from registry.errors import ConfigError
from registry.workers import check_workers, worker_environment
from tests.registry.factories import bearer, numbered
from tests.registry.server import create_org, serve

CROWD = 150


def _assert_overloaded(reply: httpx.Response) -> None:
    assert reply.status_code == 503, reply.text
    assert reply.headers["Retry-After"] == str(OVERLOADED_RETRY_AFTER)
    assert reply.json()["error"]["code"] == OVERLOADED


class _Gate:
    """An ASGI app whose requests each wait until the test lets them finish."""

    def __init__(self) -> None:
        self.started = 0
        self.go = asyncio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.started += 1
        await self.go.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


async def _until(condition: object) -> None:
    for _ in range(1000):
        if callable(condition) and condition():
            return
        await asyncio.sleep(0.001)
    raise AssertionError("condition never held")


def test_admission_runs_limit_queues_the_line_refuses_the_rest() -> None:
    async def scenario() -> None:
        gate = _Gate()
        admission = Admission(gate, limit=1, queue=1, wait_seconds=30)
        transport = httpx.ASGITransport(app=admission)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            first = asyncio.create_task(client.get("/a"))
            await _until(lambda: gate.started == 1)
            second = asyncio.create_task(client.get("/b"))
            await _until(lambda: len(admission.waiters) == 1)
            third = await client.get("/c")  # line full: refused without waiting
            _assert_overloaded(third)
            assert gate.started == 1
            health = asyncio.create_task(client.get("/healthz"))  # never queued
            await _until(lambda: gate.started == 2)
            gate.go.set()
            assert (await first).status_code == 200
            assert (await second).status_code == 200
            assert (await health).status_code == 200
            assert admission.active == 0 and not admission.waiters
            assert (await client.get("/d")).status_code == 200

    asyncio.run(scenario())


def test_admission_wait_ends_in_503_and_frees_its_place() -> None:
    async def scenario() -> None:
        gate = _Gate()
        admission = Admission(gate, limit=1, queue=5, wait_seconds=0.05)
        transport = httpx.ASGITransport(app=admission)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            first = asyncio.create_task(client.get("/a"))
            await _until(lambda: gate.started == 1)
            _assert_overloaded(await client.get("/b"))  # waited its time in line, then 503
            assert not admission.waiters
            gate.go.set()
            assert (await first).status_code == 200
            assert admission.active == 0
            assert (await client.get("/c")).status_code == 200

    asyncio.run(scenario())


def test_a_request_whose_client_left_while_in_line_is_not_run() -> None:
    async def scenario() -> None:
        gate = _Gate()
        admission = Admission(gate, limit=1, queue=5, wait_seconds=30)
        transport = httpx.ASGITransport(app=admission)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            first = asyncio.create_task(client.get("/a"))
            await _until(lambda: gate.started == 1)
            sent: list[Message] = []

            async def gone() -> Message:
                return {"type": "http.disconnect"}

            async def send(message: Message) -> None:
                sent.append(message)

            scope = {"type": "http", "method": "GET", "path": "/b", "headers": []}
            left = asyncio.create_task(admission(scope, gone, send))
            await _until(lambda: len(admission.waiters) == 1)
            gate.go.set()
            assert (await first).status_code == 200
            await left
            assert sent == [] and gate.started == 1 and admission.abandoned == 1
            assert admission.active == 0 and not admission.waiters

    asyncio.run(scenario())


def test_admission_refuses_bad_bounds() -> None:
    with pytest.raises(ValueError):
        Admission(_Gate(), limit=0, queue=1, wait_seconds=1)


def test_no_pooled_connection_in_time_is_503_database_busy(tmp_path: Path) -> None:
    settings = load_settings(
        data_dir=tmp_path, anchoring=False, db_pool_size=1, db_pool_timeout_seconds=0.1
    )
    app = create_app(settings)
    with TestClient(app) as client:
        # A read through the engine's pool (on PostgreSQL, the label reads have a pool of their
        # own: tests/registry/test_pg_reads.py).
        held = app.state.engine.connect()  # the pool's only connection
        try:
            reply = client.get("/api/v1/labels/nosuchlabel/qr.svg")
        finally:
            held.close()
        assert reply.status_code == 503, reply.text
        assert reply.json()["error"]["code"] == DATABASE_BUSY
        assert reply.headers["Retry-After"] == "1"
        assert client.get("/api/v1/labels/nosuchlabel/qr.svg").status_code == 404  # free again


def test_pool_size_follows_workers_and_max_connections(tmp_path: Path) -> None:
    one = load_settings(data_dir=tmp_path, max_concurrent_requests=16)
    assert pool_size_for(one) == 16 + POOL_SPARE
    four = load_settings(data_dir=tmp_path, max_concurrent_requests=16, workers=4)
    # A share of (50 - 10) // 4 = 10 connections: 5 for the asyncpg reads, 5 for the rest.
    assert read_pool_size_for(four, max_connections=50) == 5
    assert pool_size_for(four, max_connections=50) == 5
    assert pool_size_for(four, max_connections=1000) == 16 + POOL_SPARE
    assert read_pool_size_for(four, max_connections=1000) == 16  # as many as it admits
    assert read_pool_size_for(one) == 16
    env = worker_environment(four, max_connections=50)
    assert env["TANJI_WORKERS"] == "4"
    assert env["TANJI_DB_POOL_SIZE"] == "5"
    assert env["TANJI_DB_READ_POOL_SIZE"] == "5"
    assert env["TANJI_MAX_CONCURRENT_REQUESTS"] == str(5 - POOL_SPARE)
    fixed = load_settings(data_dir=tmp_path, db_pool_size=7)
    assert pool_size_for(fixed, max_connections=20) == 7


def test_several_workers_need_a_chain_node_or_anchoring_off(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        check_workers(load_settings(data_dir=tmp_path, workers=2))
    assert caught.value.code == "workers_need_node"
    check_workers(load_settings(data_dir=tmp_path, workers=2, anchoring=False))
    check_workers(load_settings(data_dir=tmp_path, workers=2, rpc_url="http://127.0.0.1:1"))


async def _flood(url: str, paths: list[str]) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=CROWD, max_keepalive_connections=CROWD)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        return list(await asyncio.gather(*(client.get(p) for p in paths)))


@pytest.mark.slow
def test_a_crowd_gets_200_or_503_with_retry_after_never_500(tmp_path: Path) -> None:
    data, log = tmp_path / "data", tmp_path / "serve.log"
    enterprise = create_org(data)
    certifier = create_org(data, role="certification_body", name="C")
    tiny = {
        "TANJI_MAX_CONCURRENT_REQUESTS": "1",
        "TANJI_MAX_QUEUED_REQUESTS": "2",
        "TANJI_QUEUE_WAIT_SECONDS": "0.1",
    }
    with serve(data, log, tiny) as (_, url):
        footprint = httpx.post(
            f"{url}/api/v1/footprints", json=numbered(0), headers=bearer(enterprise), timeout=30
        )
        assert footprint.status_code == 201, footprint.text
        label = httpx.post(
            f"{url}/api/v1/labels",
            json={
                "footprint_id": footprint.json()["id"],
                "valid_from": "2026-01-01",
                "valid_until": "2028-12-31",
            },
            headers=bearer(certifier),
            timeout=30,
        )
        assert label.status_code == 201, label.text
        label_id = label.json()["id"]
        kinds = [
            f"/api/v1/labels/{label_id}",
            f"/api/v1/labels/{label_id}/bundle",
            f"/l/{label_id}?n=",  # a distinct query each: no page cache hit
        ]
        paths = [
            kinds[i % 3] + (str(i) if kinds[i % 3].endswith("=") else "") for i in range(CROWD)
        ]
        replies = asyncio.run(_flood(url, paths))
        statuses = Counter(reply.status_code for reply in replies)
        assert set(statuses) <= {200, 503}, statuses
        assert statuses[503] > 0, statuses  # 150 at once against 1 running and 2 in line
        for reply in replies:
            if reply.status_code == 503:
                _assert_overloaded(reply)
        # At once afterwards: served normally.
        for path in kinds:
            again = httpx.get(f"{url}{path}1", timeout=30) if path.endswith("=") else None
            reply = again or httpx.get(f"{url}{path}", timeout=30)
            assert reply.status_code == 200, reply.text
