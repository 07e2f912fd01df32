"""Footprints: strict validation with field paths, idempotency, bulk, isolation, anchoring queue."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlmodel import Session, col, select

from anchoring.bundle import build_bundle
from anchoring.ledger import AnchorRecord
from registry.audit import AuditEntry
from registry.models.footprints import Footprint
from tests.registry.factories import OTHER_ENTERPRISE_GTIN, Orgs, bearer, footprint, numbered
from verifier._internal.verifier import verify_offline
from verifier.protocol.leaf import record_leaf_value

BAD_FIELDS: list[tuple[str, dict[str, Any], str, str]] = [
    ("gtin check digit", {"gtin": "06901234567891"}, "invalid_gtin", "gtin"),
    ("gtin letters", {"gtin": "69012345678ab"}, "invalid_gtin", "gtin"),
    ("unknown category", {"category": "spaceship"}, "unknown_category", "category"),
    ("unit not allowed", {"declared_unit": "kWh"}, "invalid_declared_unit", "declared_unit"),
    ("zero footprint", {"kg_co2e_per_unit": 0}, "invalid_field", "kg_co2e_per_unit"),
    ("negative fossil", {"fossil_kg_co2e": -1}, "invalid_field", "fossil_kg_co2e"),
    ("split mismatch", {"fossil_kg_co2e": 100.0}, "split_mismatch", "fossil_kg_co2e"),
    ("boundary", {"system_boundary": "cradle-to-moon"}, "invalid_field", "system_boundary"),
    (
        "period order",
        {"reference_period": {"start": "2025-12-31", "end": "2025-01-01"}},
        "invalid_period",
        "reference_period",
    ),
    (
        "period date",
        {"reference_period": {"start": "2025-13-01", "end": "2026-01-01"}},
        "invalid_field",
        "reference_period.start",
    ),
    ("country", {"geography": {"country": "XX"}}, "invalid_country", "geography.country"),
    (
        "subdivision of another country",
        {"geography": {"country": "SG", "subdivision": "CN-CQ"}},
        "invalid_subdivision",
        "geography",
    ),
    ("no standards", {"standards": []}, "invalid_field", "standards"),
    ("share > 100", {"primary_data_share": 120}, "invalid_field", "primary_data_share"),
    ("dqr 0", {"data_quality_rating": 0}, "invalid_field", "data_quality_rating"),
    ("dqr text", {"data_quality_rating": "good"}, "invalid_field", "data_quality_rating"),
    ("missing name", {"product_name": None}, "missing_field", "product_name"),
    ("missing en", {"product_name": {"zh": "电脑"}}, "missing_field", "product_name.en"),
    (
        "missing zh",
        {"product_name": {"zh-Hant": "電腦", "en": "PC"}},
        "missing_field",
        "product_name.zh",
    ),
    (
        "name in a language Tanji does not write",
        {"product_name": {"zh": "电脑", "en": "PC", "fr": "ordinateur"}},
        "unknown_field",
        "product_name.fr",
    ),
    (
        "name keyed zh-Hans (names keep zh, the key of every anchored record)",
        {"product_name": {"zh-Hans": "电脑", "zh": "电脑", "en": "PC"}},
        "unknown_field",
        "product_name.zh-Hans",
    ),
    (
        "empty zh-Hant name",
        {"product_name": {"zh": "电脑", "zh-Hant": "", "en": "PC"}},
        "invalid_field",
        "product_name.zh-Hant",
    ),
    ("unknown member", {"colour": "green"}, "unknown_field", "colour"),
    (
        "nested unknown",
        {"geography": {"country": "CN", "city": "x"}},
        "unknown_field",
        "geography.city",
    ),
    ("empty company", {"company_name": ""}, "invalid_field", "company_name"),
    ("product id list item", {"product_ids": ["ok", 7]}, "invalid_field", "product_ids[1]"),
    # Records are I-JSON: no number at or beyond 2**53, however written (PROTOCOL.md section 2).
    *(
        (
            f"footprint {spelt}",
            {"kg_co2e_per_unit": value, "fossil_kg_co2e": value, "biogenic_kg_co2e": 0},
            "number_out_of_range",
            "kg_co2e_per_unit",
        )
        for spelt, value in (("1e20", 1e20), ("10**20", 10**20), ("2**53", 2**53))
    ),
    ("declared amount 1e300", {"declared_amount": 1e300}, "number_out_of_range", "declared_amount"),
    (
        "component quantity 1e20",
        {
            "components": [
                {
                    "component_id": "c",
                    "quantity": 1e20,
                    "unit": "kg",
                    "attestation_id": "0x" + "11" * 32,
                }
            ]
        },
        "number_out_of_range",
        "components[0].quantity",
    ),
]


@pytest.mark.parametrize(
    ("case", "changes", "code", "field"), BAD_FIELDS, ids=[c[0] for c in BAD_FIELDS]
)
async def test_bad_field_is_422_with_code_and_path(
    client: httpx.AsyncClient, orgs: Orgs, case: str, changes: dict[str, Any], code: str, field: str
) -> None:
    r = await client.post(
        "/api/v1/footprints", json=footprint(**changes), headers=bearer(orgs.enterprise)
    )
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert (error["code"], error["field"]) == (code, field), error
    assert {"code": code, "field": field} in [
        {"code": d["code"], "field": d["field"]} for d in error["details"]
    ]


async def test_not_json_is_422(client: httpx.AsyncClient, orgs: Orgs) -> None:
    r = await client.post(
        "/api/v1/footprints",
        content=b"{not json",
        headers={**bearer(orgs.enterprise), "Content-Type": "application/json"},
    )
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "invalid_json"
    assert r.json()["error"]["field"] == "body"


async def test_nothing_stored_for_invalid_input(client: httpx.AsyncClient, orgs: Orgs, app) -> None:  # type: ignore[no-untyped-def]
    await client.post(
        "/api/v1/footprints", json=footprint(gtin="123"), headers=bearer(orgs.enterprise)
    )
    with Session(app.state.engine) as session:
        assert session.exec(select(Footprint)).all() == []
        assert (
            session.exec(select(AnchorRecord).where(AnchorRecord.record_type != "audit")).all()
            == []
        )
        assert (
            session.exec(select(AuditEntry).where(AuditEntry.subject_type == "footprint")).all()
            == []
        )


async def test_created_footprint_is_a_record_queued_for_anchoring(
    client: httpx.AsyncClient,
    orgs: Orgs,
    app,  # type: ignore[no-untyped-def]
) -> None:
    r = await client.post(
        "/api/v1/footprints", json=footprint(gtin="6901234567892"), headers=bearer(orgs.enterprise)
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["anchor_status"] == "pending"
    assert body["data"]["gtin"] == "06901234567892"  # normalised to GTIN-14
    assert "master_salt" not in body and "salt" not in str(body)
    with Session(app.state.engine) as session:
        row = session.get(Footprint, body["id"])
        assert row is not None
        assert row.record["type"] == "footprint" and row.record["id"] == row.id
        salt = bytes.fromhex(row.master_salt[2:])
        assert len(salt) == 32
        queued = session.exec(select(AnchorRecord).where(AnchorRecord.record_id == row.id)).one()
        assert list(queued.leaf_value) == record_leaf_value(row.record, salt)
        assert queued.leaf_value[2] == body["record_digest"]
    got = await client.get(f"/api/v1/footprints/{body['id']}", headers=bearer(orgs.enterprise))
    assert got.json() == body


async def test_traditional_chinese_name_is_data_in_the_record(
    client: httpx.AsyncClient,
    orgs: Orgs,
    app,  # type: ignore[no-untyped-def]
) -> None:
    # Any order in, languages in the one order out; the record carries the name as given.
    name = {"en": " Laptop ", "zh-Hant": "手提電腦", "zh": "笔记本电脑"}
    r = await client.post(
        "/api/v1/footprints", json=footprint(product_name=name), headers=bearer(orgs.enterprise)
    )
    assert r.status_code == 201, r.text
    stored = {"zh": "笔记本电脑", "zh-Hant": "手提電腦", "en": "Laptop"}
    assert r.json()["data"]["product_name"] == stored
    assert list(r.json()["data"]["product_name"]) == ["zh", "zh-Hant", "en"]
    with Session(app.state.engine) as session:
        row = session.get(Footprint, r.json()["id"])
        assert row is not None and row.record["product_name"] == stored
    # A footprint without a Traditional Chinese name keeps exactly the name it always had.
    plain = await client.post(
        "/api/v1/footprints", json=footprint(), headers=bearer(orgs.enterprise)
    )
    assert plain.json()["data"]["product_name"] == footprint()["product_name"]


async def test_largest_number_a_record_carries_is_taken_in_and_bundles_verify(
    client: httpx.AsyncClient,
    orgs: Orgs,
    app,  # type: ignore[no-untyped-def]
) -> None:
    # Just below 2**53: accepted, and the footprint's bundle is well formed for every verifier.
    big = float(2**53 - 1)
    r = await client.post(
        "/api/v1/footprints",
        json=footprint(kg_co2e_per_unit=big, fossil_kg_co2e=big, biogenic_kg_co2e=0),
        headers=bearer(orgs.enterprise),
    )
    assert r.status_code == 201, r.text
    with Session(app.state.engine) as session:
        row = session.get(Footprint, r.json()["id"])
        assert row is not None
        salt = bytes.fromhex(row.master_salt[2:])
        bundle = build_bundle(record=row.record, salt=salt, leaf=None)
    report = verify_offline(json.dumps(bundle))
    formats = {(x.status.value, int(x.code)) for x in report.results if x.name == "format"}
    assert formats == {("VALID", 0)}, report.to_json()


async def test_same_footprint_twice_is_a_duplicate(client: httpx.AsyncClient, orgs: Orgs) -> None:
    first = await client.post(
        "/api/v1/footprints", json=footprint(), headers=bearer(orgs.enterprise)
    )
    again = await client.post(
        "/api/v1/footprints", json=footprint(), headers=bearer(orgs.enterprise)
    )
    assert again.status_code == 409
    error = again.json()["error"]
    assert error["code"] == "duplicate_footprint"
    assert error["details"] == [{"id": first.json()["id"]}]


async def test_idempotency_key_replays_and_conflicts(client: httpx.AsyncClient, orgs: Orgs) -> None:
    headers = {**bearer(orgs.enterprise), "Idempotency-Key": "upload-2026-11-25-001"}
    first = await client.post("/api/v1/footprints", json=footprint(), headers=headers)
    retry = await client.post("/api/v1/footprints", json=footprint(), headers=headers)
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    listed = (await client.get("/api/v1/footprints", headers=bearer(orgs.enterprise))).json()
    assert listed["count"] == 1
    other = await client.post("/api/v1/footprints", json=numbered(1), headers=headers)
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency_conflict"
    assert other.json()["error"]["field"] == "header.Idempotency-Key"
    # Keys are per organisation: another enterprise may use the same key string.
    mine = await client.post(
        "/api/v1/footprints",
        json=footprint(gtin=OTHER_ENTERPRISE_GTIN),
        headers={**bearer(orgs.other_enterprise), "Idempotency-Key": "upload-2026-11-25-001"},
    )
    assert mine.status_code == 201
    assert mine.json()["id"] != first.json()["id"]


@pytest.mark.parametrize("spelt", ["1e20", "100000000000000000000"])
async def test_idempotent_body_with_a_number_out_of_range_is_422(
    client: httpx.AsyncClient, orgs: Orgs, spelt: str
) -> None:
    # A bulk body's items are fingerprinted before each is checked: a number that has no
    # canonical form (PROTOCOL.md section 2) is the caller's error, not a 500.
    headers = {
        **bearer(orgs.enterprise),
        "Idempotency-Key": f"numbers-{spelt}",
        "Content-Type": "application/json",
    }
    body = '{"items": [{"kg_co2e_per_unit": ' + spelt + "}]}"
    r = await client.post("/api/v1/footprints/bulk", content=body.encode(), headers=headers)
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert (error["code"], error["field"]) == ("number_out_of_range", "items[0].kg_co2e_per_unit")


async def test_bad_idempotency_key_is_422(client: httpx.AsyncClient, orgs: Orgs) -> None:
    headers = {**bearer(orgs.enterprise), "Idempotency-Key": "x" * 300}
    r = await client.post("/api/v1/footprints", json=footprint(), headers=headers)
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "invalid_idempotency_key"


async def test_enterprises_are_isolated(client: httpx.AsyncClient, orgs: Orgs) -> None:
    # Without a GTIN: a GTIN belongs to the holder of its GS1 company prefix.
    mine = (
        await client.post(
            "/api/v1/footprints", json=footprint(gtin=None), headers=bearer(orgs.enterprise)
        )
    ).json()
    r = await client.get(f"/api/v1/footprints/{mine['id']}", headers=bearer(orgs.other_enterprise))
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "forbidden_org"
    theirs = (await client.get("/api/v1/footprints", headers=bearer(orgs.other_enterprise))).json()
    assert theirs == {"data": [], "count": 0}
    # The same content from another enterprise is its own footprint, not a duplicate of ours.
    r = await client.post(
        "/api/v1/footprints", json=footprint(gtin=None), headers=bearer(orgs.other_enterprise)
    )
    assert r.status_code == 201
    # Certification bodies see every submitted footprint (they certify them).
    all_fps = (await client.get("/api/v1/footprints", headers=bearer(orgs.certifier))).json()
    assert all_fps["count"] == 2


async def test_unknown_footprint_is_404(client: httpx.AsyncClient, orgs: Orgs) -> None:
    r = await client.get("/api/v1/footprints/fp-nope", headers=bearer(orgs.enterprise))
    assert r.status_code == 404
    assert r.json()["error"] == {
        "code": "not_found",
        "message": "footprint fp-nope does not exist",
        "field": "footprint_id",
        "details": [],
    }


async def test_list_is_paginated(client: httpx.AsyncClient, orgs: Orgs) -> None:
    for i in range(5):
        r = await client.post(
            "/api/v1/footprints", json=numbered(i), headers=bearer(orgs.enterprise)
        )
        assert r.status_code == 201
    page = (
        await client.get("/api/v1/footprints?offset=1&limit=2", headers=bearer(orgs.enterprise))
    ).json()
    assert page["count"] == 5 and len(page["data"]) == 2
    r = await client.get("/api/v1/footprints?limit=0", headers=bearer(orgs.enterprise))
    assert r.status_code == 422
    assert r.json()["error"]["field"] == "query.limit"


async def test_bulk_of_1000_with_bad_items(client: httpx.AsyncClient, orgs: Orgs, app) -> None:  # type: ignore[no-untyped-def]
    items: list[Any] = [numbered(i) for i in range(1000)]
    bad = {7: footprint(gtin="123"), 250: footprint(category="spaceship"), 999: "not an object"}
    for index, item in bad.items():
        items[index] = item
    items[500] = numbered(499)  # repeated within the request
    r = await client.post(
        "/api/v1/footprints/bulk",
        json={"items": items},
        headers=bearer(orgs.enterprise),
        timeout=120,
    )
    assert r.status_code == 200, r.text[:500]
    body = r.json()
    results = body["results"]
    assert [res["index"] for res in results] == list(range(1000))
    assert {i for i, res in enumerate(results) if res["status"] == "error"} == set(bad)
    assert results[7]["error"]["code"] == "invalid_gtin" and results[7]["error"]["field"] == "gtin"
    assert results[250]["error"]["field"] == "category"
    assert results[500] == {
        "index": 500,
        "status": "duplicate",
        "id": results[499]["id"],
        "error": None,
    }
    assert (body["created"], body["duplicates"], body["errors"]) == (996, 1, 3)
    with Session(app.state.engine) as session:
        stored = {row.id for row in session.exec(select(Footprint)).all()}
        queued = {
            row.record_id
            for row in session.exec(
                select(AnchorRecord).where(AnchorRecord.record_type == "footprint")
            )
        }
        audited = [
            (row.action, row.subject_id, row.org_id)
            for row in session.exec(
                select(AuditEntry)
                .where(AuditEntry.subject_type == "footprint")
                .order_by(col(AuditEntry.id))
            )
        ]
    created = {res["id"] for res in results if res["status"] == "created"}
    assert stored == created == queued
    # One audit entry per created footprint, by the enterprise, in the order of the items.
    created_in_order = [res["id"] for res in results if res["status"] == "created"]
    assert audited == [("footprint.create", i, orgs.enterprise_id) for i in created_in_order]
    # Re-sending the same good items reports them as duplicates and stores nothing new.
    again = await client.post(
        "/api/v1/footprints/bulk", json={"items": items[:10]}, headers=bearer(orgs.enterprise)
    )
    assert [res["status"] for res in again.json()["results"]] == ["duplicate"] * 7 + ["error"] + [
        "duplicate"
    ] * 2


async def test_bulk_leaves_match_each_record(client: httpx.AsyncClient, orgs: Orgs, app) -> None:  # type: ignore[no-untyped-def]
    # The bulk path canonicalises a field value shared by several items once; every queued leaf
    # must still be the record's own leaf under its own salt.
    r = await client.post(
        "/api/v1/footprints/bulk",
        json={"items": [numbered(i) for i in range(20)]},
        headers=bearer(orgs.enterprise),
    )
    assert r.status_code == 200 and r.json()["created"] == 20, r.text[:500]
    with Session(app.state.engine) as session:
        rows = session.exec(select(Footprint)).all()
        leaves = {
            row.record_id: row.leaf_value
            for row in session.exec(
                select(AnchorRecord).where(AnchorRecord.record_type == "footprint")
            )
        }
    assert len(rows) == 20
    for row in rows:
        salt = bytes.fromhex(row.master_salt.removeprefix("0x"))
        assert leaves[row.id] == record_leaf_value(row.record, salt)


async def test_bulk_limits(client: httpx.AsyncClient, orgs: Orgs) -> None:
    r = await client.post(
        "/api/v1/footprints/bulk", json={"items": []}, headers=bearer(orgs.enterprise)
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "items"
    r = await client.post(
        "/api/v1/footprints/bulk", json={"items": [{}], "extra": 1}, headers=bearer(orgs.enterprise)
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_field"
