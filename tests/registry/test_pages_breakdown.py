"""The label page of a computed footprint: stage chart, primary share, illustrative notice."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from registry.i18n import messages
from tests.registry.calculations_data import DETAILS, example, publish_starter_datasets
from tests.registry.factories import Orgs, bearer, footprint

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
async def computed(app: FastAPI, client: httpx.AsyncClient, orgs: Orgs) -> dict[str, Any]:
    """The cement example computed, submitted and labelled: the calculation and the label id."""
    publish_starter_datasets(app.state.engine)
    r = await client.post(
        "/api/v1/calculations",
        json={"inventory": example("cement.json"), "footprint": DETAILS},
        params={"submit": "true"},
        headers=bearer(orgs.enterprise),
    )
    assert r.status_code == 201, r.text
    result: dict[str, Any] = r.json()
    body = {
        "footprint_id": result["footprint"]["id"],
        "valid_from": "2026-01-01",
        "valid_until": "2099-12-31",
    }
    r = await client.post("/api/v1/labels", json=body, headers=bearer(orgs.certifier))
    assert r.status_code == 201, r.text
    return {**result, "label_id": r.json()["id"]}


def chart_of(html: str) -> ET.Element:
    start = html.index('<svg xmlns="http://www.w3.org/2000/svg" class="stage-chart"')
    return ET.fromstring(html[start : html.index("</svg>", start) + len("</svg>")])


@pytest.mark.parametrize("lang", ["zh-Hans", "zh-Hant", "en"])
async def test_the_page_shows_the_stage_chart_share_and_illustrative_notice(
    client: httpx.AsyncClient, computed: dict[str, Any], lang: str
) -> None:
    r = await client.get(f"/l/{computed['label_id']}", params={"lang": lang})
    assert r.status_code == 200, r.text
    html = r.text
    t = messages(lang)
    svg = chart_of(html)
    assert svg.find(f"{SVG}title").text == t["stage_breakdown"]  # type: ignore[union-attr]
    assert svg.find(f"{SVG}desc") is not None
    texts = [e.text for e in svg.iter(f"{SVG}text")]
    expected = [
        x for stage, value in computed["by_stage"].items() for x in (t[f"stage_{stage}"], value)
    ]
    assert texts == expected
    assert f"{computed['primary_data_share']} %" in html
    assert t["illustrative_notice"] in html  # cement rests on illustrative factors
    # Phone first: the footprint value comes before the chart.
    assert html.index('id="footprint-value"') < html.index('id="stage-breakdown"')
    assert "<script" not in html[html.index('id="stage-breakdown"') :].split("</figure>")[0]


async def test_a_footprint_entered_as_a_number_has_no_chart(
    client: httpx.AsyncClient, orgs: Orgs
) -> None:
    r = await client.post("/api/v1/footprints", json=footprint(), headers=bearer(orgs.enterprise))
    body = {"footprint_id": r.json()["id"], "valid_from": "2026-01-01", "valid_until": "2099-12-31"}
    r = await client.post("/api/v1/labels", json=body, headers=bearer(orgs.certifier))
    assert r.status_code == 201, r.text
    html = (await client.get(f"/l/{r.json()['id']}")).text
    assert 'id="stage-breakdown"' not in html and 'id="illustrative-notice"' not in html
