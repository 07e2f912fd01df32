"""The factor database through the API, on the real embedded chain (SQLite and PostgreSQL).

Publishing (signature, immutability, deprecations, per-factor refusals), reading (JSON, CSV),
search, the factor page in every language, and the impact of a new version on certified
footprints.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import Session, func, select

from anchoring.ledger import AnchorRecord
from registry.app import create_app
from registry.config import load_settings
from registry.factors.crud import record_footprint_factors
from registry.factors.models import Factor, FactorDatasetVersion
from registry.factors.tables import factors_from_csv
from registry.i18n import LANGUAGES, messages
from tests.registry.factories import Orgs, bearer, footprint, make_orgs
from tests.registry.factors_data import (
    GRID,
    OTHER_PUBLISHER_KEY,
    PUBLISHER_KEY,
    STEEL,
    TRUCK,
    address_of,
    document,
    factor,
    register_publisher,
    signed,
)
from tests.registry.partners import issue_label
from verifier.protocol.accounting.documents import document_digest


@dataclass
class Registry:
    client: httpx.AsyncClient
    app: FastAPI
    orgs: Orgs
    chain_id: int
    contract: str
    publisher: str  # the publisher's API key

    def body(self, doc: dict[str, Any], key: str = PUBLISHER_KEY) -> dict[str, Any]:
        return signed(doc, chain_id=self.chain_id, contract=self.contract, key=key)

    async def publish(self, doc: dict[str, Any], key: str = PUBLISHER_KEY) -> httpx.Response:
        return await self.client.post(
            "/api/v1/factors/datasets", json=self.body(doc, key), headers=bearer(self.publisher)
        )


@pytest.fixture(params=["sqlite", "postgresql"])
async def registry(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Registry]:
    """The registry on the embedded chain (a loop that anchors only when asked)."""
    database_url = None
    if request.param == "postgresql":
        database_url = request.getfixturevalue("registry_database_url")
    settings = load_settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        base_url="https://tanji.test",
        batch_max_wait_seconds=10**6,
        batch_max_size=100_000,
        poll_interval_seconds=0.05,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tanji.test") as c:
            orgs = make_orgs(app.state.engine)
            _, publisher = await register_publisher(c, app.state.engine)
            chain = app.state.chain
            yield Registry(c, app, orgs, chain.chain_id, chain.address, publisher)


def _count(app: FastAPI, model: Any) -> int:
    with Session(app.state.engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


async def test_a_publisher_publishes_a_signed_version_once(registry: Registry) -> None:
    c = registry.client
    eip712 = (await c.get("/api/v1/factors/eip712")).json()
    assert eip712["primaryType"] == "FactorDataset"
    assert eip712["domain"]["chainId"] == registry.chain_id
    doc = document()
    r = await registry.publish(doc)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["id"] == "cq-test@1"
    assert body["digest"] == document_digest(doc)
    assert body["signer"] == address_of(PUBLISHER_KEY)
    assert body["factor_count"] == 3 and body["anchor_status"] == "pending"
    with Session(registry.app.state.engine) as session:
        queued = session.exec(
            select(AnchorRecord).where(AnchorRecord.record_type == "factor_dataset")
        ).one()
        assert queued.record_id == "cq-test@1"

    # The same version again (same digest): answered as it is, nothing added.
    r = await registry.publish(doc)
    assert r.status_code == 200, r.text
    assert r.json()["digest"] == body["digest"]
    assert _count(registry.app, FactorDatasetVersion) == 1
    assert _count(registry.app, Factor) == 3

    # Another digest under the same dataset and version: versions never change.
    changed = document(factors=[factor(GRID, value="0.6", gases={"CO2": "0.6"}), STEEL])
    r = await registry.publish(changed)
    assert r.status_code == 409, r.text
    assert r.json()["error"]["code"] == "version_exists"
    assert r.json()["error"]["field"] == "document.version"

    # The document as stored, and as CSV.
    r = await c.get("/api/v1/factors/datasets/cq-test/1")
    assert r.status_code == 200 and r.json() == doc
    assert r.headers["X-Tanji-Digest"] == body["digest"]
    r = await c.get("/api/v1/factors/datasets/cq-test/1", params={"format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert factors_from_csv(r.text) == doc["factors"]
    listed = (await c.get("/api/v1/factors/datasets")).json()
    assert [v["id"] for v in listed["data"]] == ["cq-test@1"] and listed["count"] == 1


async def test_publishing_is_refused_with_a_code(registry: Registry) -> None:
    c = registry.client
    doc = document()
    # Only publishers publish.
    r = await c.post(
        "/api/v1/factors/datasets",
        json=registry.body(doc),
        headers=bearer(registry.orgs.enterprise),
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden_role"
    # A signature by another key than the document's publisher.address.
    r = await c.post(
        "/api/v1/factors/datasets",
        json={"document": doc, "signature": registry.body(doc, OTHER_PUBLISHER_KEY)["signature"]},
        headers=bearer(registry.publisher),
    )
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "signer_mismatch"
    # Signed for another deployment (chain id).
    other = signed(doc, chain_id=registry.chain_id + 1, contract=registry.contract)
    r = await c.post("/api/v1/factors/datasets", json=other, headers=bearer(registry.publisher))
    assert r.status_code == 422 and r.json()["error"]["code"] == "signer_mismatch"
    # Signed by a key no publisher registered.
    stranger = document(key=OTHER_PUBLISHER_KEY)
    r = await registry.publish(stranger, OTHER_PUBLISHER_KEY)
    assert r.status_code == 403 and r.json()["error"]["code"] == "unregistered_key"
    # A reserved dataset id.
    r = await registry.publish(document(dataset="datasets"))
    assert r.status_code == 422 and r.json()["error"]["code"] == "reserved_dataset"
    # A bad signature.
    r = await c.post(
        "/api/v1/factors/datasets",
        json={"document": doc, "signature": "0x1234"},
        headers=bearer(registry.publisher),
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "signature"
    assert _count(registry.app, FactorDatasetVersion) == 0


async def test_refused_factors_are_reported_each_and_nothing_is_stored(registry: Registry) -> None:
    bad = document(
        factors=[
            GRID,
            factor(STEEL, unit="kg CO2e per kilo"),  # factors[1]: bad_unit
            factor(TRUCK, illustrative=None, source={"document": "only a title"}),  # [2]
            factor(GRID, names={"en": "twice"}),  # [3]: duplicate_id
        ]
    )
    r = await registry.publish(bad)
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    found = {(d["field"], d["code"]) for d in error["details"]}
    assert ("document.factors[1].unit", "bad_unit") in found
    assert ("document.factors[2].source", "missing_citation") in found
    assert ("document.factors[3].id", "duplicate_id") in found
    assert {d["index"] for d in error["details"]} == {1, 2, 3}
    assert _count(registry.app, FactorDatasetVersion) == 0
    assert _count(registry.app, Factor) == 0


async def test_a_new_version_deprecates_factors_of_earlier_ones(registry: Registry) -> None:
    assert (await registry.publish(document())).status_code == 201
    # Deprecating ids that no earlier version has: one refusal per id.
    r = await registry.publish(
        document(version="2", deprecates=["steel-test", "no-such", "cq-grid-2022", "nor-this"])
    )
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "unknown_deprecated_factor"
    assert [(d["field"], d["code"]) for d in error["details"]] == [
        ("document.deprecates[1]", "unknown_deprecated_factor"),
        ("document.deprecates[3]", "unknown_deprecated_factor"),
    ]
    # A first version cannot deprecate anything.
    r = await registry.publish(document(dataset="cq-other", deprecates=["steel-test"]))
    assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_deprecated_factor"

    v2 = document(
        version="2",
        deprecates=["steel-test"],
        factors=[GRID, factor(STEEL, id="steel-test-2", value="2.1")],
    )
    r = await registry.publish(v2)
    assert r.status_code == 201, r.text
    assert r.json()["deprecates"] == ["steel-test"]
    old = (await registry.client.get("/api/v1/factors/cq-test/1/steel-test")).json()
    assert old["deprecated_by"] == "cq-test@2"
    assert (await registry.client.get("/api/v1/factors/cq-test/1/cq-grid-2022")).json()[
        "deprecated_by"
    ] is None
    # Another publisher cannot publish versions of this dataset.
    _, other = await register_publisher(
        registry.client, registry.app.state.engine, name="Other", key=OTHER_PUBLISHER_KEY
    )
    r = await registry.client.post(
        "/api/v1/factors/datasets",
        json=registry.body(document(version="3", key=OTHER_PUBLISHER_KEY), OTHER_PUBLISHER_KEY),
        headers=bearer(other),
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "dataset_owned_by_other"


async def test_factors_are_searched_by_id_and_names_in_every_language(registry: Registry) -> None:
    assert (await registry.publish(document())).status_code == 201
    assert (await registry.publish(document(dataset="cq-more", factors=[TRUCK]))).status_code == 201
    c = registry.client

    async def ids(**params: Any) -> list[str]:
        r = await c.get("/api/v1/factors", params=params)
        assert r.status_code == 200, r.text
        return [f"{f['dataset']}:{f['factor']['id']}" for f in r.json()["data"]]

    assert await ids(q="重庆电网") == ["cq-test:cq-grid-2022"]  # Simplified Chinese
    assert await ids(q="重慶電網") == ["cq-test:cq-grid-2022"]  # Traditional Chinese
    assert await ids(q="chongqing GRID") == ["cq-test:cq-grid-2022"]  # English, any case
    assert await ids(q="steel-t") == ["cq-test:steel-test"]  # the id
    assert await ids(q="100%") == []  # LIKE wildcards are literal
    assert await ids(category="transport") == ["cq-more:truck-test", "cq-test:truck-test"]
    assert await ids(geography="cn-cq") == ["cq-test:cq-grid-2022"]
    assert await ids(dataset="cq-more") == ["cq-more:truck-test"]
    page = (await c.get("/api/v1/factors", params={"limit": 2, "offset": 1})).json()
    assert page["count"] == 4 and len(page["data"]) == 2
    r = await c.get("/api/v1/factors", params={"limit": 101})
    assert r.status_code == 422  # bounded page size
    one = (await c.get("/api/v1/factors/cq-test/1/cq-grid-2022")).json()
    assert one["factor"] == GRID
    assert one["page_url"] == "https://tanji.test/factors/cq-test/1/cq-grid-2022"
    r = await c.get("/api/v1/factors/cq-test/1/nope")
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_factor"
    r = await c.get("/api/v1/factors/cq-test/9/nope")
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_factor_dataset"


async def test_the_factor_page_shows_its_source_in_every_language(registry: Registry) -> None:
    assert (await registry.publish(document())).status_code == 201
    c = registry.client
    for lang in LANGUAGES:
        t = messages(lang)
        r = await c.get("/factors/cq-test/1/cq-grid-2022", params={"lang": lang})
        assert r.status_code == 200, r.text
        assert r.headers["content-language"] == lang
        html = r.text
        assert t["factor_source"] in html and "A cited test document" in html
        assert 'href="https://example.org/grid"' in html and "Table 1" in html
        assert "0.5366" in html and "kg CO2e / kWh" in html
        assert 'id="illustrative"' not in html
        assert GRID["names"][lang] in html
        r = await c.get("/factors/cq-test/1/steel-test", params={"lang": lang})
        assert r.status_code == 200
        assert 'id="illustrative"' in r.text and t["factor_illustrative"] in r.text
        assert t["factor_no_source"] in r.text
        r = await c.get("/factors/cq-test/1/nope", params={"lang": lang})
        assert r.status_code == 404 and t["factor_not_found_title"] in r.text


async def test_impact_lists_certified_footprints_that_used_a_deprecated_factor(
    registry: Registry,
) -> None:
    c, orgs = registry.client, registry.orgs
    assert (await registry.publish(document())).status_code == 201
    labelled = await issue_label(
        c, enterprise=orgs.enterprise, certifier=orgs.certifier, payload=footprint()
    )
    other = await issue_label(
        c,
        enterprise=orgs.enterprise,
        certifier=orgs.certifier,
        payload=footprint(
            product_ids=["urn:tanji:sku:OTHER-1"],
            kg_co2e_per_unit=200.0,
            fossil_kg_co2e=198.0,
            biogenic_kg_co2e=2.0,
        ),
    )
    r = await c.post(
        "/api/v1/footprints",
        json=footprint(product_ids=["urn:tanji:sku:UNCERT"]),
        headers=bearer(orgs.enterprise),
    )
    assert r.status_code == 201, r.text
    uncertified = r.json()["id"]
    with Session(registry.app.state.engine) as session:
        record_footprint_factors(
            session,
            labelled["footprint_id"],
            [
                ("cq-test", "1", "steel-test"),
                ("cq-test", "1", "cq-grid-2022"),
                ("cq-test", "1", "steel-test"),
            ],
        )
        record_footprint_factors(session, other["footprint_id"], [("cq-test", "1", "cq-grid-2022")])
        record_footprint_factors(session, uncertified, [("cq-test", "1", "steel-test")])
        session.commit()
    v2 = document(version="2", deprecates=["steel-test"], factors=[GRID])
    assert (await registry.publish(v2)).status_code == 201
    r = await c.get("/api/v1/factors/datasets/cq-test/2/impact", headers=bearer(orgs.certifier))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["count"] == 1 and body["deprecates"] == ["steel-test"]
    (item,) = body["data"]
    assert item["footprint_id"] == labelled["footprint_id"]
    assert item["labels"] == [labelled["id"]]
    assert item["factors"] == ["cq-test@1:steel-test"]
    r = await c.get("/api/v1/factors/datasets/cq-test/1/impact", headers=bearer(orgs.certifier))
    assert r.json()["count"] == 0  # the first version deprecates nothing
    r = await c.get("/api/v1/factors/datasets/cq-test/2/impact", headers=bearer(orgs.enterprise))
    assert r.status_code == 403
