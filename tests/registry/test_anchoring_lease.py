"""Exactly one anchoring loop per database: the anchoring lease (registry.anchoring_lease).

Two ``tanji serve`` processes on one PostgreSQL database and one Hardhat node: one anchors while
the other stands by; ``kill -9`` of the first makes the second take over, and every record is
anchored exactly once (one ``RootAnchored`` event per batch, no root twice, none left pending).
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text
from web3 import Web3

from anchoring.artifacts import load_anchor_artifact
from anchoring.ledger import BATCH_ANCHORED, RECORD_ANCHORED
from registry.anchoring_lease import FileLease, PostgresLease, lease_for
from registry.config import load_settings
from registry.db import make_engine, migrate
from tests.nodes import HARDHAT_KEY_1
from tests.registry.factories import bearer, numbered
from tests.registry.server import TANJI, WAIT_SECONDS, create_org, serve

#: The log line of each batch a loop anchors (registry.anchoring_loop.AnchoringLoop.run_cycle).
ANCHORED_LINE = re.compile(r"anchored batch \d+: \d+ records, root (0x[0-9a-f]{64})")


def pg_engine(tmp_path: Path, database_url: str) -> Engine:
    engine = make_engine(load_settings(data_dir=tmp_path, database_url=database_url))
    migrate(engine)
    return engine


def test_a_postgresql_lease_has_one_holder_and_frees_when_its_session_dies(
    tmp_path: Path, postgres_database: str
) -> None:
    engine = pg_engine(tmp_path, postgres_database)
    first, second = PostgresLease(engine), PostgresLease(engine)
    assert first.hold() and first.hold()  # held, and still held
    assert not second.hold()
    # The holder's session ends (as when its process dies): the lock is free, the holder knows.
    with engine.begin() as conn:
        ended = conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks "
                "WHERE locktype = 'advisory' AND pid <> pg_backend_pid()"
            )
        ).all()
    assert ended == [(True,)]
    deadline = time.monotonic() + WAIT_SECONDS
    while not second.hold():
        assert time.monotonic() < deadline, "the lock was not freed with its session"
        time.sleep(0.05)
    assert not first.hold()  # lost with its session; the other holds it now
    second.release()
    assert first.hold()
    first.release()
    engine.dispose()


@pytest.mark.sqlite_only(reason="the lease of a SQLite database")
def test_a_sqlite_lease_is_a_lock_file_next_to_the_database(tmp_path: Path) -> None:
    engine = make_engine(load_settings(data_dir=tmp_path / "data"))
    lease = lease_for(engine)
    assert isinstance(lease, FileLease)
    assert lease.path == tmp_path / "data" / "registry.sqlite3.anchoring.lock"
    other = FileLease(lease.path)
    assert lease.hold() and not other.hold()
    lease.release()
    assert other.hold() and not lease.hold()
    other.release()
    engine.dispose()


def health(url: str) -> dict[str, Any]:
    body: dict[str, Any] = httpx.get(f"{url}/healthz", timeout=10).json()
    return body


def wait_for(what: str, ready: Any) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not ready():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.1)


def post(url: str, key: str, first: int, count: int) -> list[str]:
    ids = []
    for i in range(first, first + count):
        r = httpx.post(
            f"{url}/api/v1/footprints", json=numbered(i), headers=bearer(key), timeout=30
        )
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    return ids


def anchored_roots(log: Path) -> list[str]:
    return ANCHORED_LINE.findall(log.read_text("utf-8", errors="replace"))


@pytest.mark.slow
@pytest.mark.hardhat
def test_two_servers_on_one_postgresql_anchor_through_one_loop_and_the_second_takes_over(
    tmp_path: Path, postgres_database: str, hardhat_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TANJI_DATABASE_URL", postgres_database)
    monkeypatch.setenv("TANJI_RPC_URL", hardhat_url)
    monkeypatch.setenv("TANJI_SIGNER_KEY", HARDHAT_KEY_1)
    deployed = subprocess.run(
        [*TANJI, "deploy", "--rpc-url", hardhat_url, "--data-dir", str(tmp_path / "a")],
        check=True,
        capture_output=True,
        text=True,
    )
    contract = deployed.stdout.strip().splitlines()[-1]
    monkeypatch.setenv("TANJI_ANCHOR_ADDRESS", contract)
    key = create_org(tmp_path / "a")
    logs = tmp_path / "a.log", tmp_path / "b.log"

    with serve(tmp_path / "a", logs[0]) as (first, first_url):
        wait_for("the first server leads", lambda: health(first_url)["anchoring"]["leader"])
        with serve(tmp_path / "b", logs[1]) as (_, second_url):
            standby = health(second_url)["anchoring"]
            assert standby["loop_running"] is True and standby["leader"] is False
            # Written through the standby, anchored by the leader.
            ids = post(second_url, key, 0, 20)
            wait_for("the first batches are anchored", lambda: not pending(second_url))
            assert anchored_roots(logs[0]) and not anchored_roots(logs[1])
            assert health(second_url)["anchoring"]["leader"] is False  # still waiting

            # More records, then the leader dies mid-work: the standby takes over.
            ids += post(second_url, key, 20, 20)
            first.kill()  # SIGKILL
            first.wait(WAIT_SECONDS)
            wait_for("the second server leads", lambda: health(second_url)["anchoring"]["leader"])
            ids += post(second_url, key, 40, 10)
            wait_for("everything is anchored", lambda: not pending(second_url))
            assert anchored_roots(logs[1])

            for footprint_id in ids:
                r = httpx.get(
                    f"{second_url}/api/v1/footprints/{footprint_id}",
                    headers=bearer(key),
                    timeout=10,
                )
                assert r.json()["anchor_status"] == "anchored", r.text
    check_anchored_once(tmp_path, postgres_database, hardhat_url, contract, len(ids))


def pending(url: str) -> bool:
    anchoring = health(url)["anchoring"]
    return bool(anchoring["pending"] or anchoring["open_batches"])


def check_anchored_once(
    tmp_path: Path, database_url: str, rpc_url: str, contract: str, records: int
) -> None:
    """Each batch's root anchored by exactly one transaction; each record in one anchored batch."""
    engine = make_engine(load_settings(data_dir=tmp_path, database_url=database_url))
    with engine.connect() as conn:
        batches = conn.execute(text("SELECT root, status FROM anchor_batch")).all()
        statuses = Counter(
            conn.execute(
                text("SELECT status FROM anchor_record WHERE record_type = 'footprint'")
            ).scalars()
        )
    engine.dispose()
    assert {status for _, status in batches} == {BATCH_ANCHORED}
    assert statuses == {RECORD_ANCHORED: records}
    w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": 30}))
    registry = w3.eth.contract(
        address=Web3.to_checksum_address(contract), abi=load_anchor_artifact().abi
    )
    events = registry.events.RootAnchored.get_logs(from_block=0)
    on_chain = Counter("0x" + bytes(e["args"]["root"]).hex() for e in events)
    assert max(on_chain.values()) == 1  # no root anchored twice
    assert set(on_chain) == {root for root, _ in batches}


def test_tanji_anchor_refuses_while_a_server_holds_the_lease(tmp_path: Path) -> None:
    data = tmp_path / "data"
    engine = make_engine(load_settings(data_dir=data))
    migrate(engine)
    lease = lease_for(engine)
    assert lease.hold()
    try:
        out = subprocess.run(
            [*TANJI, "anchor", "--data-dir", str(data)],
            capture_output=True,
            text=True,
            env={**os.environ, "ETH_HASH_BACKEND": "pysha3"},
        )
    finally:
        lease.release()
        engine.dispose()
    assert out.returncode == 1
    assert "anchoring_lease_held" in out.stderr
