"""``/healthz`` is public: a chain failure shows a stable code, never the node URL's API key."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from eth_account import Account
from fastapi import FastAPI
from web3 import Web3

from anchoring.client import AnchorClient
from registry.anchoring_loop import AnchoringLoop
from registry.app import create_app
from registry.chain import ChainHandle, redact_url_secrets
from registry.config import load_settings
from tests.nodes import free_port
from tests.registry.factories import audit_entries, bearer, footprint, make_orgs

WAIT_SECONDS = 60


@pytest.fixture
def api_key() -> str:
    """A fake hosted-node API key (random, so it cannot appear anywhere by chance)."""
    return f"tk_live_{secrets.token_hex(16)}"


@pytest.fixture
async def unreachable_app(tmp_path: Path, api_key: str) -> AsyncIterator[FastAPI]:
    """The app anchoring through a node URL that carries ``api_key`` and where nobody listens.

    The chain handle and the loop are set up here the way the lifespan does it once a chain is
    open (then the node went away), on a real, closed loopback port; the chain monitor probes
    whatever chain the app holds.
    """
    rpc_url = f"http://127.0.0.1:{free_port()}/v2/{api_key}"
    app = create_app(load_settings(data_dir=tmp_path / "data", anchoring=False))
    async with app.router.lifespan_context(app):
        w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": 5}))
        account = Account.create()
        client = AnchorClient(w3, "0x" + "11" * 20, account)
        chain = ChainHandle(w3=w3, client=client, account=account, rpc_url=rpc_url)
        loop = AnchoringLoop(
            app.state.engine,
            client,
            max_batch=16,
            max_wait_seconds=0,
            poll_interval=0.05,
            redact=chain.redact,
        )
        app.state.chain, app.state.loop = chain, loop
        loop.start()
        yield app  # the lifespan stops the loop and closes the chain


async def test_healthz_hides_the_node_url_and_logs_it_redacted(
    unreachable_app: FastAPI, api_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    app = unreachable_app
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tanji.test") as c:
        orgs = make_orgs(app.state.engine)
        r = await c.post("/api/v1/footprints", json=footprint(), headers=bearer(orgs.enterprise))
        assert r.status_code == 201, r.text
        app.state.loop.wake()
        deadline = time.monotonic() + WAIT_SECONDS
        while app.state.loop.last_error_code is None:  # the loop tried the chain and failed
            assert time.monotonic() < deadline, "the anchoring cycle never failed"
            await asyncio.sleep(0.05)
        # The chain monitor probes on its own thread, every few seconds; /healthz shows its cache.
        while (r := await c.get("/healthz")).json()["chain"]["ok"] is not False:
            assert time.monotonic() < deadline, r.text
            await asyncio.sleep(0.1)
    assert r.status_code == 503
    body = r.json()
    assert body["status"] == "degraded"
    chain = body["chain"]
    assert chain["age_seconds"] >= 0 and chain["checked_at"]
    assert {k: v for k, v in chain.items() if k not in ("age_seconds", "checked_at")} == {
        "ok": False,
        "code": "chain_unavailable",
        "message": "the chain node cannot be reached",
    }
    assert body["anchoring"]["last_error"]["code"] == "chain_unavailable"
    # The footprint and the audit entries of the orgs and the footprint, none anchored.
    assert body["anchoring"]["pending"] == 1 + audit_entries(app)
    assert api_key not in r.text and "/v2/" not in r.text and "127.0.0.1" not in r.text
    # The server log keeps the details (what failed and where), without the key.
    chain_logs = [rec for rec in caplog.records if rec.name.startswith("registry")]
    text = "\n".join(rec.getMessage() + (rec.exc_text or "") for rec in chain_logs)
    assert "chain probe failed (chain_unavailable)" in text
    assert "anchoring cycle failed (chain_unavailable)" in text
    assert "Connection refused" in text or "ConnectionError" in text
    assert "<redacted>" in text
    assert api_key not in caplog.text and api_key not in text
    assert api_key not in (app.state.loop.last_error or "")


def test_redaction_of_node_url_secrets() -> None:
    url = "https://ops:pa55-w0rd@eth.example.com/v2/tk_live_0123456789?apikey=qqqqqqqq"
    quoted = (
        f"node {url} is unreachable; with url: /v2/tk_live_0123456789?apikey=qqqqqqqq; "
        "key tk_live_0123456789 refused; see https://ops:pa55-w0rd@eth.example.com/other"
    )
    clean = redact_url_secrets(quoted, url)
    for secret in ("tk_live_0123456789", "qqqqqqqq", "pa55-w0rd", "ops:"):
        assert secret not in clean
    assert "node https://eth.example.com/v2/<redacted>?<redacted> is unreachable" in clean
    # A URL with nothing secret in it stays readable.
    plain = "http://127.0.0.1:8545"
    assert redact_url_secrets(f"node {plain} down", plain) == f"node {plain} down"
