"""Faithful PACT documents of stored footprints (issue 12): life cycle from labels, certification,
the deployment's domain, the proof extension and its served schema, the key-free GS1 link.

In process (the real app, database and embedded chain, through ASGI); the HTTPS process tests are
tests/registry/test_pact_https.py.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import pytest
from fastapi import FastAPI
from sqlmodel import Session

from registry.app import create_app
from registry.config import load_settings
from registry.models.orgs import Organisation
from registry.pact.auth import create_client
from tests.registry.factories import Orgs, bearer, footprint, make_orgs
from tests.registry.partners import issue_label, wait_for
from verifier._internal.verifier import Verdict, verify_offline

DOMAIN = "pact.tanji.test"


@dataclass
class Registry:
    client: httpx.AsyncClient
    app: FastAPI
    orgs: Orgs

    async def pact_auth(self, org_key: str) -> dict[str, str]:
        """A PACT bearer token for the organisation of API key ``org_key``."""
        org_id = (await self.client.get("/api/v1/orgs/me", headers=bearer(org_key))).json()["id"]
        with Session(self.app.state.engine) as session:
            org = session.get(Organisation, org_id)
            assert org is not None
            new = create_client(session, org=org)
            session.commit()
        raw = base64.b64encode(f"{new.client_id}:{new.client_secret}".encode()).decode()
        r = await self.client.post(
            "/auth/token",
            content="grant_type=client_credentials",
            headers={
                "Authorization": f"Basic {raw}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.fixture
async def registry(tmp_path: Path) -> AsyncIterator[Registry]:
    settings = load_settings(
        data_dir=tmp_path / "data",
        batch_max_wait_seconds=0,
        poll_interval_seconds=0.05,
        base_url="https://tanji.test",
        pact_domain=DOMAIN,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        orgs = make_orgs(app.state.engine)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://tanji.test") as c:
            yield Registry(c, app, orgs)


async def _doc(reg: Registry, auth: dict[str, str], pf_id: str) -> dict[str, Any]:
    r = await reg.client.get(f"/3/footprints/{pf_id}", headers=auth)
    assert r.status_code == 200, r.text
    doc: dict[str, Any] = r.json()["data"]
    return doc


async def test_life_cycle_certification_and_domain_come_from_the_registry(
    registry: Registry,
) -> None:
    reg, c, orgs = registry, registry.client, registry.orgs
    auth = await reg.pact_auth(orgs.enterprise)
    old = await issue_label(
        c,
        enterprise=orgs.enterprise,
        certifier=orgs.certifier,
        payload=footprint(gtin=None, product_ids=["BSH-1"]),
    )
    listed = (await c.get("/3/footprints", headers=auth)).json()["data"]
    (first,) = listed
    assert first["status"] == "Active"
    # The validity period is the label's; PACT's end is exclusive (the day after valid_until).
    assert first["validityPeriodStart"] == "2026-01-01T00:00:00Z"
    assert first["validityPeriodEnd"] == "2029-01-01T00:00:00Z"
    verification = first["pcf"]["verification"]
    assert verification["coverage"] == "product level"
    assert verification["providerName"] == "Chongqing Carbon Label Center"
    assert verification["standardName"] == "ISO 14067:2018"
    # Identifiers use the deployment's PACT domain.
    assert first["productIds"] == [f"urn:pact:{DOMAIN}:product-id:BSH-1"]
    assert first["productClassifications"] == [f"urn:pact:{DOMAIN}:category-id:laptop"]

    # A corrected footprint supersedes it: the old one is Deprecated, the new one links back.
    r = await c.post(
        "/api/v1/footprints",
        json=footprint(gtin=None, product_ids=["BSH-1"], notes="corrected"),
        headers=bearer(orgs.enterprise),
    )
    corrected = r.json()["id"]
    r = await c.post(
        f"/api/v1/labels/{old['id']}/supersede",
        json={"footprint_id": corrected, "valid_from": "2026-06-01", "valid_until": "2029-05-31"},
        headers=bearer(orgs.certifier),
    )
    assert r.status_code == 201, r.text
    new_label = r.json()
    docs = {d["id"]: d for d in (await c.get("/3/footprints", headers=auth)).json()["data"]}
    old_doc = docs[first["id"]]
    (new_doc,) = [d for d in docs.values() if d["id"] != first["id"]]
    assert old_doc["status"] == "Deprecated" and new_doc["status"] == "Active"
    assert new_doc["precedingPfIds"] == [first["id"]]
    assert new_doc["validityPeriodStart"] == "2026-06-01T00:00:00Z"
    status = {
        d["id"]
        for d in (await c.get("/3/footprints?status=Deprecated", headers=auth)).json()["data"]
    }
    assert status == {first["id"]}

    # Revoked (for fraud, say): Deprecated too.
    r = await c.post(
        f"/api/v1/labels/{new_label['id']}/revoke",
        json={"reason_code": 2},
        headers=bearer(orgs.certifier),
    )
    assert r.status_code == 200, r.text
    assert (await _doc(reg, auth, new_doc["id"]))["status"] == "Deprecated"


async def test_the_proof_travels_as_an_extension_whose_schema_the_registry_serves(
    registry: Registry,
) -> None:
    reg, c, orgs = registry, registry.client, registry.orgs
    auth = await reg.pact_auth(orgs.enterprise)
    label = await issue_label(
        c, enterprise=orgs.enterprise, certifier=orgs.certifier, payload=footprint(gtin=None)
    )
    await wait_for(c, f"/api/v1/labels/{label['id']}", lambda b: b["anchor_status"] == "anchored")
    for _ in range(600):  # the footprint's own record anchors with or before its label's
        (doc,) = (await c.get("/3/footprints", headers=auth)).json()["data"]
        if "bundle" in doc["extensions"][0]["data"]:
            break
        await asyncio.sleep(0.1)
    (extension,) = doc["extensions"]
    assert (
        extension["dataSchema"]
        == "https://tanji.test/pact/schemas/tanji-footprint-extension/1.json"
    )
    schema = (await c.get(extension["dataSchema"].removeprefix("https://tanji.test"))).json()
    assert schema["$id"] == extension["dataSchema"]
    assert jsonschema_rs.validator_for(schema).is_valid(extension["data"])
    docs = (await c.get(extension["documentation"].removeprefix("https://tanji.test"))).json()
    assert docs["id"]["extension_name"] == "tanji-footprint-extension"
    data = extension["data"]
    assert verify_offline(data["bundle"]).status is Verdict.VALID
    proof = data["proof"]
    assert proof["root"] == data["bundle"]["root"] and proof["anchor"] == data["bundle"]["anchor"]
    # The link gives the same bundle to a PACT client, and nothing without a token.
    path = proof["bundle_url"].removeprefix("https://tanji.test")
    assert (await c.get(path, headers=auth)).json() == data["bundle"]
    assert (await c.get(path)).status_code == 400


async def test_the_gs1_sustainability_link_is_public_and_key_free(registry: Registry) -> None:
    c, orgs = registry.client, registry.orgs
    label = await issue_label(
        c, enterprise=orgs.enterprise, certifier=orgs.certifier, payload=footprint(gtin=None)
    )
    r = await c.get(f"/pact/labels/{label['id']}/footprint")
    assert r.status_code == 200, r.text
    assert r.json()["specVersion"] == "3.0.0" and r.json()["status"] == "Active"
    assert (await c.get("/pact/labels/no-such-label/footprint")).status_code == 404
