"""`tanji serve` as a real process: graceful stop on SIGTERM, and `kill -9` mid-work loses nothing.

Records accepted before a crash are either anchored or still pending in the database; the next
start anchors the pending ones and finishes any batch the crash interrupted.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from tests.database import registry_database
from tests.registry.factories import bearer, numbered
from tests.registry.server import WAIT_SECONDS, create_org, serve

pytestmark = pytest.mark.slow


def wait_until_idle(url: str) -> dict:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        body = httpx.get(f"{url}/healthz", timeout=10).json()
        anchoring = body["anchoring"]
        if anchoring["pending"] == 0 and anchoring["open_batches"] == 0:
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.1)


def ledger_states(data_dir: Path) -> tuple[dict[str, int], dict[str, int]]:
    """Record and batch counts per status, read straight from the stopped server's database."""
    engine = registry_database(data_dir)
    try:
        with engine.connect() as conn:
            records = conn.execute(
                text("SELECT status, COUNT(*) FROM anchor_record GROUP BY status")
            )
            batches = conn.execute(
                text("SELECT status, COUNT(*) FROM anchor_batch GROUP BY status")
            )
            return dict(records.tuples().all()), dict(batches.tuples().all())
    finally:
        engine.dispose()


def audit_entries(data_dir: Path) -> int:
    """Audit entries in the database (each is a ledger record too)."""
    engine = registry_database(data_dir)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT COUNT(*) FROM audit_entry")).scalar_one())
    finally:
        engine.dispose()


def test_sigterm_stops_gracefully_and_kill_9_loses_nothing(tmp_path: Path) -> None:
    data, log = tmp_path / "data", tmp_path / "serve.log"
    key = create_org(data)
    ids: list[str] = []
    with serve(data, log) as (proc, url):
        for i in range(40):
            r = httpx.post(
                f"{url}/api/v1/footprints", json=numbered(i), headers=bearer(key), timeout=30
            )
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])
        proc.send_signal(signal.SIGKILL)  # while the loop is anchoring what just arrived
        proc.wait(WAIT_SECONDS)
    with serve(data, log) as (proc, url):
        wait_until_idle(url)
        for fp_id in ids:
            got = httpx.get(
                f"{url}/api/v1/footprints/{fp_id}", headers=bearer(key), timeout=10
            ).json()
            assert got["anchor_status"] == "anchored", got
        batches = httpx.get(
            f"{url}/api/v1/batches?limit=1000", headers=bearer(key), timeout=10
        ).json()
        # Each footprint once, and the audit entries of every change (orgs, keys, footprints).
        entries = audit_entries(data)
        assert entries >= len(ids)
        assert sum(b["record_count"] for b in batches["data"]) == len(ids) + entries
        for i in range(40, 45):
            httpx.post(
                f"{url}/api/v1/footprints", json=numbered(i), headers=bearer(key), timeout=30
            )
        proc.send_signal(signal.SIGTERM)
        # uvicorn shuts down (lifespan: the loop finishes its cycle), then re-raises the signal.
        assert proc.wait(WAIT_SECONDS) in (0, -signal.SIGTERM)
    assert "Application shutdown complete" in log.read_text()
    # Before anything restarts: every record is pending or anchored, no batch half-way.
    records, batches = ledger_states(data)
    assert set(records) <= {"pending", "anchored"}, records
    assert sum(records.values()) == 45 + audit_entries(data)  # footprints and audit entries
    assert set(batches) == {"anchored"}, batches
    # The lock on the embedded chain was released, and nothing accepted was lost.
    with serve(data, log) as (proc, url):
        body = wait_until_idle(url)
        assert body["chain"]["ok"] is True
        listed = httpx.get(
            f"{url}/api/v1/footprints?limit=1000", headers=bearer(key), timeout=10
        ).json()
        assert listed["count"] == 45
        assert {fp["anchor_status"] for fp in listed["data"]} == {"anchored"}
