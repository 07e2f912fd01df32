"""A publisher's revoked signing key withdraws the factor-dataset versions it signed since: new
calculations refuse them (``dataset_revoked``), ``impact`` lists every certified footprint that
used them, each is audited and its leaf queued for revocation on chain once anchored; versions
signed before the key's revocation time stay (through the real app and database, both passes).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import Session, select

from registry.audit import AuditEntry
from registry.crud.key_revocation import revoke_key
from registry.errors import PermissionDeniedError
from registry.factors.models import FactorDatasetRevocation, FactorDatasetVersion
from registry.factors.starter import publish_starter
from registry.models.orgs import Organisation
from registry.models.suppliers import KeyRevocation
from registry.records.sweeps import sweep_revocations
from tests.registry.calculations_data import (
    BASE_URL,
    CHAIN_ID,
    CONTRACT,
    DETAILS,
    example,
    publish_starter_datasets,
)
from tests.registry.factories import Orgs, bearer
from verifier.protocol.reasons import RevocationReason

URL = "/api/v1/calculations"


async def test_a_revoked_publisher_key_withdraws_its_versions(
    app: FastAPI, client: httpx.AsyncClient, orgs: Orgs
) -> None:
    published = publish_starter_datasets(app.state.engine)
    body = {"inventory": example("cement.json"), "footprint": DETAILS}
    r = await client.post(
        URL, json=body, params={"submit": "true"}, headers=bearer(orgs.enterprise)
    )
    assert r.status_code == 201, r.text
    footprint_id = r.json()["footprint"]["id"]
    r = await client.post(
        "/api/v1/labels",
        json={
            "footprint_id": footprint_id,
            "valid_from": "2026-01-01",
            "valid_until": "2029-12-31",
        },
        headers=bearer(orgs.certifier),
    )
    assert r.status_code == 201, r.text
    impact = "/api/v1/factors/datasets/cn-grid/1/impact"
    r = await client.get(impact, headers=bearer(orgs.certifier))
    assert r.json()["count"] == 0 and r.json()["revoked_at"] is None, r.text

    # Revoked from after the versions were stored: they stay.
    with Session(app.state.engine) as session:
        grid = session.get(FactorDatasetVersion, "cn-grid@1")
        assert grid is not None
        signer, org_id = grid.signer, grid.org_id
        org = session.get(Organisation, org_id)
        assert org is not None
        later = datetime.now(UTC) + timedelta(seconds=1)
        body_ = KeyRevocation(reason="compromised", effective_at=later)
        revoke_key(session, org=org, address=signer, body=body_)
        session.commit()
        assert session.exec(select(FactorDatasetRevocation)).all() == []
    # Revoked again from before they were stored (found compromised): every one is withdrawn.
    with Session(app.state.engine) as session:
        org = session.get(Organisation, org_id)
        assert org is not None
        earlier = datetime(2020, 1, 1, tzinfo=UTC)
        body_ = KeyRevocation(reason="compromised", effective_at=earlier)
        revoke_key(session, org=org, address=signer, body=body_)
        session.commit()
        withdrawn = session.exec(select(FactorDatasetRevocation)).all()
        assert sorted(w.version_id for w in withdrawn) == sorted(published)
        assert {w.reason for w in withdrawn} == {RevocationReason.KEY_COMPROMISE}
        audited = session.exec(
            select(AuditEntry.subject_id).where(AuditEntry.action == "factor_dataset.key_revoked")
        ).all()
        assert sorted(audited) == sorted(published)
        # Not anchored yet here: the sweep finds nothing to revoke on chain until they are.
        assert sweep_revocations(session, "factor_dataset") == 0

    r = await client.post(
        URL, json={"inventory": example("cement.json")}, headers=bearer(orgs.enterprise)
    )
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "dataset_revoked", r.text
    assert "withdrawn" in error["message"]
    r = await client.get(impact, headers=bearer(orgs.certifier))
    assert r.status_code == 200, r.text
    assert r.json()["revoked_at"] is not None
    assert [f["footprint_id"] for f in r.json()["data"]] == [footprint_id]


def test_an_inventory_bundle_names_where_a_document_too_large_to_carry_is(app: FastAPI) -> None:
    from registry.factors.bundles import MARGIN_BYTES, with_dataset_bundles
    from verifier._internal.datasets import DatasetFiles, verify_datasets
    from verifier._internal.verifier import verify_offline
    from verifier.protocol.accounting import parse_inventory
    from verifier.protocol.messages import report_message

    publish_starter_datasets(app.state.engine)
    inventory = example("cement.json")
    cited = inventory["factorDatasets"]
    with Session(app.state.engine) as session:
        roomy = with_dataset_bundles(session, {}, cited, base_url="https://t.test")
        tight = with_dataset_bundles(
            session, {}, cited, base_url="https://t.test", limit=MARGIN_BYTES + 20_000
        )
    assert [b["record"]["id"] for b in roomy["factorDatasets"]] == [
        f"{d['dataset']}@{d['version']}" for d in cited
    ]
    assert all("document" in b for b in roomy["factorDatasets"])
    grid = tight["factorDatasets"][0]  # cn-grid@1: 45 kB, more than the room left
    assert "document" not in grid
    assert grid["documentUrl"] == "https://t.test/api/v1/factors/datasets/cn-grid/1"
    files = DatasetFiles()
    for item in tight["factorDatasets"]:
        files.add_bundle(item, "factorDatasets")
    refs = parse_inventory(inventory).factor_datasets
    _, faults, _ = verify_datasets(refs, files, verify_offline, None)
    (fault,) = [f for f in faults if f.data.get("dataset") == "cn-grid@1"]
    assert fault.key == "dataset_not_given"
    assert report_message("inventory.dataset_not_given", "en", fault.data) == (
        "the factor dataset cn-grid@1 was not given (--factors) and the bundle carries none; "
        "download it from https://t.test/api/v1/factors/datasets/cn-grid/1 and give it with "
        "--factors"
    )


async def test_a_withdrawn_publisher_confirmation_refuses_new_use_of_its_versions(
    app: FastAPI, client: httpx.AsyncClient, orgs: Orgs
) -> None:
    """The city's withdrawal of a publisher (``/api/v1/publishers/{id}/withdraw``) is acted on:
    new calculations refuse its versions and it may publish no more; confirming it again lifts
    both. Unconfirmed publishers are shown as such, not refused."""
    published = publish_starter_datasets(app.state.engine)
    body = {"inventory": example("cement.json")}
    assert (await client.post(URL, json=body, headers=bearer(orgs.enterprise))).status_code == 200
    with Session(app.state.engine) as session:
        grid = session.get(FactorDatasetVersion, published[0])
        assert grid is not None
        publisher_id = grid.org_id
    decide = f"/api/v1/publishers/{publisher_id}"
    r = await client.post(
        f"{decide}/withdraw", json={"reason": "licence lapsed"}, headers=bearer(orgs.admin)
    )
    assert r.status_code == 200, r.text
    r = await client.post(URL, json=body, headers=bearer(orgs.enterprise))
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "publisher_withdrawn", r.text
    with Session(app.state.engine) as session:
        publisher = session.get(Organisation, publisher_id)
        assert publisher is not None
        with pytest.raises(PermissionDeniedError) as refused:
            publish_starter(
                session, org=publisher, chain_id=CHAIN_ID, contract=CONTRACT, base_url=BASE_URL
            )
        assert refused.value.code == "publisher_withdrawn"
    r = await client.post(f"{decide}/confirm", json={}, headers=bearer(orgs.admin))
    assert r.status_code == 200, r.text
    assert (await client.post(URL, json=body, headers=bearer(orgs.enterprise))).status_code == 200
