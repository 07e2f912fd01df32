"""The enterprise console pages through the real app and database: products, prefixes, labels,
PACT sharing, API keys; CSRF, permission refusals (a viewer, another organisation) and bad
input shown in the page with its code and field.

People sign in with the console's own functions (a user, a password through the setup link,
a session); the session cookie is sent as the browser would.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import Session

from registry.api.routes.console import SESSION_COOKIE
from registry.crud.users import create_user, set_password, sign_in
from registry.models.users import UserRole
from tests.registry.factories import (
    ENTERPRISE_PREFIX,
    LAPTOP,
    OTHER_ENTERPRISE_GTIN,
    Orgs,
    bearer,
    footprint,
)

pytestmark = pytest.mark.slow  # every test signs people in (Argon2)

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Person:
    cookie: str
    csrf: str

    def headers(self) -> dict[str, str]:
        return {"Cookie": f"{SESSION_COOKIE}={self.cookie}"}


def person(app: FastAPI, org_id: str, email: str, role: UserRole = UserRole.OWNER) -> Person:
    """A signed-in console user of ``org_id``."""
    with Session(app.state.engine, expire_on_commit=False) as session:
        _, token = create_user(session, org_id=org_id, email=email, role=role)
        set_password(session, token=token, password=PASSWORD)
        signed, cookie = sign_in(session, email=email, password=PASSWORD)
        return Person(cookie=cookie, csrf=signed.session.csrf_token)


async def get(client: httpx.AsyncClient, who: Person, path: str) -> httpx.Response:
    return await client.get(path, headers=who.headers())


async def post(
    client: httpx.AsyncClient, who: Person, path: str, data: dict[str, str], *, csrf: bool = True
) -> httpx.Response:
    form = {**data, **({"csrf_token": who.csrf} if csrf else {})}
    return await client.post(path, data=form, headers=who.headers())


def product_form(**changes: str) -> dict[str, str]:
    form = {
        "gtin": LAPTOP["gtin"],
        "name-zh-Hans": "14英寸轻薄笔记本电脑",
        "name-en": "14-inch thin-and-light laptop",
        "category": "laptop",
    }
    form.update(changes)
    return form


def shown_error(response: httpx.Response) -> tuple[str, str | None]:
    code = re.search(r'<code id="error-code">([^<]+)</code>', response.text)
    field = re.search(r'<code id="error-field">([^<]+)</code>', response.text)
    assert code is not None, response.text[:2000]
    return code[1], field[1] if field else None


async def test_an_owner_makes_a_product_sees_it_and_edits_it(
    client: httpx.AsyncClient, app: FastAPI, orgs: Orgs
) -> None:
    owner = person(app, orgs.enterprise_id, "owner@bishan.example")
    page = await get(client, owner, "/console/products?lang=en")
    assert page.status_code == 200
    assert 'href="/console/products?lang=en"' in page.text  # in the navigation
    assert f"<code>{ENTERPRISE_PREFIX}</code>" in page.text  # its confirmed prefix

    made = await post(client, owner, "/console/products?lang=en", product_form())
    assert made.status_code == 303
    product_path = made.headers["location"].split("?")[0]
    assert product_path.startswith("/console/products/prd-")

    # The API sees the same product (the same crud).
    listed = (await client.get("/api/v1/products", headers=bearer(orgs.enterprise))).json()
    assert [p["gtin"] for p in listed["data"]] == [LAPTOP["gtin"]]

    # A footprint with its GTIN shows on its page.
    fp = await client.post("/api/v1/footprints", json=footprint(), headers=bearer(orgs.enterprise))
    shown = await get(client, owner, product_path + "?lang=zh-Hant")
    assert shown.status_code == 200
    assert f"footprint-{fp.json()['id']}" in shown.text
    assert "14-inch thin-and-light laptop" in shown.text or "14英寸" in shown.text
    assert 'lang="zh-Hant"' in shown.text

    edited = await post(
        client,
        owner,
        product_path,
        product_form(**{"name-zh-Hant": "14英寸輕薄筆電", "category": "mobile_phone"}),
    )
    assert edited.status_code == 303
    one = (
        await client.get(
            f"/api/v1/products/{product_path.rsplit('/', 1)[1]}", headers=bearer(orgs.enterprise)
        )
    ).json()
    assert one["name"]["zh-Hant"] == "14英寸輕薄筆電" and one["category"] == "mobile_phone"


async def test_bad_input_is_shown_with_its_code_and_field(
    client: httpx.AsyncClient, app: FastAPI, orgs: Orgs
) -> None:
    owner = person(app, orgs.enterprise_id, "owner@bishan.example")
    cases = [
        (product_form(gtin=OTHER_ENTERPRISE_GTIN), 403, "gtin_not_owned", "gtin"),
        (product_form(gtin="06901234567891"), 422, "invalid_gtin", "gtin"),  # check digit
        (product_form(category="spaceship"), 422, "unknown_category", "category"),
        (product_form(**{"name-en": ""}), 422, "missing_field", "name-en"),
    ]
    for form, status, code, field in cases:
        response = await post(client, owner, "/console/products?lang=en", form)
        assert response.status_code == status, (form, response.text[:500])
        assert shown_error(response) == (code, field)
        assert 'aria-invalid="true"' in response.text
        assert response.headers["cache-control"] == "no-store"
    again = await post(client, owner, "/console/products", product_form())
    assert again.status_code == 303
    twice = await post(client, owner, "/console/products", product_form())
    assert twice.status_code == 409 and shown_error(twice) == ("product_exists", "gtin")


async def test_a_prefix_is_claimed_through_the_prefix_crud(
    client: httpx.AsyncClient, app: FastAPI, orgs: Orgs
) -> None:
    owner = person(app, orgs.enterprise_id, "owner@bishan.example")
    claimed = await post(
        client, owner, "/console/products/prefixes", {"prefix": "6912345", "evidence": "x"}
    )
    assert claimed.status_code == 303
    mine = (await client.get("/api/v1/orgs/me/id-prefixes", headers=bearer(orgs.enterprise))).json()
    assert {(p["prefix"], p["status"]) for p in mine["data"]} >= {("6912345", "claimed")}
    bad = await post(client, owner, "/console/products/prefixes", {"prefix": "12"})
    assert bad.status_code == 422 and shown_error(bad) == ("invalid_prefix", "prefix")
    taken = await post(client, owner, "/console/products/prefixes", {"prefix": "690987654"})
    assert taken.status_code == 409 and shown_error(taken) == ("prefix_taken", "prefix")


async def test_a_viewer_reads_but_changes_nothing(
    client: httpx.AsyncClient, app: FastAPI, orgs: Orgs
) -> None:
    viewer = person(app, orgs.enterprise_id, "viewer@bishan.example", UserRole.VIEWER)
    page = await get(client, viewer, "/console/products")
    assert page.status_code == 200
    assert 'id="new-product"' not in page.text  # no form for what they may not do
    assert 'href="/console/api-keys' not in page.text and 'href="/console/sharing' not in page.text
    refused = await post(client, viewer, "/console/products", product_form())
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden_user_role"
    for path in ("/console/api-keys", "/console/sharing"):
        assert (await get(client, viewer, path)).status_code == 403
    assert (await post(client, viewer, "/console/api-keys", {})).status_code == 403


async def test_other_organisations_cannot_reach_a_product(
    client: httpx.AsyncClient, app: FastAPI, orgs: Orgs
) -> None:
    owner = person(app, orgs.enterprise_id, "owner@bishan.example")
    made = await post(client, owner, "/console/products", product_form())
    path = made.headers["location"].split("?")[0]
    other = person(app, orgs.other_enterprise_id, "owner@liangjiang.example")
    seen = await get(client, other, path)
    assert seen.status_code == 404 and shown_error(seen) == ("not_found", "product_id")
    changed = await post(client, other, path, product_form(category="mobile_phone"))
    assert changed.status_code == 404
    # A certification body's person has no products area at all.
    certifier = person(app, orgs.certifier_id, "owner@cqclc.example")
    assert (await get(client, certifier, "/console/products")).status_code == 403


async def test_forms_need_the_sessions_csrf_token(
    client: httpx.AsyncClient, app: FastAPI, orgs: Orgs
) -> None:
    owner = person(app, orgs.enterprise_id, "owner@bishan.example")
    for path, data in [
        ("/console/products", product_form()),
        ("/console/api-keys", {}),
        ("/console/sharing", {"org_id": orgs.other_enterprise_id}),
    ]:
        refused = await post(client, owner, path, data, csrf=False)
        assert refused.status_code == 403, path
        assert refused.json()["error"]["code"] == "csrf_failed"
        wrong = await client.post(
            path, data={**data, "csrf_token": "x" * 43}, headers=owner.headers()
        )
        assert wrong.status_code == 403, path
    listed = (await client.get("/api/v1/products", headers=bearer(orgs.enterprise))).json()
    assert listed["count"] == 0


async def test_an_owner_makes_an_api_key_shown_once_and_revokes_it(
    client: httpx.AsyncClient, app: FastAPI, orgs: Orgs
) -> None:
    owner = person(app, orgs.enterprise_id, "owner@bishan.example")
    made = await post(client, owner, "/console/api-keys?lang=en", {})
    assert made.status_code == 200 and made.headers["cache-control"] == "no-store"
    key = re.search(r'id="new-key" readonly value="([^"]+)"', made.text)
    assert key is not None
    # The new key works, and is never shown again.
    assert (await client.get("/api/v1/orgs/me", headers=bearer(key[1]))).status_code == 200
    again = await get(client, owner, "/console/api-keys")
    assert key[1] not in again.text
    key_id = (await client.get("/api/v1/orgs/me/keys", headers=bearer(key[1]))).json()["data"]
    new_id = next(k["key_id"] for k in key_id if k["current"])
    revoked = await post(client, owner, f"/console/api-keys/{new_id}/revoke", {})
    assert revoked.status_code == 303
    assert (await client.get("/api/v1/orgs/me", headers=bearer(key[1]))).status_code == 401
    # The last active key stays: the refusal is shown with its code.
    last = next(
        k["key_id"]
        for k in (await client.get("/api/v1/orgs/me/keys", headers=bearer(orgs.enterprise))).json()[
            "data"
        ]
        if k["active"]
    )
    kept = await post(client, owner, f"/console/api-keys/{last}/revoke", {})
    assert kept.status_code == 409 and shown_error(kept) == ("last_active_key", "key_id")
    # Editors do not manage keys (owners only).
    editor = person(app, orgs.enterprise_id, "editor@bishan.example", UserRole.EDITOR)
    assert (await post(client, editor, "/console/api-keys", {})).status_code == 403


async def test_pact_sharing_is_granted_listed_and_revoked(
    client: httpx.AsyncClient, app: FastAPI, orgs: Orgs
) -> None:
    owner = person(app, orgs.enterprise_id, "owner@bishan.example")
    granted = await post(client, owner, "/console/sharing", {"org_id": orgs.other_enterprise_id})
    assert granted.status_code == 303
    api = bearer(orgs.enterprise)
    grants = (await client.get("/api/v1/pact/grants", headers=api)).json()["data"]
    assert [g["org_id"] for g in grants] == [orgs.other_enterprise_id]
    page = await get(client, owner, "/console/sharing?lang=zh-Hans")
    assert (
        f'id="grant-{orgs.other_enterprise_id}"' in page.text and "Liangjiang Motors" in page.text
    )
    unknown = await post(client, owner, "/console/sharing", {"org_id": "org-nobody"})
    assert unknown.status_code == 404 and shown_error(unknown) == ("not_found", "org_id")
    revoked = await post(client, owner, f"/console/sharing/{orgs.other_enterprise_id}/revoke", {})
    assert revoked.status_code == 303
    assert (await client.get("/api/v1/pact/grants", headers=api)).json()["data"] == []


async def test_labels_and_suppliers_pages_render_empty(
    client: httpx.AsyncClient, app: FastAPI, orgs: Orgs
) -> None:
    viewer = person(app, orgs.enterprise_id, "viewer@bishan.example", UserRole.VIEWER)
    for path, marker in [
        ("/console/labels", "labels-none"),
        ("/console/suppliers", "suppliers-none"),
    ]:
        page = await get(client, viewer, path)
        assert page.status_code == 200 and f'id="{marker}"' in page.text, path


async def test_labels_show_their_state_and_downloads(
    client: httpx.AsyncClient, app: FastAPI, orgs: Orgs
) -> None:
    owner = person(app, orgs.enterprise_id, "owner@bishan.example")
    made = await post(client, owner, "/console/products", product_form())
    product_path = made.headers["location"].split("?")[0]
    fp = await client.post("/api/v1/footprints", json=footprint(), headers=bearer(orgs.enterprise))
    issued = await client.post(
        "/api/v1/labels",
        json={
            "footprint_id": fp.json()["id"],
            "valid_from": "2026-01-01",
            "valid_until": "2099-12-31",
        },
        headers=bearer(orgs.certifier),
    )
    assert issued.status_code == 201, issued.text
    label_id = issued.json()["id"]

    for path in ("/console/labels?lang=en", product_path + "?lang=en"):
        page = await get(client, owner, path)
        row = re.search(rf'<tr id="label-{label_id}"[^>]*>', page.text)
        assert row is not None, path
        assert 'data-status="active"' in row[0] and 'data-anchoring="pending"' in row[0]
        for link in (f"/api/v1/labels/{label_id}/qr.png", f"/api/v1/labels/{label_id}/qr.svg"):
            assert f'href="{link}"' in page.text
    # The links serve the label's QR code and artwork (public routes).
    png = await client.get(f"/api/v1/labels/{label_id}/qr.png")
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    svg = await client.get(f"/api/v1/labels/{label_id}/artwork.svg?lang=en")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")

    revoked = await client.post(
        f"/api/v1/labels/{label_id}/revoke",
        json={"reason_code": 1},
        headers=bearer(orgs.certifier),
    )
    assert revoked.status_code == 200, revoked.text
    page = await get(client, owner, "/console/labels?lang=en")
    row = re.search(rf'<tr id="label-{label_id}"[^>]*>', page.text)
    assert row is not None and 'data-status="revoked"' in row[0]
    assert f'href="/api/v1/labels/{label_id}/qr.png"' not in page.text  # no new QR code
    assert f'href="/api/v1/labels/{label_id}/artwork.svg?lang=en"' in page.text
