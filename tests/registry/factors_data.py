"""Test material for the factor database: a publisher, its key, small signed dataset versions.

The keys are derived from public strings (test material only).
"""

from __future__ import annotations

import copy
from typing import Any, Final

import httpx
from eth_account import Account
from eth_account.messages import encode_defunct
from sqlalchemy import Engine
from sqlmodel import Session

from registry.crud.orgs import create_org
from registry.factors.starter import sign_document
from registry.models.orgs import OrgRole
from tests.registry.factories import bearer
from verifier.protocol.accounting.formats import FACTORS_FORMAT
from verifier.protocol.hashing import keccak

PUBLISHER_NAME: Final = "Chongqing Carbon Data Centre (test)"


def derived_key(name: str) -> str:
    """A deterministic private key for ``name``."""
    return "0x" + keccak(f"tanji/tests/factors/{name}".encode()).hex()


PUBLISHER_KEY: Final = derived_key("publisher")
OTHER_PUBLISHER_KEY: Final = derived_key("other-publisher")


def address_of(key: str) -> str:
    """The EIP-55 address of a private key."""
    return str(Account.from_key(key).address)


async def register_publisher(
    client: httpx.AsyncClient,
    engine: Engine,
    *,
    name: str = PUBLISHER_NAME,
    key: str = PUBLISHER_KEY,
) -> tuple[str, str]:
    """Create a ``publisher`` organisation and register ``key`` as its signing key (through the
    API); return (org id, API key)."""
    with Session(engine, expire_on_commit=False) as session:
        org, api_key = create_org(session, name=name, role=OrgRole.PUBLISHER)
    address = address_of(key)
    r = await client.get(
        "/api/v1/factors/keys/challenge", params={"address": address}, headers=bearer(api_key)
    )
    assert r.status_code == 200, r.text
    signed = Account.sign_message(encode_defunct(text=r.json()["message"]), private_key=key)
    r = await client.post(
        "/api/v1/factors/keys",
        json={"address": address, "signature": "0x" + bytes(signed.signature).hex()},
        headers=bearer(api_key),
    )
    assert r.status_code == 201, r.text
    return org.id, api_key


GRID: Final[dict[str, Any]] = {
    "id": "cq-grid-2022",
    "names": {
        "zh-Hans": "重庆电网测试因子",
        "zh-Hant": "重慶電網測試因子",
        "en": "Chongqing grid test",
    },
    "value": "0.5366",
    "unit": "kg CO2e / kWh",
    "category": "energy",
    "gases": {"CO2": "0.5366"},
    "gwp": "AR6-100",
    "geography": "CN-CQ",
    "year": 2022,
    "source": {
        "document": "A cited test document",
        "table": "Table 1",
        "page": "3",
        "url": "https://example.org/grid",
    },
    "uncertainty": {"distribution": "lognormal", "gsd": "1.1"},
    "quality": {
        "reliability": 2,
        "completeness": 1,
        "temporal": 1,
        "geographical": 1,
        "technological": 1,
    },
    "illustrative": False,
}
STEEL: Final[dict[str, Any]] = {
    "id": "steel-test",
    "names": {"zh-Hans": "示例钢材", "en": "Illustrative steel"},
    "value": "2.0",
    "unit": "kg CO2e / kg",
    "category": "material",
    "gases": "CO2e",
    "gwp": "AR6-100",
    "geography": "GLO",
    "year": 2024,
    "source": {},
    "uncertainty": {"distribution": "none"},
    "quality": {
        "reliability": 5,
        "completeness": 5,
        "temporal": 5,
        "geographical": 5,
        "technological": 5,
    },
    "illustrative": True,
}
TRUCK: Final[dict[str, Any]] = {
    **copy.deepcopy(STEEL),
    "id": "truck-test",
    "names": {"zh-Hans": "公路货运", "en": "Road freight"},
    "value": "0.1",
    "unit": "kg CO2e / (t*km)",
    "category": "transport",
}


def factor(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A copy of a factor with ``changes`` (``None`` removes a member)."""
    data = copy.deepcopy(base)
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def document(
    *,
    dataset: str = "cq-test",
    version: str = "1",
    key: str = PUBLISHER_KEY,
    factors: list[dict[str, Any]] | None = None,
    deprecates: list[str] | None = None,
    publisher_name: str = PUBLISHER_NAME,
) -> dict[str, Any]:
    """A ``tanji-factors/1`` document published by ``key``'s address."""
    return {
        "format": FACTORS_FORMAT,
        "dataset": dataset,
        "version": version,
        "publisher": {"name": publisher_name, "address": address_of(key)},
        "published": "2026-12-01",
        "deprecates": deprecates or [],
        "factors": copy.deepcopy(factors if factors is not None else [GRID, STEEL, TRUCK]),
    }


def signed(
    doc: dict[str, Any], *, chain_id: int, contract: str, key: str = PUBLISHER_KEY
) -> dict[str, Any]:
    """The body of ``POST /api/v1/factors/datasets``."""
    return {
        "document": doc,
        "signature": sign_document(doc, key, chain_id=chain_id, contract=contract),
    }
