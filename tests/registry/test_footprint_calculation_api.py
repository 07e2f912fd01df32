"""``GET /api/v1/footprints/{id}/calculation``: the full breakdown, for certifiers (roles)."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tests.registry.calculations_data import DETAILS, example, publish_starter_datasets
from tests.registry.factories import Orgs, bearer, footprint

NAME = "cement.json"


@pytest.fixture
async def computed(app: FastAPI, client: httpx.AsyncClient, orgs: Orgs) -> dict[str, object]:
    """The cement example computed and submitted by the enterprise: the API's reply."""
    publish_starter_datasets(app.state.engine)
    r = await client.post(
        "/api/v1/calculations",
        json={"inventory": example(NAME), "footprint": DETAILS},
        params={"submit": "true"},
        headers=bearer(orgs.enterprise),
    )
    assert r.status_code == 201, r.text
    reply: dict[str, object] = r.json()
    return reply


async def test_the_issuer_a_certifier_and_an_admin_get_the_full_breakdown(
    client: httpx.AsyncClient, orgs: Orgs, computed: dict[str, object]
) -> None:
    footprint_id = computed["footprint"]["id"]  # type: ignore[index]
    for key in (orgs.enterprise, orgs.certifier, orgs.admin):
        r = await client.get(f"/api/v1/footprints/{footprint_id}/calculation", headers=bearer(key))
        assert r.status_code == 200, r.text
        result = r.json()
        assert result["footprint_id"] == footprint_id
        for member in ("kg_co2e_per_unit", "by_stage", "by_gas", "by_source", "lines"):
            assert result[member] == computed[member]
        assert result["primary_data_share"] == computed["primary_data_share"]
        assert result["engine"] == "tanji-calc/1"
        assert result["factor_datasets"] == computed["factor_datasets"]
        assert "interval" not in result


async def test_others_are_refused(
    client: httpx.AsyncClient, orgs: Orgs, computed: dict[str, object]
) -> None:
    url = f"/api/v1/footprints/{computed['footprint']['id']}/calculation"  # type: ignore[index]
    assert (await client.get(url)).status_code == 401
    for key in (orgs.other_enterprise, orgs.partner):
        r = await client.get(url, headers=bearer(key))
        assert r.status_code == 403, r.text
        assert r.json()["error"]["code"] in ("forbidden_org", "forbidden_role")


async def test_a_footprint_entered_as_a_number_has_no_calculation(
    client: httpx.AsyncClient, orgs: Orgs
) -> None:
    r = await client.post("/api/v1/footprints", json=footprint(), headers=bearer(orgs.enterprise))
    assert r.status_code == 201, r.text
    r = await client.get(
        f"/api/v1/footprints/{r.json()['id']}/calculation", headers=bearer(orgs.certifier)
    )
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_computed"
