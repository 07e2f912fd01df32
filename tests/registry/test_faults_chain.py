"""Chain node faults, against a real `tanji serve` anchoring on a real Hardhat node.

- The node is paused (SIGSTOP) mid-run: writes keep being accepted as pending, ``/healthz`` keeps
  answering (``degraded``) even under a flood of checks, and once the node resumes (SIGCONT)
  anchoring resumes by itself, with no root anchored twice.
- The node is down when the server starts: the server starts all the same, reports degraded,
  accepts writes, and anchors them once the node is up and the contract deployed.
"""

from __future__ import annotations

import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from web3 import Web3

from anchoring.artifacts import load_anchor_artifact
from tests.nodes import HARDHAT_KEY_0, free_port, hardhat_node, hardhat_process
from tests.registry.factories import bearer, numbered
from tests.registry.server import TANJI, WAIT_SECONDS, create_org, serve

pytestmark = pytest.mark.slow

#: The client's limit for one ``/healthz``: well under one call to a stalled node (10 s), so a
#: health check that waited for the node fails the test.
HEALTH_TIMEOUT = 5.0
#: Health checks sent at once while the node is paused (the issue saw ~45 starve the server).
HEALTH_FLOOD = 48


def chain_env(rpc_url: str) -> dict[str, str]:
    """Serve on ``rpc_url``, signing with a Hardhat development key."""
    return {"TANJI_RPC_URL": rpc_url, "TANJI_SIGNER_KEY": HARDHAT_KEY_0}


def deploy(data: Path, rpc_url: str) -> str:
    """``tanji deploy`` on ``rpc_url``; the data dir remembers the contract. Returns its address."""
    out = subprocess.run(
        [*TANJI, "deploy", "--rpc-url", rpc_url, "--data-dir", str(data)],
        env={**os.environ, **chain_env(rpc_url)},
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip().splitlines()[-1]


def health(url: str) -> tuple[int, dict[str, Any]]:
    r = httpx.get(f"{url}/healthz", timeout=HEALTH_TIMEOUT)
    return r.status_code, r.json()


def without_gtin(i: int) -> dict[str, Any]:
    """Footprint ``i`` with no GTIN (product identity is not what these tests are about)."""
    return {k: v for k, v in numbered(i).items() if k != "gtin"}


def submit(url: str, key: str, i: int) -> str:
    """POST footprint ``i``; it must be accepted (201) and wait for anchoring."""
    r = httpx.post(
        f"{url}/api/v1/footprints", json=without_gtin(i), headers=bearer(key), timeout=30
    )
    assert r.status_code == 201, r.text
    assert r.json()["anchor_status"] == "pending", r.text
    return str(r.json()["id"])


def wait_health(url: str, ready: Any, what: str) -> dict[str, Any]:
    """Poll ``/healthz`` until ``ready(body)``; return the body."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        _, body = health(url)
        if ready(body):
            return body
        assert time.monotonic() < deadline, f"{what}: {body}"
        time.sleep(0.2)


def idle(body: dict[str, Any]) -> bool:
    anchoring = body.get("anchoring", {})
    return (
        body["chain"]["ok"] is True
        and anchoring.get("pending") == 0
        and anchoring.get("open_batches") == 0
    )


def assert_all_anchored(url: str, key: str, ids: list[str]) -> None:
    for fp_id in ids:
        got = httpx.get(f"{url}/api/v1/footprints/{fp_id}", headers=bearer(key), timeout=10)
        assert got.json()["anchor_status"] == "anchored", got.text


def assert_each_root_once(url: str, key: str, rpc_url: str, contract: str) -> None:
    """Every batch root is anchored on chain exactly once, and nothing else is."""
    batches = httpx.get(f"{url}/api/v1/batches?limit=1000", headers=bearer(key), timeout=10)
    data = batches.json()["data"]
    assert data and {b["status"] for b in data} == {"anchored"}, data
    w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": 10}))
    registry = w3.eth.contract(address=contract, abi=load_anchor_artifact().abi)  # type: ignore[call-overload]
    events = registry.events.RootAnchored.get_logs(from_block=0)
    roots = ["0x" + bytes(e["args"]["root"]).hex() for e in events]
    assert len(roots) == len(set(roots)), f"a root was anchored twice: {roots}"
    assert sorted(roots) == sorted(b["root"] for b in data)


def test_a_paused_node_leaves_writes_and_health_answering_and_anchoring_resumes(
    tmp_path: Path,
) -> None:
    data, log = tmp_path / "data", tmp_path / "serve.log"
    with hardhat_process() as node:
        contract = deploy(data, node.url)
        key = create_org(data)
        with serve(data, log, chain_env(node.url)) as (_proc, url):
            ids = [submit(url, key, i) for i in range(3)]
            wait_health(url, idle, "the first records were not anchored")
            node.pause()
            try:
                body = wait_health(
                    url, lambda b: b["chain"]["ok"] is False, "health never saw the paused node"
                )
                assert body["status"] == "degraded"
                assert body["chain"]["code"] == "chain_timeout"
                assert body["chain"]["age_seconds"] >= 0
                # A flood of health checks while writes go on: every one answers, in time.
                with ThreadPoolExecutor(max_workers=16) as pool:
                    checks = [pool.submit(health, url) for _ in range(HEALTH_FLOOD)]
                    ids += [submit(url, key, i) for i in range(3, 13)]
                    answers = [check.result() for check in checks]
                for status, body in answers:
                    assert status == 503 and body["status"] == "degraded", body
                    assert body["db"] == {"ok": True}
                # Paused past the anchoring client's time limit: the loop's cycle fails too.
                body = wait_health(
                    url,
                    lambda b: b["anchoring"]["last_error"] is not None,
                    "the anchoring loop never gave up on the paused node",
                )
                assert body["anchoring"]["pending"] >= 10
            finally:
                node.resume()
            body = wait_health(url, idle, "anchoring did not resume after the node came back")
            assert body["status"] == "ok" and body["anchoring"]["loop_running"] is True
            assert_all_anchored(url, key, ids)
            assert_each_root_once(url, key, node.url, contract)
    text = log.read_text()
    assert "chain probe failed (chain_timeout)" in text
    assert "the chain node answers again" in text
    assert "anchoring cycle failed (chain_unavailable)" in text


def test_the_server_starts_with_the_node_down_and_anchors_once_it_is_up(tmp_path: Path) -> None:
    data, log = tmp_path / "data", tmp_path / "serve.log"
    port = free_port()  # nothing listens here yet
    rpc_url = f"http://127.0.0.1:{port}"
    key = create_org(data)
    with serve(data, log, chain_env(rpc_url), ready_status=(200, 503)) as (proc, url):
        status, body = health(url)
        assert status == 503 and body["status"] == "degraded"
        assert body["chain"]["ok"] is False and body["chain"]["code"] == "chain_unavailable"
        assert body["anchoring"]["loop_running"] is False
        assert str(port) not in str(body["chain"])
        ids = [submit(url, key, i) for i in range(2)]
        with hardhat_node(port=port):
            contract = deploy(data, rpc_url)  # the server finds it in the data dir
            ids.append(submit(url, key, 2))
            body = wait_health(url, idle, "the records were not anchored once the node was up")
            assert body["status"] == "ok" and body["anchoring"]["loop_running"] is True
            assert_all_anchored(url, key, ids)
            assert_each_root_once(url, key, rpc_url, contract)
        assert proc.poll() is None
    start_up = log.read_text().partition("Application startup complete")[0]
    assert "the chain is not open (chain_unavailable)" in start_up
    assert "Traceback" not in start_up
