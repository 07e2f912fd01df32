"""A submitted calculation lists the component lines of its whole inventory tree as footprint
components: a supplier's attestation cited inside a sub-inventory is scaled to one root declared
unit, and one cited at several places is one component (through the real app and database)."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.registry.calculations_data import (
    DETAILS,
    DISPLAY_ATTESTATION,
    DISPLAY_LINE,
    add_display_attestation,
    example,
    publish_starter_datasets,
)
from tests.registry.factories import Orgs, bearer

URL = "/api/v1/calculations"
MODULE = "inv-test-display-module"


@pytest.fixture
def published(app: FastAPI, orgs: Orgs) -> list[str]:
    """The starter datasets published, and the laptop display's attestation stored."""
    add_display_attestation(app.state.engine, supplier_org_id=orgs.other_enterprise_id)
    return publish_starter_datasets(app.state.engine)


def with_display_module(displays: str, modules_declared: str, modules_used: str) -> dict[str, Any]:
    """The laptop with its display line moved into a display-module sub-inventory that declares
    ``modules_declared`` pieces holding ``displays`` displays; the laptop uses ``modules_used``."""
    laptop = example("laptop.json")
    (display,) = [line for line in laptop["lines"] if line["id"] == DISPLAY_LINE]
    module_line = copy.deepcopy(display) | {"amount": displays}
    module = {
        "format": laptop["format"],
        "id": MODULE,
        "product": {"names": {"en": "Display module"}},
        "declaredUnit": {"amount": modules_declared, "unit": "piece"},
        "gwp": laptop["gwp"],
        "allocation": {"method": "none"},
        "lines": [module_line],
    }
    for name in ("component", "name", "uncertainty"):
        display.pop(name, None)
    display.update(id="display-module", amount=modules_used, unit="piece", subInventory=MODULE)
    laptop["subInventories"] = [*laptop.get("subInventories", []), module]
    return laptop


@pytest.mark.parametrize(
    ("displays", "declared", "used", "quantity"),
    [("1", "1", "1", 1.0), ("4", "2", "1", 2.0), ("1", "2", "3", 1.5)],
)
async def test_a_sub_inventorys_component_is_a_footprint_component(
    client: httpx.AsyncClient,
    orgs: Orgs,
    published: list[str],
    displays: str,
    declared: str,
    used: str,
    quantity: float,
) -> None:
    body = {"inventory": with_display_module(displays, declared, used), "footprint": DETAILS}
    r = await client.post(
        URL, json=body, params={"submit": "true"}, headers=bearer(orgs.enterprise)
    )
    assert r.status_code == 201, r.text
    assert r.json()["footprint"]["data"]["components"] == [
        {
            "component_id": "BOE-14-IPS-2026",
            "quantity": quantity,
            "unit": "unit",
            "attestation_id": DISPLAY_ATTESTATION,
        }
    ]


async def test_one_attestation_at_two_places_is_one_component(
    client: httpx.AsyncClient, orgs: Orgs, published: list[str]
) -> None:
    laptop = with_display_module("1", "1", "1")
    spare = copy.deepcopy(laptop["subInventories"][-1]["lines"][0]) | {"id": "spare-display"}
    laptop["lines"].append(spare)
    body = {"inventory": laptop, "footprint": DETAILS}
    r = await client.post(
        URL, json=body, params={"submit": "true"}, headers=bearer(orgs.enterprise)
    )
    assert r.status_code == 201, r.text
    components = r.json()["footprint"]["data"]["components"]
    assert [(c["attestation_id"], c["quantity"]) for c in components] == [
        (DISPLAY_ATTESTATION, 2.0)
    ]
