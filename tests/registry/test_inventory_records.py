"""A computed footprint's inventory is anchored as an ``inventory`` record (one field per line);
its bundle route shows it to the issuing enterprise, certification bodies and admins, with
selective disclosure, and the real CLI checks a partly disclosed inventory against the footprint.

Through the real app, database and embedded chain (served by uvicorn: the verifier reads the chain
through the registry's own ``/rpc``).
"""

from __future__ import annotations

import io
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import Session, select

import verifier
from registry.app import create_app
from registry.config import load_settings
from registry.crud.orgs import create_org
from registry.demo_computed import publish_demo_factors
from registry.factors.starter import starter_documents
from registry.models.orgs import OrgRole
from registry.records.inventories import InventoryRecord
from tests.registry.calculations_data import BASE_URL, DETAILS, example
from tests.registry.factories import bearer
from tests.registry.test_end_to_end import serving
from verifier.cli import main
from verifier.protocol.accounting import document_digest, inventory_document, line_field

pytestmark = pytest.mark.slow

WAIT_SECONDS = 120


def _anchored(client: httpx.Client, path: str, key: str) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        bundle: dict[str, Any] = client.get(path, headers=bearer(key)).json()
        # An inventory bundle carries its factor-dataset versions' bundles: those anchored too.
        if all(
            b.get("status") != "pending" and "anchor" in b
            for b in [bundle, *bundle.get("factorDatasets", [])]
        ):
            return bundle
        assert time.monotonic() < deadline, f"{path} was never anchored: {bundle}"
        time.sleep(0.1)


def _cli(argv: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    return main(argv, out=out), out.getvalue()


def test_an_inventory_is_anchored_shown_to_its_readers_and_checked(tmp_path: Path) -> None:
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
                ("other", OrgRole.ENTERPRISE),
                ("certifier", OrgRole.CERTIFICATION_BODY),
                ("admin", OrgRole.ADMIN),
                ("partner", OrgRole.PARTNER_CERTIFIER),
                ("publisher", OrgRole.PUBLISHER),
            ]:
                _, keys[name] = create_org(session, name=f"{name} org", role=role)
        # Signed for this deployment's contract: the verifier checks the publisher's domain.
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
        calculation = footprint["data"]["calculation"]
        inventory_id = calculation["inventory_record"]
        assert calculation["inventory_digest"] == document_digest(inventory)
        with Session(app.state.engine) as session:
            row = session.exec(
                select(InventoryRecord).where(InventoryRecord.footprint_id == footprint["id"])
            ).one()
            assert row.id == inventory_id and row.digest == calculation["inventory_digest"]
            assert inventory_document(row.record) == inventory
        app.state.loop.wake()

        path = f"/api/v1/footprints/{footprint['id']}/inventory/bundle"
        full = _anchored(client, path, keys["enterprise"])
        assert full["leafValue"][:2] == ["inventory", inventory_id]
        line_ids = full["record"]["line_ids"]
        assert len(line_ids) == len(inventory["lines"]) >= 2

        # Readers: the enterprise, certification bodies, admins; nobody else.
        for reader in ("certifier", "admin"):
            assert client.get(path, headers=bearer(keys[reader])).status_code == 200
        for outsider in ("other", "partner", "publisher"):
            r = client.get(path, headers=bearer(keys[outsider]))
            assert r.status_code == 403, (outsider, r.text)
        assert client.get(path).status_code == 401
        r = client.get(path, params={"disclose": "nope"}, headers=bearer(keys["certifier"]))
        assert r.status_code == 422 and r.json()["error"]["field"] == "query.disclose", r.text

        shown = line_ids[:1]
        partial = client.get(
            path, params={"disclose": ",".join(shown)}, headers=bearer(keys["certifier"])
        ).json()
        assert set(partial["disclosure"]["hidden"]) == {line_field(i) for i in line_ids[1:]}
        assert line_field(shown[0]) in partial["record"]

        trust = app.state.chain.trust_document(rpc_url=f"{url}/rpc", name="inventory test")
        trust_file = tmp_path / "trust.json"
        trust_file.write_text(json.dumps(trust), "utf-8")
        check = verifier.Verifier(trust=verifier.parse_trust(trust), timeout=30)
        for bundle in (full, partial):
            report = check.verify(bundle)
            assert report.status is verifier.Verdict.VALID, report.to_json()

        label_id = _label(client, keys, footprint)
        app.state.loop.wake()
        files: dict[str, Path] = {}
        for name, bundle in [
            ("label", _anchored(client, f"/api/v1/labels/{label_id}/bundle", keys["certifier"])),
            ("full", full),
            ("partial", partial),
        ]:
            files[name] = tmp_path / f"{name}.json"
            files[name].write_text(json.dumps(bundle, ensure_ascii=False), "utf-8")
        factor_args: list[str] = []
        for document in starter_documents():
            if any(
                ref["dataset"] == document["dataset"] and ref["version"] == document["version"]
                for ref in inventory["factorDatasets"]
            ):
                file = tmp_path / f"{document['dataset']}@{document['version']}.json"
                file.write_text(json.dumps(document, ensure_ascii=False), "utf-8")
                factor_args += ["--factors", str(file)]
        base = [str(files["label"]), "--trust", str(trust_file), "--rpc-url", f"{url}/rpc"]
        code, out = _cli([*base, "--inventory", str(files["full"]), *factor_args])
        assert code == 0, out
        assert f"MATCH: inventory {files['full']}" in out, out
        code, out = _cli([*base, "--inventory", str(files["partial"]), *factor_args])
        assert code == 0, out
        assert f"the 1 disclosed lines ({shown[0]}) equal the record's line values" in out, out
        # The bundle carries the versions it cites: no --factors needed; without them, a version
        # not given is named.
        code, out = _cli([*base, "--inventory", str(files["partial"])])
        assert code == 0, out
        stripped = tmp_path / "stripped.json"
        stripped.write_text(
            json.dumps({k: v for k, v in partial.items() if k != "factorDatasets"}), "utf-8"
        )
        code, out = _cli([*base, "--inventory", str(stripped)])
        assert code == 2 and "ERROR" in out and "was not given" in out, out


def _label(client: httpx.Client, keys: dict[str, str], footprint: dict[str, Any]) -> str:
    """A label of the footprint, issued by the certification body."""
    body = {
        "footprint_id": footprint["id"],
        "valid_from": "2026-01-01",
        "valid_until": "2029-12-31",
    }
    r = client.post("/api/v1/labels", json=body, headers=bearer(keys["certifier"]))
    assert r.status_code == 201, r.text
    label_id: str = r.json()["id"]
    return label_id
