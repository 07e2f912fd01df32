"""Footprint → certified label → anchoring loop → bundle → `tanji verify` VALID → revoke → INVALID.

Runs the real service over real HTTP (uvicorn on loopback) on the real embedded chain, and again
on a real `hardhat node`; the verifier checks against the chain through JSON-RPC: the service's
own ``/rpc`` for the embedded chain, the node's URL for Hardhat.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from registry.app import create_app
from registry.chain import deploy_contract, load_account
from registry.config import load_settings
from tests.nodes import HARDHAT_KEY_0, free_port
from tests.registry.factories import Orgs, bearer, footprint, make_orgs, numbered
from verifier.cli import main as verify_main
from verifier.protocol.reasons import RevocationReason

#: Reason code used for a revocation in this test (docs/PROTOCOL.md: 2 = withdrawn by certifier).
REASON = 2
WAIT_SECONDS = 120  # upper bound on waiting for the loop; the loop normally takes well under 1 s


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port (lifespan on); yield its URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="on", log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + WAIT_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(WAIT_SECONDS)


@dataclass
class Deployment:
    client: httpx.AsyncClient
    app: FastAPI
    orgs: Orgs
    rpc_url: str
    public_url: str | None = None  # where `tanji verify <url>/l/<id>` can fetch the bundle


async def wait_for(client: httpx.AsyncClient, path: str, ready: Any) -> dict[str, Any]:
    """GET ``path`` until ``ready(json)`` holds (the anchoring loop works in the background)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        body: dict[str, Any] = (await client.get(path)).json()
        if ready(body):
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} never became ready: {body}")
        await asyncio.sleep(0.1)


def verify(tmp_path: Path, bundle: dict[str, Any], deployment: Deployment, name: str) -> int:
    bundle_file = tmp_path / f"{name}.json"
    bundle_file.write_text(json.dumps(bundle), "utf-8")
    trust_file = tmp_path / "trust.json"
    trust = deployment.app.state.chain.trust_document(rpc_url=deployment.rpc_url, name="test")
    trust_file.write_text(json.dumps(trust), "utf-8")
    return verify_main(
        [str(bundle_file), "--trust", str(trust_file), "--rpc-url", deployment.rpc_url, "--json"]
    )


@pytest.fixture(params=["sqlite", "postgresql"])
async def embedded(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Deployment]:
    database_url = None
    if request.param == "postgresql":
        database_url = request.getfixturevalue("registry_database_url")
    settings = load_settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        batch_max_wait_seconds=0,
        poll_interval_seconds=0.05,
        base_url="https://tanji.test",
    )
    app = create_app(settings)
    with serving(app) as url:
        orgs = make_orgs(app.state.engine)
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:
            yield Deployment(client, app, orgs, rpc_url=f"{url}/rpc", public_url=url)


@pytest.fixture
async def hardhat(tmp_path: Path, hardhat_url: str) -> AsyncIterator[Deployment]:
    base: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "rpc_url": hardhat_url,
        "signer_key": HARDHAT_KEY_0,
        "batch_max_wait_seconds": 0,
        "poll_interval_seconds": 0.05,
    }
    first = load_settings(**base)
    account = load_account(first)
    from web3 import Web3

    address = deploy_contract(first, Web3(Web3.HTTPProvider(hardhat_url)), account).address
    app = create_app(load_settings(**base, anchor_address=address))
    async with app.router.lifespan_context(app):
        orgs = make_orgs(app.state.engine)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tanji.test") as client:
            yield Deployment(client, app, orgs, rpc_url=hardhat_url)


async def run_label_lifecycle(
    d: Deployment, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    c, orgs = d.client, d.orgs
    # 1. An enterprise submits its footprint.
    r = await c.post("/api/v1/footprints", json=footprint(), headers=bearer(orgs.enterprise))
    assert r.status_code == 201, r.text
    footprint_id = r.json()["id"]

    # 2. The certification body certifies it and issues the label.
    r = await c.post(
        "/api/v1/labels",
        json={
            "footprint_id": footprint_id,
            "valid_from": "2026-01-01",
            "valid_until": "2028-12-31",
        },
        headers=bearer(orgs.certifier),
    )
    assert r.status_code == 201, r.text
    label = r.json()
    label_id = label["id"]
    assert label["certificate_number"].startswith("CQ-CFL-")
    assert label["record"]["footprint"]["id"] == footprint_id
    assert label["record"]["grade"]["grade"] == label["grade"]

    # 3. The anchoring loop anchors it; the bundle then carries proof and anchor.
    await wait_for(c, f"/api/v1/labels/{label_id}", lambda b: b["anchor_status"] == "anchored")
    bundle = (await c.get(f"/api/v1/labels/{label_id}/bundle")).json()
    assert bundle["format"] == "tanji-bundle/1"
    assert bundle["anchor"]["txHash"].startswith("0x")
    assert verify(tmp_path, bundle, d, "anchored") == 0, capsys.readouterr().out
    if d.public_url is not None:  # the consumer page URL, as printed in the QR code
        trust = str(tmp_path / "trust.json")
        page = f"{d.public_url}/l/{label_id}"
        assert verify_main([page, "--trust", trust, "--rpc-url", d.rpc_url]) == 0
    capsys.readouterr()

    # 4. The certification body revokes it; the loop anchors the revocation; verify says INVALID.
    r = await c.post(
        f"/api/v1/labels/{label_id}/revoke",
        json={"reason_code": REASON, "note": "factory data found wrong on audit"},
        headers=bearer(orgs.certifier),
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "revoked"
    await wait_for(c, f"/api/v1/labels/{label_id}", lambda b: b["revocation_status"] == "anchored")
    assert verify(tmp_path, bundle, d, "revoked") == 1
    report = json.loads(capsys.readouterr().out)
    assert report["status"] == "INVALID"
    not_revoked = _check(report, "not_revoked")
    assert not_revoked["status"] == "INVALID"
    assert not_revoked["code"] == 501  # the leaf (this label) is revoked
    assert not_revoked["data"]["reasonCode"] == REASON


async def run_supersede(d: Deployment, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    c, orgs = d.client, d.orgs
    validity = {"valid_from": "2026-01-01", "valid_until": "2028-12-31"}
    r = await c.post("/api/v1/footprints", json=footprint(), headers=bearer(orgs.enterprise))
    assert r.status_code == 201, r.text
    r = await c.post(
        "/api/v1/labels",
        json={"footprint_id": r.json()["id"], **validity},
        headers=bearer(orgs.certifier),
    )
    assert r.status_code == 201, r.text
    old_id = r.json()["id"]
    await wait_for(c, f"/api/v1/labels/{old_id}", lambda b: b["anchor_status"] == "anchored")
    old_bundle = (await c.get(f"/api/v1/labels/{old_id}/bundle")).json()
    assert verify(tmp_path, old_bundle, d, "old-before") == 0, capsys.readouterr().out
    capsys.readouterr()

    # The enterprise corrects its footprint; the certification body supersedes the label.
    r = await c.post("/api/v1/footprints", json=numbered(7), headers=bearer(orgs.enterprise))
    assert r.status_code == 201, r.text
    r = await c.post(
        f"/api/v1/labels/{old_id}/supersede",
        json={"footprint_id": r.json()["id"], **validity},
        headers=bearer(orgs.certifier),
    )
    assert r.status_code == 201, r.text
    new_id = r.json()["id"]
    await wait_for(c, f"/api/v1/labels/{old_id}", lambda b: b["revocation_status"] == "anchored")

    # The bundle the consumer already holds now reads SUPERSEDED (exit 3): genuine, but replaced.
    assert verify(tmp_path, old_bundle, d, "old-after") == 3
    report = json.loads(capsys.readouterr().out)
    assert report["status"] == "SUPERSEDED"
    not_revoked = _check(report, "not_revoked")
    assert (not_revoked["status"], not_revoked["code"]) == ("SUPERSEDED", 502)
    assert not_revoked["data"]["reasonCode"] == RevocationReason.SUPERSEDED == 1
    new = await wait_for(c, f"/api/v1/labels/{new_id}", lambda b: b["anchor_status"] == "anchored")
    assert new["supersedes"] == old_id
    new_bundle = (await c.get(f"/api/v1/labels/{new_id}/bundle")).json()
    assert verify(tmp_path, new_bundle, d, "new") == 0, capsys.readouterr().out


def _check(report: Any, name: str) -> Any:
    """The named check in the verifier's JSON report, wherever the report nests its checks."""
    if isinstance(report, dict):
        if report.get("name") == name:
            return report
        for value in report.values():
            found = _check(value, name)
            if found is not None:
                return found
    if isinstance(report, list):
        for item in report:
            found = _check(item, name)
            if found is not None:
                return found
    return None


async def test_label_lifecycle_on_embedded_chain(
    embedded: Deployment, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await run_label_lifecycle(embedded, tmp_path, capsys)


@pytest.mark.hardhat
async def test_label_lifecycle_on_hardhat(
    hardhat: Deployment, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await run_label_lifecycle(hardhat, tmp_path, capsys)


async def test_superseded_label_reads_superseded_on_embedded_chain(
    embedded: Deployment, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await run_supersede(embedded, tmp_path, capsys)
