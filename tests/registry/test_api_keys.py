"""An organisation lists, issues, rotates and revokes its own API keys (SQLite and PostgreSQL)."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlmodel import Session, select

from registry.audit import AuditEntry
from registry.crud.api_keys import MAX_ACTIVE_KEYS
from tests.registry.factories import Orgs, bearer

KEYS = "/api/v1/orgs/me/keys"


def _key_id(plaintext: str) -> str:
    return plaintext.split("_", 2)[1]


async def test_list_shows_ids_and_dates_never_secrets(
    client: httpx.AsyncClient, orgs: Orgs
) -> None:
    r = await client.get(KEYS, headers=bearer(orgs.enterprise))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["count"] == 1
    (key,) = body["data"]
    assert key["key_id"] == _key_id(orgs.enterprise)
    assert key["active"] is True and key["current"] is True and key["revoked_at"] is None
    secret = orgs.enterprise.split("_", 2)[2]
    assert secret not in r.text and "hash" not in r.text


async def test_rotate_replaces_the_key_at_once(
    client: httpx.AsyncClient, orgs: Orgs, app: FastAPI
) -> None:
    old = orgs.enterprise
    r = await client.post(f"{KEYS}/{_key_id(old)}/rotate", headers=bearer(old))
    assert r.status_code == 201, r.text
    new = r.json()["api_key"]
    assert r.json()["replaces"] == _key_id(old)
    assert (await client.get("/api/v1/orgs/me", headers=bearer(old))).status_code == 401
    listed = (await client.get(KEYS, headers=bearer(new))).json()["data"]
    assert [(k["key_id"], k["active"], k["current"]) for k in listed] == [
        (_key_id(new), True, True),
        (_key_id(old), False, False),
    ]
    with Session(app.state.engine) as session:
        actions = [e.action for e in session.exec(select(AuditEntry)).all()]
    assert "api_key.issue" in actions and "api_key.revoke" in actions


async def test_issue_then_revoke_but_never_the_last_active_key(
    client: httpx.AsyncClient, orgs: Orgs
) -> None:
    first = orgs.certifier
    r = await client.post(KEYS, headers=bearer(first))
    assert r.status_code == 201, r.text
    second = r.json()["api_key"]
    r = await client.post(f"{KEYS}/{_key_id(first)}/revoke", headers=bearer(second))
    assert r.status_code == 200 and r.json()["active"] is False
    again = await client.post(f"{KEYS}/{_key_id(first)}/revoke", headers=bearer(second))
    assert again.status_code == 200  # idempotent
    r = await client.post(f"{KEYS}/{_key_id(second)}/revoke", headers=bearer(second))
    assert r.status_code == 409 and r.json()["error"]["code"] == "last_active_key"
    assert (await client.get("/api/v1/orgs/me", headers=bearer(second))).status_code == 200


async def test_another_organisations_key_reads_as_absent(
    client: httpx.AsyncClient, orgs: Orgs
) -> None:
    theirs = _key_id(orgs.other_enterprise)
    for action in ("revoke", "rotate"):
        r = await client.post(f"{KEYS}/{theirs}/{action}", headers=bearer(orgs.enterprise))
        assert r.status_code == 404, r.text
        assert r.json()["error"]["field"] == "key_id"
    assert (
        await client.get("/api/v1/orgs/me", headers=bearer(orgs.other_enterprise))
    ).status_code == 200


async def test_active_keys_are_capped(client: httpx.AsyncClient, orgs: Orgs) -> None:
    for _ in range(MAX_ACTIVE_KEYS - 1):
        assert (await client.post(KEYS, headers=bearer(orgs.partner))).status_code == 201
    r = await client.post(KEYS, headers=bearer(orgs.partner))
    assert r.status_code == 409 and r.json()["error"]["code"] == "too_many_keys"


async def test_keys_need_a_key(client: httpx.AsyncClient) -> None:
    r = await client.get(KEYS)
    assert r.status_code == 401 and r.json()["error"]["code"] == "missing_api_key"
