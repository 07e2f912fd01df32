"""The service with its anchoring loop on the real embedded chain (in-process, ASGI transport)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from registry.app import create_app
from registry.config import load_settings
from tests.registry.factories import (
    Orgs,
    audit_entries,
    bearer,
    footprint,
    make_orgs,
    numbered,
)

VALIDITY = {"valid_from": "2026-01-01", "valid_until": "2028-12-31"}
WAIT_SECONDS = 120


@pytest.fixture
async def chain_app(tmp_path: Path) -> AsyncIterator[FastAPI]:
    settings = load_settings(
        data_dir=tmp_path / "data",
        batch_max_wait_seconds=0,
        batch_max_size=64,
        poll_interval_seconds=0.05,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def chain_client(chain_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=chain_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tanji.test") as c:
        yield c


@pytest.fixture
def chain_orgs(chain_app: FastAPI) -> Orgs:
    return make_orgs(chain_app.state.engine)


async def wait_for(client: httpx.AsyncClient, path: str, ready: Any) -> Any:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        body = (await client.get(path)).json()
        if ready(body):
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} never became ready: {body}")
        await asyncio.sleep(0.05)


def on_chain_status(app: FastAPI, bundle: dict[str, Any]) -> Any:
    from verifier.protocol.merkle import leaf_hash

    leaf = leaf_hash(bundle["leafEncoding"], bundle["leafValue"])
    proof = [bytes.fromhex(p[2:]) for p in bundle["proof"]]
    return app.state.chain.client.check(bytes.fromhex(bundle["root"][2:]), leaf, proof)


async def test_loop_anchors_batches_and_reports_them(
    chain_app: FastAPI, chain_client: httpx.AsyncClient, chain_orgs: Orgs
) -> None:
    c = chain_client
    ids = []
    for i in range(130):  # more than two batches of batch_max_size=64
        r = await c.post(
            "/api/v1/footprints", json=numbered(i), headers=bearer(chain_orgs.enterprise)
        )
        ids.append(r.json()["id"])
    chain_app.state.loop.wake()
    await wait_for(
        c,
        "/healthz",
        lambda b: b["anchoring"]["pending"] == 0 and b["anchoring"]["open_batches"] == 0,
    )
    for fp_id in ids[:3] + ids[-3:]:
        got = (
            await c.get(f"/api/v1/footprints/{fp_id}", headers=bearer(chain_orgs.enterprise))
        ).json()
        assert got["anchor_status"] == "anchored"
    batches = (await c.get("/api/v1/batches", headers=bearer(chain_orgs.enterprise))).json()
    # The footprints and the audit entries of every change (the orgs' and the footprints').
    assert sum(b["record_count"] for b in batches["data"]) == 130 + audit_entries(chain_app)
    assert all(b["record_count"] <= 64 for b in batches["data"])
    one = batches["data"][0]
    detail = (
        await c.get(f"/api/v1/batches/{one['id']}", headers=bearer(chain_orgs.enterprise))
    ).json()
    assert detail == one
    assert detail["status"] == "anchored" and detail["tx_hash"].startswith("0x")
    assert detail["chain_id"] == chain_app.state.chain.chain_id
    r = await c.get("/api/v1/batches/999999", headers=bearer(chain_orgs.enterprise))
    assert r.status_code == 404
    health = (await c.get("/healthz")).json()
    assert health["status"] == "ok"
    assert health["chain"]["ok"] is True and health["chain"]["head"] >= len(batches["data"])
    assert health["anchoring"]["loop_running"] is True


async def test_revoking_a_pending_label_takes_effect_once_anchored(
    chain_app: FastAPI, chain_client: httpx.AsyncClient, chain_orgs: Orgs
) -> None:
    c = chain_client
    chain_app.state.loop.stop()  # keep the label pending while it is revoked
    fp = (
        await c.post("/api/v1/footprints", json=footprint(), headers=bearer(chain_orgs.enterprise))
    ).json()
    label = (
        await c.post(
            "/api/v1/labels",
            json={"footprint_id": fp["id"], **VALIDITY},
            headers=bearer(chain_orgs.certifier),
        )
    ).json()
    r = await c.post(
        f"/api/v1/labels/{label['id']}/revoke",
        json={"reason_code": 3},
        headers=bearer(chain_orgs.certifier),
    )
    assert r.json()["revocation_status"] == "requested"
    from registry.anchoring_loop import AnchoringLoop

    loop = AnchoringLoop(
        chain_app.state.engine, chain_app.state.chain.client, max_batch=64, max_wait_seconds=0
    )
    deadline = time.monotonic() + WAIT_SECONDS
    while (await c.get(f"/api/v1/labels/{label['id']}")).json()["revocation_status"] != "anchored":
        assert time.monotonic() < deadline, "the revocation was never anchored"
        loop.run_cycle()  # 1st: anchors the label and queues its revocation; 2nd: revokes it
    bundle = (await c.get(f"/api/v1/labels/{label['id']}/bundle")).json()
    status = on_chain_status(chain_app, bundle)
    assert status.included and not status.active and status.leaf_revoked_reason == 3


async def test_supersede_revokes_old_leaf_with_reason_1(
    chain_app: FastAPI, chain_client: httpx.AsyncClient, chain_orgs: Orgs
) -> None:
    c = chain_client
    fp = (
        await c.post("/api/v1/footprints", json=footprint(), headers=bearer(chain_orgs.enterprise))
    ).json()
    old = (
        await c.post(
            "/api/v1/labels",
            json={"footprint_id": fp["id"], **VALIDITY},
            headers=bearer(chain_orgs.certifier),
        )
    ).json()
    await wait_for(c, f"/api/v1/labels/{old['id']}", lambda b: b["anchor_status"] == "anchored")
    old_bundle = (await c.get(f"/api/v1/labels/{old['id']}/bundle")).json()
    assert on_chain_status(chain_app, old_bundle).active
    fixed = (
        await c.post("/api/v1/footprints", json=numbered(7), headers=bearer(chain_orgs.enterprise))
    ).json()
    new = (
        await c.post(
            f"/api/v1/labels/{old['id']}/supersede",
            json={"footprint_id": fixed["id"], **VALIDITY},
            headers=bearer(chain_orgs.certifier),
        )
    ).json()
    await wait_for(c, f"/api/v1/labels/{old['id']}", lambda b: b["revocation_status"] == "anchored")
    await wait_for(c, f"/api/v1/labels/{new['id']}", lambda b: b["anchor_status"] == "anchored")
    assert on_chain_status(chain_app, old_bundle).leaf_revoked_reason == 1
    new_bundle = (await c.get(f"/api/v1/labels/{new['id']}/bundle")).json()
    assert on_chain_status(chain_app, new_bundle).active
    assert new_bundle["record"]["supersedes"] == old["id"]


async def test_rpc_endpoint_serves_the_embedded_chain(
    chain_app: FastAPI, chain_client: httpx.AsyncClient
) -> None:
    r = await chain_client.post("/rpc", json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"})
    assert r.json()["result"] == hex(chain_app.state.chain.chain_id)
    r = await chain_client.post(
        "/rpc",
        json={"jsonrpc": "2.0", "id": 2, "method": "eth_sendRawTransaction", "params": ["0x00"]},
    )
    assert "error" in r.json()  # read-only
    r = await chain_client.post(
        "/rpc", content=b"{oops", headers={"Content-Type": "application/json"}
    )
    assert r.json()["error"]["code"] == -32700
