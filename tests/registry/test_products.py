"""``/api/v1/products``: an enterprise's products with GTINs under its confirmed prefixes.

In-process app on a real database (SQLite, and PostgreSQL in its pass).
"""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from tests.registry.factories import (
    LAPTOP,
    OTHER_ENTERPRISE_GTIN,
    Orgs,
    audit_entries,
    bearer,
    footprint,
)

NAME = {"zh": "14英寸轻薄笔记本电脑", "en": "14-inch thin-and-light laptop"}


def product(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"gtin": LAPTOP["gtin"], "name": NAME, "category": "laptop"}
    body.update(changes)
    return body


def error(response: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()["error"]
    return body


async def test_create_list_get_and_edit_a_product(
    client: httpx.AsyncClient, orgs: Orgs, app: FastAPI
) -> None:
    key = bearer(orgs.enterprise)
    before = audit_entries(app)
    made = await client.post("/api/v1/products", json=product(gtin="6901234567892"), headers=key)
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["gtin"] == LAPTOP["gtin"]  # stored as GTIN-14
    assert body["name"] == NAME and body["category"] == "laptop"
    assert body["footprint_ids"] == [] and body["label_ids"] == []
    assert audit_entries(app) == before + 1

    # A footprint with the product's GTIN shows under it.
    fp = await client.post("/api/v1/footprints", json=footprint(), headers=key)
    assert fp.status_code == 201, fp.text

    listed = (await client.get("/api/v1/products", headers=key)).json()
    assert listed["count"] == 1
    assert listed["data"][0]["footprint_ids"] == [fp.json()["id"]]

    one = await client.get(f"/api/v1/products/{body['id']}", headers=key)
    assert one.status_code == 200 and one.json()["footprint_ids"] == [fp.json()["id"]]

    name = {**NAME, "zh-Hant": "14英寸輕薄筆記型電腦"}
    edited = await client.patch(
        f"/api/v1/products/{body['id']}",
        json={"name": name, "category": "mobile_phone"},
        headers=key,
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["name"] == name and edited.json()["category"] == "mobile_phone"
    assert edited.json()["gtin"] == LAPTOP["gtin"]


async def test_a_gtin_outside_the_confirmed_prefixes_is_refused(
    client: httpx.AsyncClient, orgs: Orgs
) -> None:
    response = await client.post(
        "/api/v1/products",
        json=product(gtin=OTHER_ENTERPRISE_GTIN),
        headers=bearer(orgs.enterprise),
    )
    assert response.status_code == 403
    assert error(response)["code"] == "gtin_not_owned"
    assert error(response)["field"] == "gtin"


async def test_bad_input_is_refused_with_its_code_and_field(
    client: httpx.AsyncClient, orgs: Orgs
) -> None:
    key = bearer(orgs.enterprise)
    cases = [
        (product(gtin="06901234567891"), "invalid_gtin", "gtin"),  # wrong check digit
        (product(gtin="69012345"), "invalid_gtin", "gtin"),  # wrong check digit, GTIN-8
        (product(gtin="abc"), "invalid_gtin", "gtin"),
        (product(category="spaceship"), "unknown_category", "category"),
        (product(name={"en": "laptop"}), "missing_field", "name.zh"),
        (product(name={**NAME, "name_zh": "x"}), "unknown_field", "name.name_zh"),
        (product(extra=1), "unknown_field", "extra"),
    ]
    for body, code, field in cases:
        response = await client.post("/api/v1/products", json=body, headers=key)
        assert response.status_code == 422, (body, response.text)
        assert (error(response)["code"], error(response)["field"]) == (code, field), body


async def test_one_product_per_gtin(client: httpx.AsyncClient, orgs: Orgs) -> None:
    key = bearer(orgs.enterprise)
    assert (await client.post("/api/v1/products", json=product(), headers=key)).status_code == 201
    again = await client.post("/api/v1/products", json=product(), headers=key)
    assert again.status_code == 409 and error(again)["code"] == "product_exists"


async def test_other_organisations_neither_see_nor_change_a_product(
    client: httpx.AsyncClient, orgs: Orgs
) -> None:
    made = await client.post("/api/v1/products", json=product(), headers=bearer(orgs.enterprise))
    product_id = made.json()["id"]
    other = bearer(orgs.other_enterprise)
    assert (await client.get(f"/api/v1/products/{product_id}", headers=other)).status_code == 404
    patched = await client.patch(
        f"/api/v1/products/{product_id}", json={"category": "mobile_phone"}, headers=other
    )
    assert patched.status_code == 404
    assert (await client.get("/api/v1/products", headers=other)).json()["count"] == 0


async def test_only_enterprises_make_products(client: httpx.AsyncClient, orgs: Orgs) -> None:
    response = await client.post("/api/v1/products", json=product(), headers=bearer(orgs.certifier))
    assert response.status_code == 403 and error(response)["code"] == "forbidden_role"
    listed = await client.get("/api/v1/products", headers=bearer(orgs.certifier))
    assert listed.status_code == 403 and error(listed)["code"] == "forbidden_role"
    assert (await client.post("/api/v1/products", json=product())).status_code == 401
