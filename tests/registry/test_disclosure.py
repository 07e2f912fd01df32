"""The public disclosure list (JSON and page) over the real app and database."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from registry.i18n import messages
from tests.registry.factories import bearer
from tests.registry.labels_data import Keys, issue, make_keys
from tests.registry.test_pages import Page

CEMENT: dict[str, Any] = {
    "gtin": None,
    "product_name": {"zh": "P·O 42.5 普通硅酸盐水泥", "en": "P·O 42.5 ordinary Portland cement"},
    "category": "cement",
    "declared_unit": "t",
    "kg_co2e_per_unit": 610.0,
    "fossil_kg_co2e": 610.0,
    "biogenic_kg_co2e": 0.0,
    "system_boundary": "cradle-to-gate",  # as cement's grade thresholds
    "company_name": "Demo Fuling Cement Co. (fictional)",
}


@pytest.fixture
async def labels(app: FastAPI, client: httpx.AsyncClient) -> dict[str, Any]:
    """Two laptops (grades A and D) by one enterprise, one cement by another; one revoked."""
    laptops = make_keys(app.state.engine, enterprise="Bishan Computing (demo)")
    cement = make_keys(app.state.engine, enterprise="Fuling Cement (demo)", prefix=None)
    good = await issue(client, laptops)
    bad = await issue(client, laptops, kg_co2e_per_unit=500.0, fossil_kg_co2e=497.5)
    slab = await issue(client, cement, **CEMENT)
    revoked = await issue(client, laptops, kg_co2e_per_unit=260.0, fossil_kg_co2e=257.5)
    reply = await client.post(
        f"/api/v1/labels/{revoked['id']}/revoke",
        json={"reason_code": 2},
        headers=bearer(laptops.certifier),
    )
    assert reply.status_code == 200
    return {
        "good": good,
        "bad": bad,
        "cement": slab,
        "revoked": revoked,
        "laptops": laptops,
        "cement_keys": cement,
    }


def ids(body: dict[str, Any]) -> set[str]:
    return {item["id"] for item in body["data"]}


async def test_json_list_filters(client: httpx.AsyncClient, labels: dict[str, Any]) -> None:
    good, bad, slab = labels["good"]["id"], labels["bad"]["id"], labels["cement"]["id"]
    laptops: Keys = labels["laptops"]
    body = (await client.get("/api/v1/disclosures")).json()
    assert body["count"] == 3 and ids(body) == {good, bad, slab}  # active only by default
    # Newest first.
    assert [item["id"] for item in body["data"]] == [slab, bad, good]
    cases: list[tuple[dict[str, str], set[str]]] = [
        ({"category": "laptop"}, {good, bad}),
        ({"category": "cement"}, {slab}),
        ({"grade": "D"}, {bad}),
        ({"grade": "A", "category": "laptop"}, {good}),
        ({"company": "fuling"}, {slab}),  # case-insensitive part of the name
        ({"company": laptops.enterprise_id}, {good, bad}),
        ({"company": "100%_"}, set()),  # LIKE wildcards are literal
        ({"status": "revoked"}, {labels["revoked"]["id"]}),
        ({"status": "all"}, {good, bad, slab, labels["revoked"]["id"]}),
        ({"category": "tyre"}, set()),
    ]
    for params, expected in cases:
        body = (await client.get("/api/v1/disclosures", params=params)).json()
        assert ids(body) == expected, params
        assert body["count"] == len(expected)


async def test_json_item_shape(client: httpx.AsyncClient, labels: dict[str, Any]) -> None:
    body = (await client.get("/api/v1/disclosures", params={"category": "cement"})).json()
    (item,) = body["data"]
    assert item["product_name"] == CEMENT["product_name"]
    # The organisation's registered name, not the footprint's free-text company_name.
    assert item["company"]["name"] == "Fuling Cement (demo)" != CEMENT["company_name"]
    assert item["kg_co2e_per_unit"] == 610.0 and item["declared_unit"] == "t"
    assert item["grade"]["grade"] == "B" and item["grade"]["illustrative"] is True
    assert item["anchor_status"] == "pending" and item["anchor"] is None
    assert item["url"] == f"https://tanji.test/l/{item['id']}"  # no GTIN: short form
    assert item["bundle_url"].endswith(f"/api/v1/labels/{item['id']}/bundle")
    assert "master_salt" not in str(item)


async def test_pagination(client: httpx.AsyncClient, labels: dict[str, Any]) -> None:
    first = (await client.get("/api/v1/disclosures", params={"limit": 2})).json()
    second = (await client.get("/api/v1/disclosures", params={"limit": 2, "offset": 2})).json()
    assert first["count"] == second["count"] == 3
    assert len(first["data"]) == 2 and len(second["data"]) == 1
    assert ids(first).isdisjoint(ids(second))


@pytest.mark.parametrize(
    ("params", "code", "field"),
    [
        ({"category": "spaceship"}, "unknown_category", "query.category"),
        ({"grade": "E"}, "invalid_grade", "query.grade"),
        ({"status": "deleted"}, "invalid_status", "query.status"),
    ],
)
async def test_bad_filters_are_422_with_code(
    client: httpx.AsyncClient, params: dict[str, str], code: str, field: str
) -> None:
    reply = await client.get("/api/v1/disclosures", params=params)
    assert reply.status_code == 422
    assert (reply.json()["error"]["code"], reply.json()["error"]["field"]) == (code, field)


async def test_page_lists_and_filters_in_both_languages(
    client: httpx.AsyncClient, labels: dict[str, Any]
) -> None:
    reply = await client.get("/disclosures", params={"lang": "zh"})
    assert reply.status_code == 200
    page = Page(reply.text)
    assert page.lang == "zh-Hans"
    assert messages("zh")["disclosures"] in page.text
    assert "14英寸轻薄笔记本电脑" in page.text and "P·O 42.5 普通硅酸盐水泥" in page.text
    assert page.of("count") == messages("zh")["results"].format(count=3)
    reply = await client.get("/disclosures", params={"lang": "en", "category": "cement"})
    page = Page(reply.text)
    assert "P·O 42.5 ordinary Portland cement" in page.text
    assert "thin-and-light" not in page.text
    assert "kg CO₂e per t" in page.text
    assert f"/l/{labels['cement']['id']}?lang=en" in page.links
    # The form's "all" choices send empty strings: they mean no filter.
    reply = await client.get("/disclosures?lang=en&category=&grade=&company=")
    assert Page(reply.text).of("count") == "3 labels"


async def test_page_paginates(app: FastAPI, client: httpx.AsyncClient) -> None:
    keys = make_keys(app.state.engine)
    for i in range(21):
        await issue(
            client,
            keys,
            kg_co2e_per_unit=200.0 + i,
            fossil_kg_co2e=197.5 + i,
            product_ids=[f"urn:tanji:sku:P-{i}"],
        )
    first = Page((await client.get("/disclosures?lang=en")).text)
    assert first.text.count("thin-and-light") == 20
    assert "/disclosures?lang=en&page=2" in first.links
    second = Page((await client.get("/disclosures?lang=en&page=2")).text)
    assert second.text.count("thin-and-light") == 1
    assert "/disclosures?lang=en&page=1" in second.links
