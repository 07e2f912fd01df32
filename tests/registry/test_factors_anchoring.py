"""A published factor-dataset version is anchored as a ``factor_dataset`` record on the embedded
chain, and the real verifier checks its bundle through the registry's own ``/rpc``; the starter
datasets publish and anchor the same way."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
from eth_account import Account
from eth_account.messages import encode_defunct
from sqlmodel import Session

import verifier
from registry.app import create_app
from registry.config import load_settings
from registry.crud.orgs import create_org
from registry.factors.starter import demo_publisher_address, publish_starter, starter_documents
from registry.models.orgs import OrgRole
from tests.registry.factories import bearer
from tests.registry.factors_data import PUBLISHER_KEY, address_of, document, signed
from tests.registry.test_end_to_end import serving
from verifier.protocol.factor_dataset import verify_factor_dataset_record

WAIT_SECONDS = 120


def _anchored(client: httpx.Client, path: str) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        bundle: dict[str, Any] = client.get(path).json()
        if bundle.get("status") != "pending" and "anchor" in bundle:
            return bundle
        assert time.monotonic() < deadline, f"{path} was never anchored: {bundle}"
        time.sleep(0.1)


def test_a_version_is_anchored_and_verified_by_the_real_verifier(tmp_path: Path) -> None:
    settings = load_settings(
        data_dir=tmp_path / "data",
        base_url="https://tanji.test",
        batch_max_wait_seconds=0,
        poll_interval_seconds=0.05,
    )
    app = create_app(settings)
    with serving(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        chain = app.state.chain
        with Session(app.state.engine, expire_on_commit=False) as session:
            _, api_key = create_org(session, name="CQ data centre", role=OrgRole.PUBLISHER)
        address = address_of(PUBLISHER_KEY)
        challenge = client.get(
            "/api/v1/factors/keys/challenge", params={"address": address}, headers=bearer(api_key)
        ).json()["message"]
        proof = Account.sign_message(encode_defunct(text=challenge), private_key=PUBLISHER_KEY)
        r = client.post(
            "/api/v1/factors/keys",
            json={"address": address, "signature": "0x" + bytes(proof.signature).hex()},
            headers=bearer(api_key),
        )
        assert r.status_code == 201, r.text
        doc = document()
        r = client.post(
            "/api/v1/factors/datasets",
            json=signed(doc, chain_id=chain.chain_id, contract=chain.address),
            headers=bearer(api_key),
        )
        assert r.status_code == 201, r.text

        # The starter datasets, published by their demo publisher.
        with Session(app.state.engine, expire_on_commit=False) as session:
            starter_org, _ = create_org(
                session, name="Tanji starter data (demo publisher)", role=OrgRole.PUBLISHER
            )
            rows = publish_starter(
                session,
                org=starter_org,
                chain_id=chain.chain_id,
                contract=chain.address,
                base_url=settings.base_url,
            )
            session.commit()
            starter_ids = [row.id for row in rows]
        assert starter_ids == [f"{d['dataset']}@{d['version']}" for d in starter_documents()]
        app.state.loop.wake()

        trust = verifier.parse_trust(
            chain.trust_document(rpc_url=f"{url}/rpc", name="factor datasets test")
        )
        check = verifier.Verifier(trust=trust, timeout=30)
        bundle = _anchored(client, "/api/v1/factors/datasets/cq-test/1/bundle")
        assert bundle["leafValue"][:2] == ["factor_dataset", "cq-test@1"]
        report = check.verify(bundle)
        assert report.status is verifier.Verdict.VALID, report.to_json()
        # The record binds the document: its digest, dataset, version and publisher.
        stored = client.get("/api/v1/factors/datasets/cq-test/1").json()
        assert verify_factor_dataset_record(bundle["record"], document=stored) == address
        assert bundle["record"]["publisherName"] == "CQ data centre"

        for record_id in starter_ids:
            dataset, version = record_id.split("@")
            bundle = _anchored(client, f"/api/v1/factors/datasets/{dataset}/{version}/bundle")
            report = check.verify(bundle)
            assert report.status is verifier.Verdict.VALID, report.to_json()
            stored = client.get(f"/api/v1/factors/datasets/{dataset}/{version}").json()
            signer = verify_factor_dataset_record(bundle["record"], document=stored)
            assert signer == demo_publisher_address()
        listed = client.get("/api/v1/factors/datasets").json()
        assert {v["id"]: v["anchor_status"] for v in listed["data"]} == {
            record_id: "anchored" for record_id in ["cq-test@1", *starter_ids]
        }
