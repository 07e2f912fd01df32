"""``POST /api/v1/calculations``: the example inventories through the real app, database and engine.

The starter factor datasets are published in the app's database (signed by their demo
publisher); every number is checked against the verifier's own calculation of the same files.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import Session, col, select

from anchoring.ledger import AnchorRecord
from registry.accounting.calculation import MonteCarlo, run_calculation
from registry.accounting.datasets import StarterDatasets, resolve_datasets
from registry.factors.models import FootprintFactor
from registry.models.footprints import Footprint
from tests.registry.calculations_data import (
    DETAILS,
    DISPLAY_ATTESTATION,
    EXAMPLE_FILES,
    PERIOD,
    add_display_attestation,
    example,
    publish_starter_datasets,
)
from tests.registry.factories import ENTERPRISE_NAME, Orgs, bearer, footprint
from verifier.protocol.accounting import compare_with_record, document_digest, parse_inventory

URL = "/api/v1/calculations"


@pytest.fixture
def published(app: FastAPI, orgs: Orgs) -> list[str]:
    """The starter datasets published, and the laptop display's attestation stored."""
    add_display_attestation(app.state.engine, supplier_org_id=orgs.other_enterprise_id)
    return publish_starter_datasets(app.state.engine)


def expected(name: str, **options: Any) -> dict[str, Any]:
    """The result the verifier's engine gives for the example, offline."""
    inventory = parse_inventory(example(name))
    datasets = resolve_datasets(inventory, [StarterDatasets()])
    return run_calculation(inventory, datasets, **options).to_dict()


async def post(
    client: httpx.AsyncClient, key: str, body: dict[str, Any], **params: Any
) -> httpx.Response:
    return await client.post(URL, json=body, headers=bearer(key), params=params)


@pytest.mark.parametrize("name", EXAMPLE_FILES)
async def test_each_example_is_computed_from_published_datasets(
    client: httpx.AsyncClient, orgs: Orgs, published: list[str], name: str
) -> None:
    inventory = example(name)
    r = await post(client, orgs.enterprise, {"inventory": inventory})
    assert r.status_code == 200, r.text
    result = r.json()
    assert result == expected(name)  # same digits, same interval (seed 0, 1,000 iterations)
    assert result["engine"] == "tanji-calc/1"
    assert result["inventory"] == {"id": inventory["id"], "digest": document_digest(inventory)}
    assert result["factor_datasets"] == inventory["factorDatasets"]
    assert {f"{d['dataset']}@{d['version']}" for d in result["factor_datasets"]} <= set(published)
    interval = result["interval"]
    assert interval["iterations"] == 1000 and interval["seed"] == 0
    assert interval["low"] < float(result["kg_co2e_per_unit"]) < interval["high"]
    assert set(result["by_source"]) == {"primary", "secondary"}
    assert result["rules"]["category"] == inventory["category"]
    assert "GB/T 24067-2024" in result["rules"]["standards"]
    assert "footprint" not in result  # nothing stored without ?submit=true


async def test_breakdowns_lines_quality_and_primary_share(
    client: httpx.AsyncClient, orgs: Orgs, published: list[str]
) -> None:
    r = await post(client, orgs.enterprise, {"inventory": example("laptop.json")})
    result = r.json()
    assert result["kg_co2e_per_unit"] == "168.363400000"
    assert result["by_stage"] == {
        "raw_materials": "101.035000000",
        "production": "2.966400000",
        "distribution": "0.450000000",
        "use": "63.672000000",
        "end_of_life": "0.240000000",
    }
    assert result["by_source"] == {"primary": "38.600000000", "secondary": "129.763400000"}
    assert result["primary_data_share"] == "22.93"  # the display's attested 38.6 kg of 168.36
    display = next(line for line in result["lines"] if line["id"] == "display")
    assert display["source"] == "primary" and display["kg_co2e"] == "38.600000000"
    assert set(result["data_quality"]) >= {"reliability", "temporal", "coverage"}
    assert "tanji-examples@1:integrated-circuits" in result["illustrative_factors"]


async def test_monte_carlo_is_seeded_and_bounded(
    client: httpx.AsyncClient, orgs: Orgs, published: list[str]
) -> None:
    body = {"inventory": example("cement.json"), "monte_carlo": {"iterations": 500, "seed": 7}}
    first = (await post(client, orgs.enterprise, body)).json()["interval"]
    again = (await post(client, orgs.enterprise, body)).json()["interval"]
    assert first == again and first["iterations"] == 500 and first["seed"] == 7
    body["monte_carlo"] = {"iterations": 500, "seed": 8}
    assert (await post(client, orgs.enterprise, body)).json()["interval"] != first
    body["monte_carlo"] = None
    assert (await post(client, orgs.enterprise, body)).json()["interval"] is None
    for bad, field in (
        ({"iterations": 10_001}, "monte_carlo.iterations"),
        ({"iterations": 0}, "monte_carlo.iterations"),
        ({"seed": -1}, "monte_carlo.seed"),
        ({"draws": 5}, "monte_carlo.draws"),
    ):
        body["monte_carlo"] = bad
        r = await post(client, orgs.enterprise, body)
        assert r.status_code == 422 and r.json()["error"]["field"] == field, r.text


async def test_submit_stores_a_footprint_that_says_how_it_was_computed(
    app: FastAPI, client: httpx.AsyncClient, orgs: Orgs, published: list[str]
) -> None:
    inventory = example("laptop.json")
    inventory["product"]["gtin"] = "06901234567892"  # under the enterprise's GS1 prefix
    body = {"inventory": inventory, "footprint": {**DETAILS, "product_ids": ["urn:sku:LT14"]}}
    headers = {**bearer(orgs.enterprise), "Idempotency-Key": "calc-laptop-1"}
    r = await client.post(URL, json=body, params={"submit": "true"}, headers=headers)
    assert r.status_code == 201, r.text
    result = r.json()
    stored = result["footprint"]
    data = stored["data"]
    assert data["kg_co2e_per_unit"] == float(result["kg_co2e_per_unit"]) == 168.3634
    assert data["calculation"]["engine"] == "tanji-calc/1"
    assert data["calculation"]["inventory_digest"] == document_digest(inventory)
    assert data["calculation"]["factor_datasets"] == inventory["factorDatasets"]
    assert data["calculation"]["kg_co2e_per_unit"] == "168.363400000"
    assert data["calculation"]["line_values"]["display"] == "38.600000000"
    assert data["category"] == "laptop" and data["declared_unit"] == "unit"
    assert data["system_boundary"] == "cradle-to-grave"  # the category's rule
    assert data["standards"] == ["GB/T 24067-2024", "ISO 14067:2018"]
    assert data["product_name"]["zh"] == "示例 14 英寸轻薄笔记本电脑"
    assert data["primary_data_share"] == 22.93
    assert data["data_quality_rating"] == 3  # mean of the DQIs 3.46, 2.56, 2.18, 2.18, 2.56
    assert data["company_name"] == ENTERPRISE_NAME
    assert data["reference_period"] == PERIOD and data["product_ids"] == ["urn:sku:LT14"]
    assert data["components"] == [
        {
            "component_id": "BOE-14-IPS-2026",
            "quantity": 1.0,
            "unit": "unit",
            "attestation_id": DISPLAY_ATTESTATION,
        }
    ]
    assert stored["anchor_status"] == "pending"
    # The same request again (same key) is the same reply; nothing is stored twice.
    again = await client.post(URL, json=body, params={"submit": "true"}, headers=headers)
    assert again.status_code == 201 and again.json() == result
    with Session(app.state.engine) as session:
        rows = session.exec(select(Footprint)).all()
        assert [row.id for row in rows] == [stored["id"]]
        assert rows[0].record["calculation"] == data["calculation"]
        queued = session.exec(
            select(AnchorRecord).where(AnchorRecord.record_id == stored["id"])
        ).one()
        assert queued.record_type == "footprint"
        uses = session.exec(
            select(FootprintFactor).where(FootprintFactor.footprint_id == stored["id"])
        ).all()
    factor_lines = [line for line in inventory["lines"] if "factor" in line]
    assert sorted((u.dataset, u.version, u.factor_id) for u in uses) == sorted(
        {(f["dataset"], f["version"], f["id"]) for f in (x["factor"] for x in factor_lines)}
    )
    # The footprint reads back like any other.
    r = await client.get(f"/api/v1/footprints/{stored['id']}", headers=bearer(orgs.enterprise))
    assert r.json()["data"] == data


async def test_submit_of_a_multi_level_inventory_records_every_factor(
    app: FastAPI, client: httpx.AsyncClient, orgs: Orgs, published: list[str]
) -> None:
    body = {"inventory": example("cement.json"), "footprint": DETAILS}
    r = await post(client, orgs.enterprise, body, submit="true")
    assert r.status_code == 201, r.text
    fp = r.json()["footprint"]
    assert fp["data"]["declared_unit"] == "t" and "components" not in fp["data"]
    with Session(app.state.engine) as session:
        used = session.exec(
            select(FootprintFactor.factor_id).where(FootprintFactor.footprint_id == fp["id"])
        ).all()
    # The clinker sub-inventory's factors (coal, limestone) as well as the cement's own.
    assert {"other-bituminous-coal", "limestone", "gypsum", "cn-grid-southwest-2023"} <= set(used)


async def test_submit_needs_the_footprint_details(
    client: httpx.AsyncClient, orgs: Orgs, published: list[str]
) -> None:
    r = await post(client, orgs.enterprise, {"inventory": example("cement.json")}, submit="true")
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "missing_field"
    assert r.json()["error"]["field"] == "footprint"
    body = {"inventory": example("cement.json"), "footprint": {"reference_period": PERIOD}}
    r = await post(client, orgs.enterprise, body, submit="true")
    assert r.status_code == 422 and r.json()["error"]["field"] == "footprint.geography"


async def test_submitting_the_same_calculation_twice_is_a_duplicate(
    client: httpx.AsyncClient, orgs: Orgs, published: list[str]
) -> None:
    body = {"inventory": example("hotpot-seasoning.yaml"), "footprint": DETAILS}
    assert (await post(client, orgs.enterprise, body, submit="true")).status_code == 201
    r = await post(client, orgs.enterprise, body, submit="true")
    assert r.status_code == 409 and r.json()["error"]["code"] == "duplicate_footprint"


async def test_a_dataset_not_published_is_refused_at_each_line_citing_it(
    client: httpx.AsyncClient, orgs: Orgs, published: list[str]
) -> None:
    inventory = example("hotpot-seasoning.yaml")
    inventory["factorDatasets"][0]["version"] = "2"  # cn-grid@2: never published
    for line in inventory["lines"]:
        if line.get("factor", {}).get("dataset") == "cn-grid":
            line["factor"]["version"] = "2"
    r = await post(client, orgs.enterprise, {"inventory": inventory})
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "unknown_dataset"
    index = next(i for i, x in enumerate(inventory["lines"]) if x["id"] == "plant-electricity")
    assert error["field"] == f"inventory.lines[{index}].factor"
    assert [d["field"] for d in error["details"]] == [f"inventory.lines[{index}].factor"]
    assert error["details"][0]["details"] == {"dataset": "cn-grid", "version": "2"}


async def test_unit_that_does_not_fit_names_both_units(
    client: httpx.AsyncClient, orgs: Orgs, published: list[str]
) -> None:
    inventory = example("cement.json")
    inventory["lines"][4]["unit"] = "kg"  # grinding electricity in kg
    r = await post(client, orgs.enterprise, {"inventory": inventory})
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "unit_mismatch"
    assert error["field"] == "inventory.lines[4].unit"
    assert error["details"][0]["details"]["unit"] == "kg"
    assert error["details"][0]["details"]["factorUnit"] == "kWh"


def _rules_of(error: dict[str, Any]) -> set[str]:
    return {d["details"]["rule"] for d in error["details"] if d["code"] == "rule_violated"}


async def test_breaking_the_category_rules_is_refused_naming_each_rule(
    client: httpx.AsyncClient, orgs: Orgs, published: list[str]
) -> None:
    laptop = example("laptop.json")
    laptop["lines"] = [line for line in laptop["lines"] if line["stage"] != "use"]
    r = await post(client, orgs.enterprise, {"inventory": laptop})
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "rule_violated"
    assert _rules_of(r.json()["error"]) == {"required_stage:use"}

    cement = example("cement.json")
    cement["allocation"] = {"method": "physical", "share": "0.9"}  # cement allows mass, economic
    cement["cutOff"] = {"excludedShare": "0.05"}  # over the 1 % the rules allow
    cement["lines"][5]["stage"] = "use"  # outside cradle-to-gate
    cement["declaredUnit"] = {"amount": "1", "unit": "m3"}
    r = await post(client, orgs.enterprise, {"inventory": cement})
    assert r.status_code == 422
    error = r.json()["error"]
    assert _rules_of(error) == {
        "allocation_method:physical",
        "cutoff:max_excluded_share",
        "system_boundary:cradle-to-gate",
        "declared_unit:m3",
    }
    assert "inventory.lines[5].stage" in {d["field"] for d in error["details"]}


async def test_an_unknown_category_is_refused(
    client: httpx.AsyncClient, orgs: Orgs, published: list[str]
) -> None:
    inventory = example("cement.json")
    inventory["category"] = "spaceship"
    r = await post(client, orgs.enterprise, {"inventory": inventory})
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "unknown_category"
    assert r.json()["error"]["field"] == "inventory.category"


async def test_component_lines_must_match_their_attestation(
    app: FastAPI, client: httpx.AsyncClient, orgs: Orgs, published: list[str]
) -> None:
    laptop = example("laptop.json")
    display = next(i for i, line in enumerate(laptop["lines"]) if line["id"] == "display")
    laptop["lines"][display]["component"]["value"] = "30.0"  # not what the supplier attested
    r = await post(client, orgs.enterprise, {"inventory": laptop})
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "component_value_mismatch"
    assert r.json()["error"]["field"] == f"inventory.lines[{display}].component.value"
    laptop["lines"][display]["component"]["attestation"] = "0x" + "ab" * 32
    r = await post(client, orgs.enterprise, {"inventory": laptop})
    assert r.json()["error"]["code"] == "unknown_attestation"


async def test_malformed_inventories_are_refused_with_the_path(
    client: httpx.AsyncClient, orgs: Orgs, published: list[str]
) -> None:
    inventory = example("cement.json")
    inventory["lines"][1]["amount"] = 50.5  # a JSON fraction where a decimal string is due
    r = await post(client, orgs.enterprise, {"inventory": inventory})
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "bad_number"
    assert r.json()["error"]["field"] == "inventory.lines[1].amount"
    # A key given twice is refused, as the verifier refuses it (the digest must be one).
    text = '{"inventory": {"format": "tanji-inventory/1", "format": "x"}}'
    r = await client.post(
        URL,
        content=text,
        headers={**bearer(orgs.enterprise), "Content-Type": "application/json"},
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "duplicate_key"
    r = await post(client, orgs.enterprise, {"inventory": inventory, "extra": 1})
    assert r.status_code == 422 and r.json()["error"]["field"] == "extra"


async def test_only_enterprises_calculate(
    client: httpx.AsyncClient, orgs: Orgs, published: list[str]
) -> None:
    body = {"inventory": example("cement.json")}
    assert (await post(client, orgs.certifier, body)).status_code == 403
    assert (await client.post(URL, json=body)).status_code == 401


async def test_a_footprint_submitted_as_a_number_may_not_claim_a_calculation(
    client: httpx.AsyncClient, orgs: Orgs
) -> None:
    claim = {
        "engine": "tanji-calc/1",
        "inventory_digest": "0x" + "ab" * 32,
        "factor_datasets": [],
        "kg_co2e_per_unit": "212.5",
    }
    r = await client.post(
        "/api/v1/footprints",
        json=footprint(calculation=claim),
        headers=bearer(orgs.enterprise),
    )
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "calculation_not_allowed"
    assert r.json()["error"]["field"] == "calculation"
    r = await client.post(
        "/api/v1/footprints/bulk",
        json={"items": [footprint(calculation=claim)]},
        headers=bearer(orgs.enterprise),
    )
    assert r.json()["results"][0]["error"]["code"] == "calculation_not_allowed"


async def test_footprints_without_a_calculation_are_unchanged(
    app: FastAPI, client: httpx.AsyncClient, orgs: Orgs
) -> None:
    r = await client.post("/api/v1/footprints", json=footprint(), headers=bearer(orgs.enterprise))
    assert r.status_code == 201
    assert "calculation" not in r.json()["data"]
    with Session(app.state.engine) as session:
        row = session.exec(select(Footprint).where(col(Footprint.id) == r.json()["id"])).one()
        assert "calculation" not in row.record


def test_offline_and_api_runs_share_the_sampling() -> None:
    # The interval is a property of the inventory, factors, iterations and seed alone.
    a = expected("lfp-battery-pack.json", monte_carlo_run=MonteCarlo(300, 3))
    b = expected("lfp-battery-pack.json", monte_carlo_run=MonteCarlo(300, 3))
    assert a["interval"] == b["interval"]


async def test_a_label_of_a_computed_footprint_carries_its_calculation(
    client: httpx.AsyncClient, orgs: Orgs, published: list[str]
) -> None:
    inventory = example("cement.json")
    r = await post(
        client, orgs.enterprise, {"inventory": inventory, "footprint": DETAILS}, submit="true"
    )
    assert r.status_code == 201, r.text
    stored = r.json()["footprint"]
    body = {"footprint_id": stored["id"], "valid_from": "2026-01-01", "valid_until": "2029-12-31"}
    r = await client.post("/api/v1/labels", json=body, headers=bearer(orgs.certifier))
    assert r.status_code == 201, r.text
    label = r.json()
    section = label["record"]["footprint"]
    assert section["calculation"] == stored["data"]["calculation"]
    assert label["record"]["grade"]["grade"] == "C"  # 684.3 kg CO2e/t: C under 2026.1 (≤ 750)
    # A verifier shown the inventory and the datasets recomputes the label's number to the digit.
    recomputed = run_calculation(
        parse_inventory(inventory),
        resolve_datasets(parse_inventory(inventory), [StarterDatasets()]),
        monte_carlo_run=None,
    ).footprint
    comparison = compare_with_record(recomputed, label["record"])
    assert comparison.status == "MATCH", comparison.to_dict()
    inventory["lines"][1]["amount"] = "51"
    changed = parse_inventory(inventory)
    other = run_calculation(
        changed, resolve_datasets(changed, [StarterDatasets()]), monte_carlo_run=None
    ).footprint
    findings = compare_with_record(other, label["record"]).findings
    assert [f.key for f in findings][:2] == ["inventory_digest", "line_mismatch"]
    assert findings[1].data["line"] == "gypsum"
