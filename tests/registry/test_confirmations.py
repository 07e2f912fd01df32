"""The registry on a real Anvil (a block a second) with ``TANJI_CONFIRMATIONS=3``: the bundle and
the label page say "anchored, N confirmations" until the batch is final; /healthz tells what the
anchoring met on the chain; the published trust file asks verifiers for the same depth."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from web3 import Web3

from registry.app import create_app
from registry.chain import deploy_contract, load_account
from registry.config import Settings, load_settings
from tests.nodes import ANVIL_BLOCK_TIME, HARDHAT_KEY_0, rpc
from tests.registry.factories import bearer, footprint, make_orgs
from tests.registry.test_end_to_end import Deployment, wait_for

pytestmark = [pytest.mark.anvil, pytest.mark.slow]


def test_confirmations_default_by_chain() -> None:
    from anchoring.finality import EMBEDDED_CHAIN_ID

    settings = load_settings()
    assert settings.confirmations_for(EMBEDDED_CHAIN_ID) == 0  # the embedded chain
    assert settings.confirmations_for(31337) == 0  # Hardhat, Anvil
    assert settings.confirmations_for(1) == 64  # Ethereum: finalised after two epochs
    assert settings.confirmations_for(7777) == 12  # any other chain
    assert Settings(confirmations=5).confirmations_for(1) == 5  # TANJI_CONFIRMATIONS wins
    assert Settings(max_fee_gwei=1.5).max_fee_per_gas == 1_500_000_000


@pytest.fixture
async def anvil(tmp_path: Path, anvil_url: str) -> AsyncIterator[Deployment]:
    base: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "rpc_url": anvil_url,
        "signer_key": HARDHAT_KEY_0,
        "batch_max_wait_seconds": 0,
        "poll_interval_seconds": 0.1,
        "confirmations": 3,
        "public_rpc_url": anvil_url,  # label pages hand the reader's browser this node
    }
    first = load_settings(**base)
    address = deploy_contract(first, Web3(Web3.HTTPProvider(anvil_url)), load_account(first))
    app = create_app(load_settings(**base, anchor_address=address.address))
    async with app.router.lifespan_context(app):
        orgs = make_orgs(app.state.engine)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tanji.test") as client:
            yield Deployment(client, app, orgs, rpc_url=anvil_url)


async def test_bundle_and_page_say_anchored_with_confirmations_until_final(
    anvil: Deployment,
) -> None:
    c, orgs = anvil.client, anvil.orgs
    r = await c.post("/api/v1/footprints", json=footprint(), headers=bearer(orgs.enterprise))
    assert r.status_code == 201, r.text
    r = await c.post(
        "/api/v1/labels",
        json={
            "footprint_id": r.json()["id"],
            "valid_from": "2026-01-01",
            "valid_until": "2028-12-31",
        },
        headers=bearer(orgs.certifier),
    )
    assert r.status_code == 201, r.text
    label_id = r.json()["id"]
    bundle_path = f"/api/v1/labels/{label_id}/bundle"
    # Mined, not final: proof and anchor, and how deep it is. Mining stops while we look, so the
    # bundle and the label JSON see the same chain.
    await wait_for(c, bundle_path, lambda b: b.get("anchor") is not None)
    rpc(anvil.rpc_url, "evm_setIntervalMining", [0])
    try:
        bundle = (await c.get(bundle_path)).json()
        label = (await c.get(f"/api/v1/labels/{label_id}")).json()
        page = (await c.get(f"/l/{label_id}?lang=en")).text
    finally:
        rpc(anvil.rpc_url, "evm_setIntervalMining", [ANVIL_BLOCK_TIME])
    if "finality" in bundle:  # (a slow machine may only look once the batch is final)
        assert bundle["finality"]["required"] == 3 and not bundle["finality"]["final"]
        assert 0 <= bundle["finality"]["confirmations"] < 3
        assert "anchored, " in page and "confirmations (final at 3)" in page
        # The label JSON says so too: mined, not "anchored", with the bundle's finality.
        assert label["anchor_status"] == "mined"
        assert label["finality"] == bundle["finality"]
    else:
        assert (label["anchor_status"], label["finality"]) == ("anchored", None)
    # Final: the bundle is as on any chain, without the finality member.
    bundle = await wait_for(c, bundle_path, lambda b: b.get("anchor") and "finality" not in b)
    assert bundle["anchor"]["chainId"] == 31338
    page = (await c.get(f"/l/{label_id}?lang=en")).text
    assert 'id="confirmations"' not in page
    # The reader's browser is asked for the same depth (PENDING 409 until then).
    assert 'data-confirmations="3"' in page
    label = (await c.get(f"/api/v1/labels/{label_id}")).json()
    assert (label["anchor_status"], label["finality"]) == ("anchored", None)
    health = (await c.get("/healthz")).json()
    transactions = health["anchoring"]["transactions"]
    assert transactions["confirmations_required"] == 3
    assert transactions["nonce_conflicts"] == 0
    trust = (await c.get("/.well-known/tanji-trust.json")).json()
    assert trust["chains"][0]["confirmations"] == 3
