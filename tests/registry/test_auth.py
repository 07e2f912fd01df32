"""API keys and roles: 401 for a missing or unknown key, 403 for the wrong role or organisation."""

from __future__ import annotations

import httpx
import pytest

from tests.registry.factories import Orgs, bearer, footprint


def assert_error(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code, error
    assert error["message"]
    assert set(error) == {"code", "message", "field", "details"}
    return error


async def test_missing_key_is_401_with_challenge(client: httpx.AsyncClient, orgs: Orgs) -> None:
    r = await client.get("/api/v1/footprints")
    error = assert_error(r, 401, "missing_api_key")
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    assert error["field"] == "header.Authorization"


@pytest.mark.parametrize(
    "header",
    ["Bearer tnj_nosuchid_secret", "Bearer not-a-tanji-key", "Basic dXNlcjpwYXNz", "Bearer "],
)
async def test_unknown_or_malformed_key_is_401(
    client: httpx.AsyncClient, orgs: Orgs, header: str
) -> None:
    r = await client.get("/api/v1/footprints", headers={"Authorization": header})
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    assert r.json()["error"]["code"] in {"invalid_api_key", "invalid_authorization"}


async def test_tampered_secret_is_401(client: httpx.AsyncClient, orgs: Orgs) -> None:
    # Right key id, wrong secret: the lookup finds the row, the hash comparison refuses it.
    tampered = orgs.enterprise[:-3] + ("aaa" if not orgs.enterprise.endswith("aaa") else "bbb")
    r = await client.get("/api/v1/footprints", headers=bearer(tampered))
    assert_error(r, 401, "invalid_api_key")


@pytest.mark.parametrize("role", ["certifier", "partner", "admin"])
async def test_only_enterprises_submit_footprints(
    client: httpx.AsyncClient, orgs: Orgs, role: str
) -> None:
    r = await client.post(
        "/api/v1/footprints", json=footprint(), headers=bearer(getattr(orgs, role))
    )
    error = assert_error(r, 403, "forbidden_role")
    assert "enterprise" in error["message"]


@pytest.mark.parametrize("role", ["enterprise", "partner", "admin"])
async def test_only_certification_bodies_issue_labels(
    client: httpx.AsyncClient, orgs: Orgs, role: str
) -> None:
    body = {"footprint_id": "fp-x", "valid_from": "2026-01-01", "valid_until": "2027-01-01"}
    r = await client.post("/api/v1/labels", json=body, headers=bearer(getattr(orgs, role)))
    error = assert_error(r, 403, "forbidden_role")
    assert "certification_body" in error["message"]


@pytest.mark.parametrize("role", ["enterprise", "certifier", "partner"])
async def test_only_admins_manage_orgs(client: httpx.AsyncClient, orgs: Orgs, role: str) -> None:
    r = await client.post(
        "/api/v1/orgs",
        json={"name": "X", "role": "enterprise"},
        headers=bearer(getattr(orgs, role)),
    )
    assert_error(r, 403, "forbidden_role")
    r = await client.get("/api/v1/orgs", headers=bearer(getattr(orgs, role)))
    assert_error(r, 403, "forbidden_role")


async def test_admin_creates_org_whose_key_works(client: httpx.AsyncClient, orgs: Orgs) -> None:
    r = await client.post(
        "/api/v1/orgs",
        json={"name": "Yongchuan Tyres", "role": "enterprise"},
        headers=bearer(orgs.admin),
    )
    assert r.status_code == 201, r.text
    created = r.json()
    me = await client.get("/api/v1/orgs/me", headers=bearer(created["api_key"]))
    assert me.status_code == 200
    assert me.json() == {k: v for k, v in created.items() if k != "api_key"}
    listed = (await client.get("/api/v1/orgs", headers=bearer(orgs.admin))).json()
    assert created["id"] in {org["id"] for org in listed["data"]}
    assert "api_key" not in listed["data"][0]


async def test_partner_reads_labels_not_footprints(client: httpx.AsyncClient, orgs: Orgs) -> None:
    r = await client.get("/api/v1/footprints", headers=bearer(orgs.partner))
    assert_error(r, 403, "forbidden_role")
    r = await client.get("/api/v1/labels", headers=bearer(orgs.partner))
    assert r.status_code == 200


async def test_keys_are_stored_only_as_hashes(app, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    from sqlmodel import Session, select

    from registry.models.orgs import ApiKey

    with Session(app.state.engine) as session:
        rows = session.exec(select(ApiKey)).all()
    stored = {value for row in rows for value in (row.key_hash, row.key_id)}
    assert orgs.enterprise not in stored
    assert all(len(row.key_hash) == 64 for row in rows)


async def test_key_rotation_and_revocation(client: httpx.AsyncClient, orgs: Orgs) -> None:
    me = (await client.get("/api/v1/orgs/me", headers=bearer(orgs.enterprise))).json()
    r = await client.post(f"/api/v1/orgs/{me['id']}/keys", headers=bearer(orgs.admin))
    assert r.status_code == 201
    new_key = r.json()["api_key"]
    assert (await client.get("/api/v1/orgs/me", headers=bearer(new_key))).json() == me
    r = await client.post(f"/api/v1/orgs/{me['id']}/keys/revoke", headers=bearer(orgs.admin))
    assert r.json() == {"org_id": me["id"], "revoked": 2}
    for key in (orgs.enterprise, new_key):
        r = await client.get("/api/v1/orgs/me", headers=bearer(key))
        assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_api_key"
    r = await client.post("/api/v1/orgs/org-nope/keys/revoke", headers=bearer(orgs.admin))
    assert r.status_code == 404
    r = await client.post(f"/api/v1/orgs/{me['id']}/keys", headers=bearer(orgs.certifier))
    assert r.status_code == 403
