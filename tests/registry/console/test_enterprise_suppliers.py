"""The enterprise console's suppliers page on the embedded chain: invite a supplier, see its
signed attestation answer the invitation, with each hop's state; refusals shown in the page."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from registry.models.users import UserRole
from tests.registry.console.test_enterprise import Person, get, person, post, shown_error
from tests.registry.factories import Orgs, bearer, make_orgs
from tests.registry.supply_chain_data import (
    ChainApp,
    chain_app,
    item,
    message,
    register_key,
    supplier_account,
)

pytestmark = pytest.mark.slow

COMPONENT = "CQ-CELL-21700-A"


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[ChainApp]:
    async for app in chain_app(tmp_path):
        yield app


def invitation_row(page: httpx.Response) -> str:
    row = re.search(r'<tr id="invitation-\d+"[^>]*>', page.text)
    assert row is not None, page.text[:3000]
    return row[0]


async def test_an_invited_suppliers_attestation_answers_the_invitation(
    running: ChainApp,
) -> None:
    client, app = running.client, running.app
    orgs: Orgs = make_orgs(app.state.engine)
    owner: Person = person(app, orgs.enterprise_id, "owner@bishan.example")

    invited = await post(
        client,
        owner,
        "/console/suppliers/invitations?lang=en",
        {"supplier_org_id": orgs.other_enterprise_id, "component_id": COMPONENT, "note": "2026"},
    )
    assert invited.status_code == 303
    page = await get(client, owner, "/console/suppliers?lang=en")
    assert 'data-answered="false"' in invitation_row(page)
    assert "Liangjiang Motors" in page.text

    # The supplier registers its key and signs; the customer pushes the statement.
    supplier = supplier_account("console-supplier")
    assert (await register_key(client, orgs.other_enterprise, supplier)).status_code == 201
    eip712 = (await client.get("/api/v1/attestations/eip712")).json()
    pushed = await client.post(
        "/api/v1/attestations",
        json=item(supplier, eip712, message(supplier, component=COMPONENT)),
        headers=bearer(orgs.enterprise),
    )
    assert pushed.status_code == 201, pushed.text

    # The API reads the same invitation, answered; the supplier sees it received.
    sent = (
        await client.get("/api/v1/supplier-invitations", headers=bearer(orgs.enterprise))
    ).json()
    assert sent["count"] == 1 and sent["data"][0]["answer"]["attestation_id"] == pushed.json()["id"]
    received = await client.get(
        "/api/v1/supplier-invitations/received", headers=bearer(orgs.other_enterprise)
    )
    assert [i["component_id"] for i in received.json()["data"]] == [COMPONENT]

    page = await get(client, owner, "/console/suppliers?lang=zh-Hans")
    row = invitation_row(page)
    assert 'data-answered="true"' in row and 'data-status="open"' in row
    chain = re.search(r'<div id="supply-chains">(.*?)</div>', page.text, re.S)
    assert chain is not None and COMPONENT in chain[1]
    assert 'data-status="active"' in chain[1]


async def test_invitation_refusals_and_cancel(running: ChainApp) -> None:
    client, app = running.client, running.app
    orgs: Orgs = make_orgs(app.state.engine)
    owner = person(app, orgs.enterprise_id, "owner@bishan.example")
    path = "/console/suppliers/invitations"
    cases = [
        ({"supplier_org_id": orgs.enterprise_id, "component_id": "x"}, 422, "not_a_supplier"),
        ({"supplier_org_id": "org-nobody", "component_id": "x"}, 404, "not_found"),
        ({"supplier_org_id": orgs.other_enterprise_id, "component_id": ""}, 422, "missing_field"),
        (
            {"supplier_org_id": orgs.other_enterprise_id, "component_id": "a\u202eb"},
            422,
            "bad_text",
        ),
    ]
    for form, status, code in cases:
        refused = await post(client, owner, path, form)
        assert refused.status_code == status, form
        assert shown_error(refused)[0] == code

    form = {"supplier_org_id": orgs.other_enterprise_id, "component_id": COMPONENT}
    assert (await post(client, owner, path, form)).status_code == 303
    assert (await post(client, owner, path, form)).status_code == 303  # the same open one
    page = await get(client, owner, "/console/suppliers")
    ids = re.findall(r'<tr id="invitation-(\d+)"', page.text)
    assert len(ids) == 1
    cancelled = await post(client, owner, f"{path}/{ids[0]}/cancel", {})
    assert cancelled.status_code == 303
    page = await get(client, owner, "/console/suppliers")
    assert 'data-status="cancelled"' in invitation_row(page)

    # A viewer reads the page but invites nobody; another organisation cannot cancel.
    viewer = person(app, orgs.enterprise_id, "viewer@bishan.example", UserRole.VIEWER)
    assert (await get(client, viewer, "/console/suppliers")).status_code == 200
    assert (await post(client, viewer, path, form)).status_code == 403
    other = person(app, orgs.other_enterprise_id, "owner@liangjiang.example")
    assert (await post(client, other, f"{path}/{ids[0]}/cancel", {})).status_code == 404


async def test_the_invitations_api_follows_the_same_rules(running: ChainApp) -> None:
    client, app = running.client, running.app
    orgs: Orgs = make_orgs(app.state.engine)
    key, path = bearer(orgs.enterprise), "/api/v1/supplier-invitations"
    body = {"supplier_org_id": orgs.other_enterprise_id, "component_id": COMPONENT}
    made = await client.post(path, json=body, headers=key)
    assert made.status_code == 201, made.text
    assert made.json()["status"] == "open" and made.json()["answer"] is None
    assert (await client.post(path, json=body, headers=key)).status_code == 200
    self_invite = await client.post(
        path, json={**body, "supplier_org_id": orgs.enterprise_id}, headers=key
    )
    assert self_invite.status_code == 422
    assert self_invite.json()["error"]["code"] == "not_a_supplier"
    refused = await client.post(path, json=body, headers=bearer(orgs.certifier))
    assert refused.status_code == 403
    other = await client.post(
        f"{path}/{made.json()['id']}/cancel", headers=bearer(orgs.other_enterprise)
    )
    assert other.status_code == 404
    cancelled = await client.post(f"{path}/{made.json()['id']}/cancel", headers=key)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    received = await client.get(f"{path}/received", headers=bearer(orgs.other_enterprise))
    assert received.json()["count"] == 0
