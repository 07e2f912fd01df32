"""Database faults, against a real `tanji serve`: each gives a clean 503 with a code and
``Retry-After`` (never a 500), and loses nothing the server acknowledged.

- SQLite: another process holds the write lock past the busy timeout → ``database_busy``; reads
  go on (WAL), and writes work again once the lock is released.
- PostgreSQL (a server of this test's own): stopped while records stream in →
  ``database_unavailable``; started again → writes work, and every acknowledged record is there.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from registry.db import DATABASE_BUSY, DATABASE_UNAVAILABLE, RETRY_AFTER_SECONDS
from tests.registry.factories import bearer, numbered
from tests.registry.postgres import create_database, postgres_instance
from tests.registry.server import WAIT_SECONDS, create_org, serve

pytestmark = pytest.mark.slow

#: A label's JSON, bundle and page (no such label: answered 404 once the database answers).
READS = ("/api/v1/labels/nosuchlabel1", "/api/v1/labels/nosuchlabel1/bundle", "/l/nosuchlabel1")
#: Generous for one request that meets a fault: the busy timeout (5 s) plus a loaded machine.
REQUEST_TIMEOUT = 30.0


def without_gtin(i: int) -> dict[str, Any]:
    """Footprint ``i`` with no GTIN (product identity is not what these tests are about)."""
    return {k: v for k, v in numbered(i).items() if k != "gtin"}


def post(url: str, key: str, i: int) -> httpx.Response:
    return httpx.post(
        f"{url}/api/v1/footprints",
        json=without_gtin(i),
        headers=bearer(key),
        timeout=REQUEST_TIMEOUT,
    )


def assert_fault(r: httpx.Response, code: str) -> None:
    """A clean 503: the error body with ``code`` and a ``Retry-After``."""
    assert r.status_code == 503, r.text
    assert r.json()["error"]["code"] == code, r.text
    assert r.headers["Retry-After"] == str(RETRY_AFTER_SECONDS[code])


def stored_ids(url: str, key: str) -> set[str]:
    """The ids of every footprint the organisation has, all anchored."""
    listed = httpx.get(f"{url}/api/v1/footprints?limit=1000", headers=bearer(key), timeout=10)
    data = listed.json()["data"]
    assert {fp["anchor_status"] for fp in data} == {"anchored"}, data
    return {fp["id"] for fp in data}


def wait_anchored(url: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        body = httpx.get(f"{url}/healthz", timeout=10).json()
        if body.get("anchoring", {}).get("pending") == 0 and body["status"] == "ok":
            return
        assert time.monotonic() < deadline, body
        time.sleep(0.2)


@pytest.mark.sqlite_only(reason="SQLite's file lock")
def test_a_locked_sqlite_database_answers_503_database_busy_and_loses_nothing(
    tmp_path: Path,
) -> None:
    data, log = tmp_path / "data", tmp_path / "serve.log"
    key = create_org(data)
    with serve(data, log) as (_proc, url):
        ids = []
        for i in range(3):
            r = post(url, key, i)
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])
        # Another process takes the write lock and keeps it past the busy timeout.
        # It waits for the lock when the server holds it for a moment (a batch being sealed).
        blocker = sqlite3.connect(data / "registry.sqlite3", isolation_level=None, timeout=10)
        try:
            blocker.execute("BEGIN IMMEDIATE")
            assert_fault(post(url, key, 3), DATABASE_BUSY)
            # Readers are not held up (WAL): records and health still answer.
            r = httpx.get(f"{url}/api/v1/footprints/{ids[0]}", headers=bearer(key), timeout=10)
            assert r.status_code == 200, r.text
            health = httpx.get(f"{url}/healthz", timeout=10).json()
            assert health["db"] == {"ok": True}
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        # The refused record was not half-stored: sent again, it is new (201, not a duplicate).
        r = post(url, key, 3)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
        wait_anchored(url)
        assert stored_ids(url, key) == set(ids)
    assert f"{DATABASE_BUSY} in POST /api/v1/footprints" in log.read_text()


class Writer(threading.Thread):
    """Streams footprint POSTs until stopped; keeps every answer."""

    def __init__(self, url: str, key: str) -> None:
        super().__init__(daemon=True)
        self.url, self.key = url, key
        self.answers: list[httpx.Response] = []
        self.halt = threading.Event()

    def run(self) -> None:
        i = 0
        while not self.halt.is_set():
            try:
                self.answers.append(post(self.url, self.key, i))
            except httpx.TransportError as exc:  # recorded as a failure of the test below
                self.answers.append(httpx.Response(599, text=repr(exc)))
            i += 1
            time.sleep(0.02)

    def count(self, status: int) -> int:
        return sum(1 for r in list(self.answers) if r.status_code == status)

    def wait_for(self, status: int, more_than: int) -> None:
        deadline = time.monotonic() + WAIT_SECONDS
        while self.count(status) <= more_than:
            assert self.is_alive() and time.monotonic() < deadline, self.answers[-3:]
            time.sleep(0.05)


def test_postgresql_stopped_mid_run_answers_503_and_loses_nothing_acknowledged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, log = tmp_path / "data", tmp_path / "serve.log"
    # A server of this test's own: the session's is shared with other tests.
    with postgres_instance() as server:
        monkeypatch.setenv("TANJI_DATABASE_URL", create_database(server.url, "faults"))
        key = create_org(data)
        with serve(data, log) as (_proc, url):
            writer = Writer(url, key)
            writer.start()
            try:
                writer.wait_for(201, more_than=5)
                server.stop()
                writer.wait_for(503, more_than=2)
                assert_fault(post(url, key, 10_000), DATABASE_UNAVAILABLE)
                # The public reads (asyncpg on the event loop: registry.pg_reads) likewise.
                for path in READS:
                    assert_fault(
                        httpx.get(url + path, timeout=REQUEST_TIMEOUT), DATABASE_UNAVAILABLE
                    )
                health = httpx.get(f"{url}/healthz", timeout=10)
                assert health.status_code == 503, health.text
                assert health.json()["db"]["ok"] is False
                server.start()
                acknowledged = writer.count(201)
                writer.wait_for(201, more_than=acknowledged + 3)
                for path in READS:  # back, on fresh connections
                    r = httpx.get(url + path, timeout=REQUEST_TIMEOUT)
                    assert r.status_code == 404, r.text
            finally:
                writer.halt.set()
                writer.join(REQUEST_TIMEOUT)
            statuses = {r.status_code for r in writer.answers}
            assert statuses == {201, 503}, [r.text for r in writer.answers if r.status_code >= 500]
            for r in writer.answers:
                if r.status_code == 503:
                    assert r.json()["error"]["code"] in (DATABASE_UNAVAILABLE, DATABASE_BUSY), (
                        r.text
                    )
                    assert "Retry-After" in r.headers
            ids = [r.json()["id"] for r in writer.answers if r.status_code == 201]
            wait_anchored(url)
            # A commit whose reply the outage cut off may be stored too: never one acknowledged
            # and missing.
            assert set(ids) <= stored_ids(url, key)
