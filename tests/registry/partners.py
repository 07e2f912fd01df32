"""Test material for mutual recognition: partner certifiers' keys, signed statements, flows.

The keys are Hardhat's public development accounts #3-#5 (printed by every `hardhat node`; test
material only). They are the example certification bodies of
``registry/data/trust-profiles/{sg,hk}-partner.json``, so those profiles verify these tests'
recognitions once their contract address is set to the test's.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any, Final

import httpx
from eth_account import Account
from eth_account.messages import encode_defunct
from sqlalchemy import Engine
from sqlmodel import Session

from registry.crud.orgs import create_org
from registry.models.orgs import OrgRole
from tests.registry.factories import bearer
from verifier.protocol.hashing import keccak
from verifier.protocol.recognition import recognition_typed_data, withdrawal_typed_data

SG_BODY_KEY: Final = "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6"
HK_BODY_KEY: Final = "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a"
CQ_BODY_KEY: Final = "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba"
SG_SCHEME: Final = "SG-CFP-MRA-2026"
HK_SCHEME: Final = "HK-CFL-MRA-2026"
PROFILES: Final = Path(__file__).resolve().parents[2] / "registry" / "data" / "trust-profiles"
WAIT_SECONDS: Final = 120


def address_of(key: str) -> str:
    """The EIP-55 address of a private key."""
    return str(Account.from_key(key).address)


def partner_key(name: str) -> str:
    """A further deterministic test private key (a partner's next key after a rotation)."""
    return "0x" + keccak(f"tanji/tests/partner-key/{name}".encode()).hex()


async def key_registration(client: httpx.AsyncClient, api_key: str, key: str) -> dict[str, str]:
    """``{address, signature}``: the challenge for ``api_key``'s organisation signed by ``key``."""
    address = address_of(key)
    r = await client.get(
        "/api/v1/recognitions/keys/challenge", params={"address": address}, headers=bearer(api_key)
    )
    assert r.status_code == 200, r.text
    signed = Account.sign_message(encode_defunct(text=r.json()["message"]), private_key=key)
    return {"address": address, "signature": "0x" + bytes(signed.signature).hex()}


async def register_partner(
    client: httpx.AsyncClient, engine: Engine, *, name: str, key: str
) -> tuple[str, str]:
    """Create a partner_certifier org and register ``key``'s address; return (org id, API key)."""
    with Session(engine, expire_on_commit=False) as session:
        org, api_key = create_org(session, name=name, role=OrgRole.PARTNER_CERTIFIER)
    r = await client.post(
        "/api/v1/recognitions/keys",
        json=await key_registration(client, api_key, key),
        headers=bearer(api_key),
    )
    assert r.status_code == 201, r.text
    return org.id, api_key


def nonce(label: str) -> str:
    """A deterministic bytes32 nonce."""
    return "0x" + keccak(f"tanji/tests/nonce/{label}".encode()).hex()


def recognition_message(
    key: str,
    *,
    subject: str,
    subject_type: str = "label",
    scheme: str = SG_SCHEME,
    category: str = "laptop",
    valid_from: int | None = None,
    valid_until: int = 0,
    tag: str = "1",
) -> dict[str, Any]:
    """A Recognition message by ``key``'s address."""
    return {
        "recognizer": address_of(key),
        "scheme": scheme,
        "subjectType": subject_type,
        "subject": subject,
        "category": category,
        "scope": f"Carbon footprint labels recognised under {scheme}",
        "validFrom": int(time.time()) - 3600 if valid_from is None else valid_from,
        "validUntil": valid_until,
        "nonce": nonce(f"{address_of(key)}/{subject}/{tag}"),
    }


def sign(typed: dict[str, Any], key: str) -> str:
    """The 0x-hex EIP-712 signature of ``typed`` by ``key`` (eth-account)."""
    signed = Account.sign_typed_data(key, full_message=typed)
    return "0x" + bytes(signed.signature).hex()


def signed_recognition(
    key: str, message: dict[str, Any], *, chain_id: int, contract: str, **extra: Any
) -> dict[str, Any]:
    """The body of ``POST /api/v1/recognitions``."""
    typed = recognition_typed_data(message, chain_id=chain_id, contract=contract)
    return {"typedData": typed, "signature": sign(typed, key), **extra}


def signed_withdrawal(
    key: str, recognition_id: str, *, chain_id: int, contract: str, reason: int = 1
) -> dict[str, Any]:
    """The body of ``POST /api/v1/recognitions/{id}/withdraw``."""
    message = {
        "recognizer": address_of(key),
        "recognition": recognition_id,
        "reason": reason,
        "time": int(time.time()),
    }
    typed = withdrawal_typed_data(message, chain_id=chain_id, contract=contract)
    return {"typedData": typed, "signature": sign(typed, key)}


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


async def issue_label(
    client: httpx.AsyncClient, *, enterprise: str, certifier: str, payload: dict[str, Any]
) -> dict[str, Any]:
    """Submit ``payload`` as a footprint and certify it; return the label (not yet anchored)."""
    r = await client.post("/api/v1/footprints", json=payload, headers=bearer(enterprise))
    assert r.status_code == 201, r.text
    r = await client.post(
        "/api/v1/labels",
        json={
            "footprint_id": r.json()["id"],
            "valid_from": "2026-01-01",
            "valid_until": "2028-12-31",
        },
        headers=bearer(certifier),
    )
    assert r.status_code == 201, r.text
    label: dict[str, Any] = r.json()
    return label


def profile(name: str, *, contract: str, rpc_url: str) -> dict[str, Any]:
    """An example trust profile with the test deployment's contract and node."""
    data: dict[str, Any] = json.loads((PROFILES / f"{name}-partner.json").read_text("utf-8"))
    data["chains"][0]["contracts"] = [contract]
    data["chains"][0]["rpcUrl"] = rpc_url
    return data
