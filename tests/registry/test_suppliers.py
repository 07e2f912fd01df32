"""Supplier signing keys over the API: registration with proof of possession, rotation, revocation.

Real database (SQLite and PostgreSQL, see conftest), httpx over ASGI; keys signed with eth-account.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from tests.registry.factories import Orgs, bearer
from tests.registry.supply_chain_data import register_key, registration, supplier_account

BASE_URL = "https://tanji.test"  # api_settings' base_url: the challenge names it


async def test_register_list_and_refuse_a_second_registration(
    client: httpx.AsyncClient, orgs: Orgs
) -> None:
    cells = supplier_account("cells-1")
    r = await register_key(client, orgs.enterprise, cells, label="production HSM")
    assert r.status_code == 201, r.text
    key = r.json()
    assert key["address"] == cells.address and key["active"] is True
    assert key["org_id"] == orgs.enterprise_id and key["label"] == "production HSM"
    listed = (await client.get("/api/v1/suppliers/keys", headers=bearer(orgs.enterprise))).json()
    assert [k["address"] for k in listed["data"]] == [cells.address] and listed["count"] == 1
    # The same key again, by the same org, or by another org with its own valid proof.
    again = await register_key(client, orgs.enterprise, cells)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "key_already_registered"
    other = await register_key(client, orgs.other_enterprise, cells)
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "key_already_registered"
    # Another org sees only its own keys.
    theirs = await client.get("/api/v1/suppliers/keys", headers=bearer(orgs.other_enterprise))
    assert theirs.json()["count"] == 0


async def test_proof_of_possession_is_required(client: httpx.AsyncClient, orgs: Orgs) -> None:
    cells, thief = supplier_account("cells-2"), supplier_account("thief")
    # Signed by another key than the one being registered.
    forged = registration(BASE_URL, orgs.enterprise_id, thief)
    forged["address"] = cells.address
    r = await client.post("/api/v1/suppliers/keys", json=forged, headers=bearer(orgs.enterprise))
    assert r.status_code == 422
    assert r.json()["error"] | {"message": ""} == {
        "code": "bad_proof_of_possession",
        "field": "signature",
        "message": "",
        "details": [],
    }
    # A proof captured from another organisation's registration does not carry over.
    captured = registration(BASE_URL, orgs.enterprise_id, cells)
    r = await client.post(
        "/api/v1/suppliers/keys", json=captured, headers=bearer(orgs.other_enterprise)
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "bad_proof_of_possession"
    # Malformed inputs answer with the verifier's codes and the field.
    for body, code, field in (
        ({**captured, "address": "0x1234"}, "bad_address", "address"),
        ({**captured, "address": cells.address.lower().replace("0x", "0X")}, "bad_address", None),
        ({**captured, "signature": "0x" + "11" * 64}, "bad_signature_length", "signature"),
        ({**captured, "signature": "zz"}, "bad_hex", "signature"),
    ):
        r = await client.post("/api/v1/suppliers/keys", json=body, headers=bearer(orgs.enterprise))
        assert r.status_code == 422, (body, r.text)
        assert r.json()["error"]["code"] == code
        if field:
            assert r.json()["error"]["field"] == field
    # Nothing was stored by the failures; the genuine registration still works.
    r = await client.post("/api/v1/suppliers/keys", json=captured, headers=bearer(orgs.enterprise))
    assert r.status_code == 201, r.text


async def test_only_enterprises_register_keys(client: httpx.AsyncClient, orgs: Orgs) -> None:
    cells = supplier_account("cells-3")
    r = await client.post(
        "/api/v1/suppliers/keys",
        json=registration(BASE_URL, orgs.certifier_id, cells),
        headers=bearer(orgs.certifier),
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden_role"
    r = await client.post("/api/v1/suppliers/keys", json=registration(BASE_URL, "x", cells))
    assert r.status_code == 401


async def test_rotation_hands_over_at_the_effective_time(
    client: httpx.AsyncClient, orgs: Orgs
) -> None:
    old, new = supplier_account("rot-old"), supplier_account("rot-new")
    assert (await register_key(client, orgs.enterprise, old)).status_code == 201
    at = datetime.now(UTC) + timedelta(days=7)
    r = await client.post(
        f"/api/v1/suppliers/keys/{old.address}/rotate",
        json={
            "new_key": registration(BASE_URL, orgs.enterprise_id, new),
            "effective_at": at.isoformat(),
        },
        headers=bearer(orgs.enterprise),
    )
    assert r.status_code == 201, r.text
    rotated = r.json()
    assert rotated["address"] == new.address
    assert datetime.fromisoformat(rotated["valid_from"]) == at
    assert rotated["active"] is False  # starts in a week
    keys = {
        k["address"]: k
        for k in (
            await client.get("/api/v1/suppliers/keys", headers=bearer(orgs.enterprise))
        ).json()["data"]
    }
    assert keys[old.address]["active"] is True  # until the hand-over
    assert keys[old.address]["revocation_reason"] == "rotated"
    assert keys[old.address]["replaced_by"] == new.address
    assert datetime.fromisoformat(keys[old.address]["revoked_at"]) == at
    # A rotated key cannot be rotated again; the new key needs its own proof.
    r = await client.post(
        f"/api/v1/suppliers/keys/{old.address}/rotate",
        json={"new_key": registration(BASE_URL, orgs.enterprise_id, supplier_account("x"))},
        headers=bearer(orgs.enterprise),
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "already_revoked"
    bad = registration(BASE_URL, orgs.enterprise_id, supplier_account("y"))
    bad["address"] = supplier_account("z").address
    r = await client.post(
        f"/api/v1/suppliers/keys/{new.address}/rotate",
        json={"new_key": bad},
        headers=bearer(orgs.enterprise),
    )
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "bad_proof_of_possession"
    assert r.json()["error"]["field"] == "new_key.signature"


async def test_revocation_with_an_effective_time(client: httpx.AsyncClient, orgs: Orgs) -> None:
    key = supplier_account("rev-1")
    assert (await register_key(client, orgs.enterprise, key)).status_code == 201
    url = f"/api/v1/suppliers/keys/{key.address}/revoke"
    # Another organisation may not revoke it; an unknown key is 404.
    r = await client.post(url, json={"reason": "retired"}, headers=bearer(orgs.other_enterprise))
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden_org"
    r = await client.post(
        f"/api/v1/suppliers/keys/{supplier_account('nobody').address}/revoke",
        json={"reason": "retired"},
        headers=bearer(orgs.enterprise),
    )
    assert r.status_code == 404
    later = datetime.now(UTC) + timedelta(days=30)
    r = await client.post(
        url,
        json={"reason": "retired", "effective_at": later.isoformat()},
        headers=bearer(orgs.enterprise),
    )
    assert r.status_code == 200 and r.json()["active"] is True
    # Revoking again later changes nothing; earlier (found compromised) takes effect now.
    r = await client.post(
        url,
        json={"reason": "compromised", "effective_at": (later + timedelta(days=1)).isoformat()},
        headers=bearer(orgs.enterprise),
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "already_revoked"
    past = datetime.now(UTC) - timedelta(hours=1)
    r = await client.post(
        url,
        json={"reason": "compromised", "effective_at": past.isoformat()},
        headers=bearer(orgs.enterprise),
    )
    assert r.status_code == 200, r.text
    assert r.json()["active"] is False and r.json()["revocation_reason"] == "compromised"
    r = await client.post(
        url,
        json={"reason": "compromised", "effective_at": "2026-01-01T00:00:00"},
        headers=bearer(orgs.enterprise),
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "naive_datetime"
