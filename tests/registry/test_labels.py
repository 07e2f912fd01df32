"""Certification and labels without a chain: issuing, roles, supersede, revoke, pending bundles."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI
from sqlmodel import Session, select

from anchoring.ledger import AnchorRecord
from registry.audit import AuditEntry
from registry.models.labels import Label
from tests.registry.factories import OTHER_ENTERPRISE_GTIN, Orgs, bearer, footprint, numbered
from verifier.protocol.leaf import record_digest

VALIDITY = {"valid_from": "2026-01-01", "valid_until": "2028-12-31"}


async def submit(client: httpx.AsyncClient, orgs: Orgs, body: dict[str, Any] | None = None) -> str:
    r = await client.post(
        "/api/v1/footprints", json=body or footprint(), headers=bearer(orgs.enterprise)
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def issue(client: httpx.AsyncClient, orgs: Orgs, footprint_id: str, **extra: Any) -> Any:
    r = await client.post(
        "/api/v1/labels",
        json={"footprint_id": footprint_id, **VALIDITY, **extra},
        headers=bearer(orgs.certifier),
    )
    assert r.status_code == 201, r.text
    return r.json()


async def test_issued_label_is_self_contained(client: httpx.AsyncClient, orgs: Orgs, app) -> None:  # type: ignore[no-untyped-def]
    fp_id = await submit(client, orgs)
    label = await issue(client, orgs, fp_id, serial="SN0001")
    assert 10 <= len(label["id"]) <= 16 and label["id"].isalnum()
    assert label["certificate_number"].startswith("CQ-CFL-")
    assert label["url"] == "https://tanji.test/01/06901234567892/21/SN0001"
    record = label["record"]
    assert record["type"] == "label" and record["id"] == label["id"]
    assert record["product"]["name"]["zh"] == "14英寸轻薄笔记本电脑"
    assert record["company"]["name"] == "Chongqing Bishan Computing Co., Ltd."
    assert record["footprint"]["kg_co2e_per_unit"] == 212.5
    assert record["footprint"]["declared_unit"] == "unit"
    assert record["footprint"]["system_boundary"] == "cradle-to-grave"
    assert record["grade"]["grade"] == label["grade"]
    assert {"scheme", "schemeVersion", "source"} <= set(record["grade"])
    assert record["certifier"]["name"] == "Chongqing Carbon Label Center"
    assert record["certifier"]["address"] == "Yubei District, Chongqing"
    assert record["validity"] == VALIDITY
    with Session(app.state.engine) as session:
        from registry.models.footprints import Footprint

        fp = session.get(Footprint, fp_id)
        assert fp is not None and fp.status == "certified"
        salt = bytes.fromhex(fp.master_salt[2:])
        assert record["footprint"]["digest"] == "0x" + record_digest(fp.record, salt).hex()
        assert session.exec(select(AnchorRecord).where(AnchorRecord.record_id == label["id"])).one()
    # Public read needs no key; the bundle is pending until anchored.
    public = await client.get(f"/api/v1/labels/{label['id']}")
    assert public.status_code == 200 and public.json()["anchor_status"] == "pending"
    bundle = (await client.get(f"/api/v1/labels/{label['id']}/bundle")).json()
    assert bundle["format"] == "tanji-bundle/1"
    assert bundle["status"] == "pending" and bundle["anchor"] is None and "proof" not in bundle
    assert bundle["record"] == record


async def test_certificate_numbers_are_sequential(client: httpx.AsyncClient, orgs: Orgs) -> None:
    numbers = [
        (await issue(client, orgs, await submit(client, orgs, numbered(i))))["certificate_number"]
        for i in range(3)
    ]
    serials = [int(n.rsplit("-", 1)[1]) for n in numbers]
    assert serials == [serials[0], serials[0] + 1, serials[0] + 2]


async def test_label_errors(client: httpx.AsyncClient, orgs: Orgs) -> None:
    r = await client.post(
        "/api/v1/labels",
        json={"footprint_id": "fp-none", **VALIDITY},
        headers=bearer(orgs.certifier),
    )
    assert r.status_code == 404 and r.json()["error"]["field"] == "footprint_id"
    fp_id = await submit(client, orgs)
    r = await client.post(
        "/api/v1/labels",
        json={"footprint_id": fp_id, "valid_from": "2027-01-01", "valid_until": "2026-01-01"},
        headers=bearer(orgs.certifier),
    )
    assert r.status_code == 422
    assert (r.json()["error"]["code"], r.json()["error"]["field"]) == (
        "invalid_validity",
        "valid_until",
    )
    await issue(client, orgs, fp_id)
    r = await client.post(
        "/api/v1/labels", json={"footprint_id": fp_id, **VALIDITY}, headers=bearer(orgs.certifier)
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "already_labelled"
    r = await client.get("/api/v1/labels/nosuchlabel")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


async def test_no_label_graded_against_thresholds_of_another_boundary(
    client: httpx.AsyncClient,
    orgs: Orgs,
    app,  # type: ignore[no-untyped-def]
) -> None:
    # Laptop thresholds are cradle-to-grave (use phase included); a cradle-to-gate laptop
    # footprint would compare unlike things and always look better than it is.
    fp_id = await submit(client, orgs, footprint(system_boundary="cradle-to-gate"))
    r = await client.post(
        "/api/v1/labels", json={"footprint_id": fp_id, **VALIDITY}, headers=bearer(orgs.certifier)
    )
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert (error["code"], error["field"]) == ("boundary_mismatch", "system_boundary")
    assert "cradle-to-grave" in error["message"]
    with Session(app.state.engine) as session:
        assert session.exec(select(Label)).all() == []
    # Of the thresholds' boundary, the same footprint is graded and labelled.
    label = await issue(client, orgs, await submit(client, orgs))
    assert label["record"]["grade"]["boundary"] == "cradle-to-grave"


async def test_only_the_issuer_revokes(client: httpx.AsyncClient, orgs: Orgs) -> None:
    label = await issue(client, orgs, await submit(client, orgs))
    path = f"/api/v1/labels/{label['id']}/revoke"
    r = await client.post(path, json={"reason_code": 2}, headers=bearer(orgs.other_certifier))
    assert r.status_code == 403 and r.json()["error"]["code"] == "not_issuer"
    r = await client.post(path, json={"reason_code": 2}, headers=bearer(orgs.enterprise))
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden_role"
    r = await client.post(path, json={"reason_code": 0}, headers=bearer(orgs.certifier))
    assert r.status_code == 422 and r.json()["error"]["field"] == "reason_code"
    r = await client.post(
        path, json={"reason_code": 2, "note": "audit"}, headers=bearer(orgs.certifier)
    )
    assert r.status_code == 200
    # Not anchored yet: revoked in the registry now, on chain as soon as it is anchored.
    assert (r.json()["status"], r.json()["revocation_status"]) == ("revoked", "requested")
    again = await client.post(path, json={"reason_code": 2}, headers=bearer(orgs.certifier))
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_revoked"


async def test_supersede_links_both_labels(client: httpx.AsyncClient, orgs: Orgs, app) -> None:  # type: ignore[no-untyped-def]
    old = await issue(client, orgs, await submit(client, orgs))
    corrected = await submit(client, orgs, numbered(42))
    r = await client.post(
        f"/api/v1/labels/{old['id']}/supersede",
        json={"footprint_id": corrected, **VALIDITY},
        headers={**bearer(orgs.certifier), "Idempotency-Key": "fix-1"},
    )
    assert r.status_code == 201, r.text
    new = r.json()
    assert new["supersedes"] == old["id"] and new["record"]["supersedes"] == old["id"]
    retry = await client.post(
        f"/api/v1/labels/{old['id']}/supersede",
        json={"footprint_id": corrected, **VALIDITY},
        headers={**bearer(orgs.certifier), "Idempotency-Key": "fix-1"},
    )
    assert retry.json() == new
    old_now = (await client.get(f"/api/v1/labels/{old['id']}")).json()
    assert old_now["status"] == "superseded"
    assert old_now["superseded_by"] == new["id"]
    assert old_now["revocation_reason"] == 1
    with Session(app.state.engine) as session:
        assert len(session.exec(select(Label)).all()) == 2


async def test_supersede_refuses_another_enterprise_or_product(
    client: httpx.AsyncClient,
    orgs: Orgs,
    app,  # type: ignore[no-untyped-def]
) -> None:
    old = await issue(client, orgs, await submit(client, orgs))
    other_company = await client.post(
        "/api/v1/footprints",
        json=footprint(company_name="Liangjiang Motors", gtin=OTHER_ENTERPRISE_GTIN),
        headers=bearer(orgs.other_enterprise),
    )
    other_gtin = await submit(client, orgs, footprint(gtin="06901234567908"))
    no_gtin = await submit(client, orgs, footprint(gtin=None))
    for footprint_id, code in [
        (other_company.json()["id"], "supersede_other_enterprise"),
        (other_gtin, "supersede_other_product"),
        (no_gtin, "supersede_other_product"),
    ]:
        r = await client.post(
            f"/api/v1/labels/{old['id']}/supersede",
            json={"footprint_id": footprint_id, **VALIDITY},
            headers=bearer(orgs.certifier),
        )
        assert r.status_code == 422, r.text
        assert (r.json()["error"]["code"], r.json()["error"]["field"]) == (code, "footprint_id")
    r = await client.post(
        f"/api/v1/labels/{old['id']}/supersede",
        json={"footprint_id": "fp-none", **VALIDITY},
        headers=bearer(orgs.certifier),
    )
    assert r.status_code == 404 and r.json()["error"]["field"] == "footprint_id"
    # Nothing changed: the old label is still active and no other label exists.
    assert (await client.get(f"/api/v1/labels/{old['id']}")).json()["status"] == "active"
    with Session(app.state.engine) as session:
        assert [label.id for label in session.exec(select(Label)).all()] == [old["id"]]


async def test_label_listing_scopes(client: httpx.AsyncClient, orgs: Orgs) -> None:
    label = await issue(client, orgs, await submit(client, orgs))
    for key, expected in [
        (orgs.enterprise, 1),
        (orgs.other_enterprise, 0),
        (orgs.certifier, 1),
        (orgs.other_certifier, 0),
        (orgs.partner, 1),
        (orgs.admin, 1),
    ]:
        listed = (await client.get("/api/v1/labels", headers=bearer(key))).json()
        assert listed["count"] == expected
        if expected:
            assert listed["data"][0]["id"] == label["id"]


async def test_healthz_without_anchoring(
    client: httpx.AsyncClient, orgs: Orgs, app: FastAPI
) -> None:
    await submit(client, orgs)
    body = (await client.get("/healthz")).json()
    assert body["db"] == {"ok": True}
    # The footprint and the audit entries of every change so far (orgs, keys, the footprint).
    with Session(app.state.engine) as session:
        entries = len(session.exec(select(AuditEntry)).all())
    assert body["anchoring"]["pending"] == 1 + entries
    assert body["chain"]["ok"] is None


async def test_unknown_route_and_method_use_error_body(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/nothing")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = await client.delete("/api/v1/labels")
    assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed"
    r = await client.post("/rpc", json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "no_rpc"


async def test_unexpected_errors_use_error_body_without_internals(app) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    with app.state.engine.begin() as conn:  # a broken database: the table is gone
        conn.execute(text("DROP TABLE idempotency_entry"))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://tanji.test") as c:
        from tests.registry.factories import make_orgs

        orgs = make_orgs(app.state.engine)
        r = await c.post(
            "/api/v1/footprints",
            json=footprint(),
            headers={**bearer(orgs.enterprise), "Idempotency-Key": "k1"},
        )
    assert r.status_code == 500
    assert r.json()["error"]["code"] == "internal_error"
    assert "idempotency_entry" not in r.text
