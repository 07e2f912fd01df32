"""The signing-key routes are defined once and mounted twice: ``/api/v1/suppliers/keys`` for every
signing organisation and ``/api/v1/recognitions/keys`` for partner certifiers, each with its own
role check (``registry.api.routes.suppliers.add_key_routes``)."""

from __future__ import annotations

import httpx

from tests.registry.factories import Orgs, bearer
from tests.registry.partners import SG_BODY_KEY, address_of, key_registration

SUPPLIERS, PARTNERS = "/api/v1/suppliers/keys", "/api/v1/recognitions/keys"


async def test_each_mount_admits_its_roles_only(client: httpx.AsyncClient, orgs: Orgs) -> None:
    address = address_of(SG_BODY_KEY)
    for api_key, admitted in (
        (orgs.enterprise, {SUPPLIERS}),
        (orgs.partner, {SUPPLIERS, PARTNERS}),
        (orgs.certifier, set()),
        (orgs.admin, set()),
    ):
        for base in (SUPPLIERS, PARTNERS):
            for method, path, params in (
                ("GET", f"{base}/challenge", {"address": address}),
                ("GET", base, None),
                ("POST", base, None),
            ):
                r = await client.request(
                    method, path, params=params, json={}, headers=bearer(api_key)
                )
                if base in admitted:
                    assert r.status_code in (200, 422), (method, path, r.text)
                else:
                    assert r.status_code == 403, (method, path, r.text)
                    assert r.json()["error"]["code"] == "forbidden_role"
        for base in (SUPPLIERS, PARTNERS):
            r = await client.get(base)
            assert r.status_code == 401, r.text


async def test_a_partner_registers_through_either_mount_and_sees_its_keys_in_both(
    client: httpx.AsyncClient, orgs: Orgs
) -> None:
    for base in (SUPPLIERS, PARTNERS):
        r = await client.get(
            f"{base}/challenge", params={"address": "0x12"}, headers=bearer(orgs.partner)
        )
        assert r.status_code == 422 and r.json()["error"]["field"] == "query.address", r.text
    address = address_of(SG_BODY_KEY)
    challenges = [
        await client.get(
            f"{b}/challenge", params={"address": address}, headers=bearer(orgs.partner)
        )
        for b in (SUPPLIERS, PARTNERS)
    ]
    assert challenges[0].status_code == 200 and challenges[0].json() == challenges[1].json()
    body = await key_registration(client, orgs.partner, SG_BODY_KEY)  # signs that same text
    r = await client.post(PARTNERS, json=body, headers=bearer(orgs.partner))
    assert r.status_code == 201, r.text
    assert r.json()["address"] == address_of(SG_BODY_KEY) and r.json()["active"] is True
    r = await client.post(SUPPLIERS, json=body, headers=bearer(orgs.partner))
    assert r.status_code == 409 and r.json()["error"]["code"] == "key_already_registered"
    listed = [
        (await client.get(b, headers=bearer(orgs.partner))).json() for b in (SUPPLIERS, PARTNERS)
    ]
    assert listed[0] == listed[1] and listed[0]["count"] == 1
