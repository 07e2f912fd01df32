"""The four official PACT v3 examples (tests/assets/pact/v3, copied from the specification
repository: see SOURCE.md) read as Tanji footprints: sums within the rounding the spec's own
example uses, liters declared by the product mass, a car door as a piece, a region-only
geography; imported through the API under a catalogue category the caller names, else the
general one, which (like a region-only geography) a label refuses. As the specification wrote
them, through a real server: tests/registry/test_pact_examples_http.py.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from registry.app import create_app
from registry.catalogue import GENERAL
from registry.config import load_settings
from registry.pact import PactError, pact_to_footprint
from registry.pact.importing import convert_declared_unit, to_accepted_unit
from tests.registry.factories import Orgs, bearer, footprint, make_orgs

EXAMPLES = Path(__file__).resolve().parents[1] / "assets" / "pact" / "v3"
VALIDITY = {"valid_from": "2026-01-01", "valid_until": "2028-12-31"}


def example(n: int) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((EXAMPLES / f"example-{n}.json").read_text("utf-8"))
    return doc


def test_all_four_examples_map() -> None:
    one, _ = pact_to_footprint(example(1))  # 0.384 + -1.61 = -1.226, reported as -1.23
    assert (one["declared_unit"], one["kg_co2e_per_unit"]) == ("kg", 0.384)
    two, _ = pact_to_footprint(example(2))  # 1 liter of 9.468 kg
    assert (two["declared_unit"], two["declared_amount"]) == ("kg", 9.468)
    assert two["kg_co2e_per_unit"] == float(example(2)["pcf"]["pcfExcludingBiogenicUptake"])
    three, _ = pact_to_footprint(example(3))  # a car door: a piece, no category of ours
    assert three["declared_unit"] == "unit" and "category" not in three
    four, _ = pact_to_footprint(example(4))  # only a region, stored as such
    assert four["declared_unit"] == "kg"
    assert four["geography"] == {"region": "Latin America and the Caribbean"}


def test_sums_are_checked_within_the_rounding_of_the_reported_value() -> None:
    doc = example(1)
    doc["pcf"]["pcfIncludingBiogenicUptake"] = "-1.24"  # off by more than half a cent
    with pytest.raises(PactError) as caught:
        pact_to_footprint(doc)
    assert caught.value.field == "pcf.pcfIncludingBiogenicUptake"
    doc["pcf"]["pcfIncludingBiogenicUptake"] = "-1.226"
    pact_to_footprint(doc)


def test_declared_units_convert_through_pint() -> None:
    assert convert_declared_unit("megajoule", Decimal("3.6"), Decimal(0)) == ("kWh", 1.0)
    assert convert_declared_unit("cubic meter", Decimal(1), Decimal(780)) == ("kg", 780.0)
    assert convert_declared_unit("ton kilometer", Decimal(1), Decimal(5)) is None
    assert to_accepted_unit("kg", 1.0, ("t",)) == ("t", 0.001)
    assert to_accepted_unit("kWh", 1000.0, ("MWh",)) == ("MWh", 1.0)
    assert to_accepted_unit("unit", 1.0, ("t",)) is None


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Orgs]]:
    settings = load_settings(data_dir=tmp_path / "data", anchoring=False, base_url="https://t.test")
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        orgs = make_orgs(app.state.engine)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://t.test") as c:
            yield c, orgs


@pytest.mark.parametrize(
    ("n", "category", "unit"),
    [(1, "organic_chemical", "t"), (2, "hotpot_seasoning", "kg"), (3, "tyre", "unit")],
)
async def test_examples_import_with_a_catalogue_category(
    client: tuple[httpx.AsyncClient, Orgs], n: int, category: str, unit: str
) -> None:
    c, orgs = client
    r = await c.post(
        "/api/v1/pact/footprints",
        params={"category": category, "name": "zh=示例"},
        json=example(n),
        headers=bearer(orgs.enterprise),
    )
    assert r.status_code == 201, r.text
    assert r.json()["data"]["declared_unit"] == unit


async def test_a_region_only_footprint_is_stored_but_not_labelled(
    client: tuple[httpx.AsyncClient, Orgs],
) -> None:
    c, orgs = client
    # Example 4 names a region only: stored as given; a label states a country, so it refuses.
    r = await c.post(
        "/api/v1/pact/footprints",
        params={"category": "hotpot_seasoning", "name": "zh=示例"},
        json=example(4),
        headers=bearer(orgs.enterprise),
    )
    assert r.status_code == 201, r.text
    assert r.json()["data"]["geography"] == {"region": "Latin America and the Caribbean"}
    r = await c.post(
        "/api/v1/labels",
        json={"footprint_id": r.json()["id"], **VALIDITY},
        headers=bearer(orgs.certifier),
    )
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "geography_country_required"
    assert r.json()["error"]["field"] == "geography"


async def test_a_general_category_footprint_is_not_labelled(
    client: tuple[httpx.AsyncClient, Orgs],
) -> None:
    c, orgs = client
    r = await c.post(
        "/api/v1/pact/footprints",
        params={"name": "zh=车门"},
        json=example(3),
        headers=bearer(orgs.enterprise),
    )
    assert r.status_code == 201, r.text
    assert r.json()["data"]["category"] == GENERAL
    r = await c.post(
        "/api/v1/labels",
        json={"footprint_id": r.json()["id"], **VALIDITY},
        headers=bearer(orgs.certifier),
    )
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "catalogue_category_required"
    assert r.json()["error"]["field"] == "category"


@pytest.mark.parametrize(
    "geography",
    [{"region": "Mars"}, {"country": "CN", "region": "Eastern Asia"}, {}],
)
async def test_a_geography_is_a_country_or_a_pact_region(
    client: tuple[httpx.AsyncClient, Orgs], geography: dict[str, str]
) -> None:
    c, orgs = client
    r = await c.post(
        "/api/v1/footprints", json=footprint(geography=geography), headers=bearer(orgs.enterprise)
    )
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] in ("invalid_region", "invalid_geography")
    assert r.json()["error"]["field"].startswith("geography")


async def test_recorded_fossil_carbon_and_mass_are_exported_and_defaults_stay_defaults(
    client: tuple[httpx.AsyncClient, Orgs],
) -> None:
    c, orgs = client
    ids = []
    for extra in ({"fossil_carbon_kg": 0.5, "product_mass_kg": 2.3}, {}):
        body = footprint(gtin=None, product_ids=[f"urn:tanji:sku:{len(ids)}"], **extra)
        r = await c.post("/api/v1/footprints", json=body, headers=bearer(orgs.enterprise))
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    docs = []
    for footprint_id in ids:
        r = await c.get(f"/api/v1/pact/footprints/{footprint_id}", headers=bearer(orgs.enterprise))
        assert r.status_code == 200, r.text
        docs.append(r.json())
    recorded, default = docs
    assert recorded["pcf"]["fossilCarbonContent"] == "0.5"
    assert recorded["pcf"]["productMassPerDeclaredUnit"] == "2.3"
    assert recorded["extensions"][0]["data"]["footprint"]["fossil_carbon_kg"] == 0.5
    # Not recorded: the declared default (docs/PACT.md), and the extension does not claim it.
    assert default["pcf"]["fossilCarbonContent"] == "0"
    assert default["pcf"]["productMassPerDeclaredUnit"] == "0"
    assert "fossil_carbon_kg" not in default["extensions"][0]["data"]["footprint"]
    # Read back by another organisation: the recorded values come back, the defaults do not.
    back = []
    for doc in docs:
        r = await c.post("/api/v1/pact/footprints", json=doc, headers=bearer(orgs.other_enterprise))
        assert r.status_code == 201, r.text
        back.append(r.json()["data"])
    assert (back[0]["fossil_carbon_kg"], back[0]["product_mass_kg"]) == (0.5, 2.3)
    assert "fossil_carbon_kg" not in back[1] and "product_mass_kg" not in back[1]
