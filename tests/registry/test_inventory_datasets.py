"""``tanji verify LABEL --inventory BUNDLE`` proves each factor-dataset version before recomputing
with it (docs/PROTOCOL.md section 17.7): the inventory bundle carries each version's anchored
record bundle and document; a tampered document, a version not anchored, or one given only as a
bare document fails naming ``dataset@version``; a publisher's revoked key withdraws the versions
it signed (calculations refuse them, the impact lists the footprints, the verifier reads them
revoked on chain).

Through the real app, database and embedded chain (served by uvicorn: the verifier reads the chain
through the registry's own ``/rpc``) and the real command line.
"""

from __future__ import annotations

import copy
import io
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import Session

import verifier
from registry.app import create_app
from registry.config import load_settings
from registry.crud.api_keys import issue_api_key
from registry.crud.orgs import create_org
from registry.demo_computed import publish_demo_factors
from registry.factors.models import FactorDatasetVersion
from registry.models.orgs import OrgRole
from tests.nodes import free_port
from tests.registry.calculations_data import BASE_URL, DETAILS, example
from tests.registry.factories import bearer
from tests.registry.test_end_to_end import serving
from verifier._internal.inventory import check_inventory
from verifier.cli import main

pytestmark = pytest.mark.slow

WAIT_SECONDS = 120
GRID = "cn-grid@1"


def _cli(argv: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    return main(argv, out=out), out.getvalue()


def _wait(client: httpx.Client, path: str, key: str, ready: Any) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        body: dict[str, Any] = client.get(path, headers=bearer(key)).json()
        if ready(body):
            return body
        assert time.monotonic() < deadline, f"{path} never got ready: {body}"
        time.sleep(0.1)


def _anchored(bundle: dict[str, Any]) -> bool:
    return bundle.get("status") != "pending" and "anchor" in bundle


def _item(bundle: dict[str, Any], ref: str) -> dict[str, Any]:
    item: dict[str, Any] = next(b for b in bundle["factorDatasets"] if b["record"]["id"] == ref)
    return item


def test_dataset_versions_are_proven_from_the_inventory_bundle(tmp_path: Path) -> None:
    settings = load_settings(
        data_dir=tmp_path / "data",
        base_url=BASE_URL,
        batch_max_wait_seconds=0,
        poll_interval_seconds=0.05,
    )
    app = create_app(settings)
    with serving(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        keys: dict[str, str] = {}
        with Session(app.state.engine, expire_on_commit=False) as session:
            for name, role in [
                ("enterprise", OrgRole.ENTERPRISE),
                ("certifier", OrgRole.CERTIFICATION_BODY),
            ]:
                _, keys[name] = create_org(session, name=f"{name} org", role=role)
        publish_demo_factors(app, base_url=BASE_URL)
        inventory = example("cement.json")
        r = client.post(
            "/api/v1/calculations",
            json={"inventory": inventory, "footprint": DETAILS},
            params={"submit": "true"},
            headers=bearer(keys["enterprise"]),
        )
        assert r.status_code == 201, r.text
        footprint = r.json()["footprint"]
        r = client.post(
            "/api/v1/labels",
            json={
                "footprint_id": footprint["id"],
                "valid_from": "2026-01-01",
                "valid_until": "2029-12-31",
            },
            headers=bearer(keys["certifier"]),
        )
        assert r.status_code == 201, r.text
        label_id = r.json()["id"]
        app.state.loop.wake()
        path = f"/api/v1/footprints/{footprint['id']}/inventory/bundle"
        full = _wait(
            client,
            path,
            keys["enterprise"],
            lambda b: _anchored(b) and all(map(_anchored, b.get("factorDatasets", [None]))),
        )
        cited = [f"{d['dataset']}@{d['version']}" for d in inventory["factorDatasets"]]
        assert [b["record"]["id"] for b in full["factorDatasets"]] == cited
        assert all("document" in b for b in full["factorDatasets"])
        label = _wait(client, f"/api/v1/labels/{label_id}/bundle", keys["certifier"], _anchored)

        trust = app.state.chain.trust_document(rpc_url=f"{url}/rpc", name="datasets test")
        trust_file = tmp_path / "trust.json"
        trust_file.write_text(json.dumps(trust), "utf-8")

        def write(name: str, value: Any) -> str:
            file = tmp_path / name
            file.write_text(json.dumps(value, ensure_ascii=False), "utf-8")
            return str(file)

        base = [write("label.json", label), "--trust", str(trust_file)]

        # 1. Nothing but the inventory bundle: every version proven, then MATCH.
        code, out = _cli([*base, "--inventory", write("full.json", full)])
        assert code == 0, out
        assert "MATCH: inventory" in out, out
        assert f"the factor dataset {GRID} is signed by" in out and "and anchored" in out, out
        code, out = _cli([*base, "--inventory", str(tmp_path / "full.json"), "--lang", "zh"])
        assert code == 0 and f"因子数据集 {GRID} 由" in out, out

        # A node that does not answer: ERROR naming the first version it could not check.
        dead = verifier.Verifier(
            trust=verifier.parse_trust(trust),
            rpc_url_override=f"http://127.0.0.1:{free_port()}",
            timeout=5,
        )
        outage = check_inventory(
            json.dumps(label).encode(),
            str(tmp_path / "full.json"),
            verify=dead.verify,
            trust=dead.trust,
        )
        assert outage.status == "ERROR", outage.to_dict()
        first = outage.findings[0]
        assert first.key == "dataset_unverified" and first.data["dataset"] == GRID, first

        # 2. A factor value changed in an embedded document: INVALID, naming the version.
        tampered = copy.deepcopy(full)
        document = _item(tampered, GRID)["document"]
        factor = document["factors"][0]
        factor["value"] = factor["gases"]["CO2"] = "0.1"
        code, out = _cli([*base, "--inventory", write("tampered.json", tampered)])
        assert code == 1, out
        headline = out.split("MISMATCH: inventory", 1)[1].splitlines()[0]
        assert f"the document of the factor dataset {GRID} is not the one its publisher" in headline

        # 3. A version whose bundle is not anchored: ERROR naming it; one whose root is not the
        # anchored one: INVALID naming it.
        pending = copy.deepcopy(full)
        item = _item(pending, GRID)
        for name in ("proof", "root", "anchor"):
            item.pop(name)
        item["status"] = "pending"
        code, out = _cli([*base, "--inventory", write("pending.json", pending)])
        assert code == 2, out
        expected = (
            f"inventory {tmp_path / 'pending.json'}: the factor dataset {GRID} is not anchored"
        )
        assert f"ERROR: {expected} yet" in out, out
        forged = copy.deepcopy(full)
        _item(forged, GRID)["proof"] = ["0x" + "ab" * 32]
        code, out = _cli([*base, "--inventory", write("forged.json", forged)])
        assert code == 1, out
        assert f"the anchored record of the factor dataset {GRID} fails the" in out, out

        # 4. Without the embedded versions: bare documents alone are not anchored evidence ...
        bare = {k: v for k, v in full.items() if k != "factorDatasets"}
        docs = [
            write(f"{b['record']['id']}.doc.json", b["document"]) for b in full["factorDatasets"]
        ]
        code, out = _cli([*base, "--inventory", write("bare.json", bare), "--factors", *docs])
        assert code == 2, out
        assert f"no anchored record of the factor dataset {GRID} was given" in out, out
        # ... the versions' own bundles (from the public route) with them are; a missing one is
        # named.
        version_bundles = []
        for ref in cited:
            dataset, version = ref.split("@")
            r = client.get(f"/api/v1/factors/datasets/{dataset}/{version}/bundle")
            assert r.status_code == 200, r.text
            version_bundles.append(write(f"{ref}.bundle.json", r.json()))
        code, out = _cli(
            [
                *base,
                "--inventory",
                str(tmp_path / "bare.json"),
                "--factors",
                *version_bundles,
                *docs,
            ]
        )
        assert code == 0, out
        code, out = _cli(
            [*base, "--inventory", str(tmp_path / "bare.json"), "--factors", *version_bundles[1:]]
        )
        assert code == 2 and f"the factor dataset {GRID} was not given" in out, out

        # 5. The publisher revokes its key from before it signed: the versions are withdrawn.
        with Session(app.state.engine) as session:
            row = session.get(FactorDatasetVersion, GRID)
            assert row is not None
            signer, publisher = row.signer, row.org_id
        with Session(app.state.engine) as session:
            _, keys["publisher"] = issue_api_key(session, org_id=publisher)
            session.commit()
        r = client.post(
            f"/api/v1/suppliers/keys/{signer}/revoke",
            json={"reason": "compromised", "effective_at": "2020-01-01T00:00:00Z"},
            headers=bearer(keys["publisher"]),
        )
        assert r.status_code == 200, r.text
        r = client.post(
            "/api/v1/calculations",
            json={"inventory": inventory, "footprint": DETAILS},
            headers=bearer(keys["enterprise"]),
        )
        assert r.status_code == 422, r.text
        assert r.json()["error"]["code"] == "dataset_revoked", r.text
        r = client.get(
            "/api/v1/factors/datasets/cn-grid/1/impact", headers=bearer(keys["certifier"])
        )
        assert r.status_code == 200, r.text
        assert r.json()["revoked_at"] is not None
        assert [f["footprint_id"] for f in r.json()["data"]] == [footprint["id"]], r.text
        app.state.loop.wake()
        check = verifier.Verifier(trust=verifier.parse_trust(trust), timeout=30)
        deadline = time.monotonic() + WAIT_SECONDS
        while check.verify(_item(full, GRID)).status is verifier.Verdict.VALID:
            assert time.monotonic() < deadline, "the version's leaf was never revoked on chain"
            app.state.loop.wake()
            time.sleep(0.2)
        code, out = _cli([*base, "--inventory", str(tmp_path / "full.json")])
        assert code == 1, out
        assert f"the anchored record of the factor dataset {GRID} fails the not_revoked" in out
