"""Helpers for the presentation tests: organisations and labels made through the real API."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import Engine
from sqlmodel import Session

from registry.crud.orgs import create_org
from registry.crud.prefixes import grant_prefix
from registry.models.orgs import OrgRole
from tests.registry.factories import ENTERPRISE_PREFIX, bearer, footprint

WAIT_SECONDS = 120  # bound on waiting for the anchoring loop (normally well under a second)


@dataclass(frozen=True)
class Keys:
    """API keys of an enterprise and a certification body."""

    enterprise: str
    enterprise_id: str
    certifier: str


def make_keys(
    engine: Engine,
    *,
    enterprise: str = "Bishan Computing (demo)",
    prefix: str | None = ENTERPRISE_PREFIX,
) -> Keys:
    """Create an enterprise (holding the GS1 company ``prefix``, under which the factory laptop's
    GTIN falls) and a certification body; return their API keys."""
    with Session(engine) as session:
        ent, ent_key = create_org(session, name=enterprise, role=OrgRole.ENTERPRISE)
        ent_id = ent.id
        if prefix is not None:
            grant_prefix(session, org_id=ent_id, prefix=prefix)
            session.commit()
        _, cert_key = create_org(
            session, name="Chongqing Carbon Label Center (demo)", role=OrgRole.CERTIFICATION_BODY
        )
    return Keys(enterprise=ent_key, enterprise_id=ent_id, certifier=cert_key)


async def issue(
    client: httpx.AsyncClient,
    keys: Keys,
    *,
    valid_from: str = "2026-01-01",
    valid_until: str = "2099-12-31",
    serial: str | None = None,
    **changes: Any,
) -> dict[str, Any]:
    """Submit a footprint (the factory laptop with ``changes``) and issue its label."""
    reply = await client.post(
        "/api/v1/footprints", json=footprint(**changes), headers=bearer(keys.enterprise)
    )
    assert reply.status_code == 201, reply.text
    body: dict[str, Any] = {
        "footprint_id": reply.json()["id"],
        "valid_from": valid_from,
        "valid_until": valid_until,
    }
    if serial is not None:
        body["serial"] = serial
    reply = await client.post("/api/v1/labels", json=body, headers=bearer(keys.certifier))
    assert reply.status_code == 201, reply.text
    label: dict[str, Any] = reply.json()
    return label


async def wait_anchored(client: httpx.AsyncClient, label_id: str) -> dict[str, Any]:
    """The label once the anchoring loop has anchored it."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        label: dict[str, Any] = (await client.get(f"/api/v1/labels/{label_id}")).json()
        if label["anchor_status"] == "anchored":
            return label
        if time.monotonic() > deadline:
            raise AssertionError(f"label {label_id} was not anchored: {label}")
        await asyncio.sleep(0.05)
