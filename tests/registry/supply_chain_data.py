"""Test material for supply-chain tests: supplier keys, signed attestations, API helpers.

Keys are derived from public seeds (``keccak("tanji/tests/<name>")``): worthless outside tests.
Signatures are made with eth-account (``sign_typed_data`` / ``sign_message``), as a supplier's
back office would; ``scripts/sign-eip712.js`` signs the same documents with ethers.
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from fastapi import FastAPI

from registry.app import create_app
from registry.config import load_settings
from tests.registry.factories import bearer
from verifier.protocol.hashing import keccak

YEAR = 365 * 24 * 3600


def supplier_account(name: str) -> LocalAccount:
    """A deterministic test key."""
    account: LocalAccount = Account.from_key(keccak(f"tanji/tests/{name}".encode()))
    return account


def message(
    supplier: LocalAccount,
    *,
    component: str = "CQ-CELL-21700-A",
    product: str = "BSH-LT14-2026",
    unit: str = "unit",
    value: str = "0.482",
    upstream: list[str] | None = None,
    nonce: str | None = None,
    expiry: int | None = None,
) -> dict[str, Any]:
    """An ``Attestation`` message (random nonce, expiring in a year unless given)."""
    return {
        "supplier": supplier.address,
        "componentId": component,
        "productId": product,
        "declaredUnit": unit,
        "kgCo2ePerUnit": value,
        "systemBoundary": "cradle-to-gate",
        "periodStart": 1735689600,
        "periodEnd": 1767225600,
        "upstream": sorted(upstream or []),
        "nonce": nonce or "0x" + os.urandom(32).hex(),
        "expiry": expiry if expiry is not None else int(time.time()) + YEAR,
    }


def sign(account: LocalAccount, eip712: dict[str, Any], msg: dict[str, Any]) -> str:
    """Sign ``msg`` with eth-account under the domain and types the registry published."""
    types = {k: v for k, v in eip712["types"].items() if k != "EIP712Domain"}
    signed = account.sign_typed_data(eip712["domain"], types, msg)
    return "0x" + bytes(signed.signature).hex()


def item(account: LocalAccount, eip712: dict[str, Any], msg: dict[str, Any]) -> dict[str, Any]:
    """A push item: the message and its signature."""
    return {"message": msg, "signature": sign(account, eip712, msg)}


def digest_of(eip712: dict[str, Any], msg: dict[str, Any]) -> str:
    """The attestation id (EIP-712 digest) of ``msg``."""
    from verifier.protocol.attestation import attestation_digest

    domain = eip712["domain"]
    return (
        "0x"
        + attestation_digest(
            msg, chain_id=domain["chainId"], contract=domain["verifyingContract"]
        ).hex()
    )


async def register_key(
    client: httpx.AsyncClient,
    api_key: str,
    account: LocalAccount,
    **extra: Any,
) -> httpx.Response:
    """Register ``account`` for the organisation of ``api_key`` (challenge, sign, post)."""
    challenge = await client.get(
        "/api/v1/suppliers/keys/challenge",
        params={"address": account.address},
        headers=bearer(api_key),
    )
    assert challenge.status_code == 200, challenge.text
    signature = account.sign_message(encode_defunct(text=challenge.json()["message"])).signature
    return await client.post(
        "/api/v1/suppliers/keys",
        json={"address": account.address, "signature": "0x" + bytes(signature).hex(), **extra},
        headers=bearer(api_key),
    )


def registration(client_base_url: str, org_id: str, account: LocalAccount) -> dict[str, str]:
    """A key registration body signed without asking the server for the challenge."""
    from registry.crud.suppliers import registration_message

    text = registration_message(base_url=client_base_url, org_id=org_id, address=account.address)
    signature = account.sign_message(encode_defunct(text=text)).signature
    return {"address": account.address, "signature": "0x" + bytes(signature).hex()}


@dataclass
class ChainApp:
    """The registry on the embedded chain (anchoring loop running), with an httpx client."""

    app: FastAPI
    client: httpx.AsyncClient


async def chain_app(tmp_path: Path, **overrides: Any) -> AsyncIterator[ChainApp]:
    """Start the registry with the embedded chain in ``tmp_path`` (an async generator)."""
    settings = load_settings(
        data_dir=tmp_path / "data",
        base_url="https://tanji.test",
        batch_max_wait_seconds=0,
        poll_interval_seconds=0.05,
        **overrides,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tanji.test") as c:
            yield ChainApp(app, c)
