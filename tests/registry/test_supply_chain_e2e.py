"""Supply chain end to end on a real `hardhat node`: suppliers sign (cell → battery pack, and a
display panel) → the laptop maker pushes → footprint with components → certify → label → anchor →
bundle with every hop nested → `tanji verify` VALID with a result per hop → redacted bundle still
VALID and hides what it hides → a tampered hop, then a revoked hop, read INVALID.
"""

from __future__ import annotations

import asyncio
import copy
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import Session
from web3 import Web3

from anchoring import ledger
from registry.app import create_app
from registry.chain import deploy_contract, load_account
from registry.config import load_settings
from registry.crud.orgs import create_org
from registry.models.attestations import Attestation
from registry.models.orgs import OrgRole
from tests.nodes import HARDHAT_KEY_0
from tests.registry.factories import Orgs, bearer, footprint, make_orgs
from tests.registry.supply_chain_data import (
    digest_of,
    item,
    message,
    register_key,
    supplier_account,
)
from tests.verifier.test_oz_interop import all_bundles, oz
from verifier._internal.verifier import verify_offline
from verifier.cli import main as verify_main
from verifier.protocol.leaf import field_commitment, field_salt

WAIT_SECONDS = 120
REASON_DATA_ERROR = 3
CELL_KEY, PACK_KEY, PANEL_KEY = (supplier_account(n) for n in ("e2e-cell", "e2e-pack", "e2e-panel"))


@dataclass
class Deployment:
    client: httpx.AsyncClient
    app: FastAPI
    orgs: Orgs
    rpc_url: str


@pytest.fixture
async def deployment(tmp_path: Path, hardhat_url: str) -> AsyncIterator[Deployment]:
    base: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "rpc_url": hardhat_url,
        "signer_key": HARDHAT_KEY_0,
        "batch_max_wait_seconds": 0,
        "poll_interval_seconds": 0.05,
        "base_url": "https://tanji.test",
    }
    first = load_settings(**base)
    address = deploy_contract(
        first, Web3(Web3.HTTPProvider(hardhat_url)), load_account(first)
    ).address
    app = create_app(load_settings(**base, anchor_address=address))
    async with app.router.lifespan_context(app):
        orgs = make_orgs(app.state.engine)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tanji.test") as client:
            yield Deployment(client, app, orgs, rpc_url=hardhat_url)


async def until(check: Any) -> Any:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        value = await check()
        if value:
            return value
        assert time.monotonic() < deadline, "the anchoring loop did not get there in time"
        await asyncio.sleep(0.1)


def verify(
    d: Deployment, tmp_path: Path, bundle: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> tuple[int, dict[str, dict[str, Any]]]:
    """Run `tanji verify --json` on the bundle; the exit code and the checks by qualified name."""
    capsys.readouterr()
    bundle_file, trust_file = tmp_path / "bundle.json", tmp_path / "trust.json"
    bundle_file.write_text(json.dumps(bundle), "utf-8")
    trust = d.app.state.chain.trust_document(rpc_url=d.rpc_url, name="test")
    trust_file.write_text(json.dumps(trust), "utf-8")
    code = verify_main([str(bundle_file), "--trust", str(trust_file), "--json"])
    report = json.loads(capsys.readouterr().out)
    return code, {check["name"]: check for check in report["checks"]}


async def supplier_org(d: Deployment, name: str) -> tuple[str, str]:
    with Session(d.app.state.engine, expire_on_commit=False) as session:
        org, key = create_org(session, name=name, role=OrgRole.ENTERPRISE)
    return org.id, key


@pytest.mark.hardhat
async def test_supply_chain_label_verifies_hop_by_hop(
    deployment: Deployment, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = deployment
    c, orgs = d.client, d.orgs
    # 1. Three suppliers register their keys.
    for name, key in (
        ("重庆电芯有限公司", CELL_KEY),
        ("Chongqing Pack Works", PACK_KEY),
        ("Liangjiang Display", PANEL_KEY),
    ):
        _, api_key = await supplier_org(d, name)
        assert (await register_key(c, api_key, key)).status_code == 201
    eip712 = (await c.get("/api/v1/attestations/eip712")).json()

    # 2. They sign: the cell, the pack citing the cell, the display panel.
    cell = message(CELL_KEY, component="CQ-CELL-21700-A", value="0.482")
    pack = message(
        PACK_KEY, component="CQ-PACK-56WH", value="31.07", upstream=[digest_of(eip712, cell)]
    )
    panel = message(PANEL_KEY, component="LJ-PANEL-14", value="48.5")
    cell_id, pack_id, panel_id = (digest_of(eip712, m) for m in (cell, pack, panel))
    ids = (pack_id, cell_id, panel_id)  # in the order the page lists them

    # 3. The laptop maker pushes them in one request.
    r = await c.post(
        "/api/v1/attestations/bulk",
        json={
            "items": [
                item(CELL_KEY, eip712, cell),
                item(PACK_KEY, eip712, pack),
                item(PANEL_KEY, eip712, panel),
            ]
        },
        headers=bearer(orgs.enterprise),
    )
    assert r.json()["created"] == 3, r.text

    # 4. Its footprint lists the components; the certification body issues the label.
    components = [
        {"component_id": "CQ-PACK-56WH", "quantity": 1, "unit": "unit", "attestation_id": pack_id},
        {"component_id": "LJ-PANEL-14", "quantity": 1, "unit": "unit", "attestation_id": panel_id},
    ]
    r = await c.post(
        "/api/v1/footprints",
        json=footprint(components=components),
        headers=bearer(orgs.enterprise),
    )
    assert r.status_code == 201, r.text
    r = await c.post(
        "/api/v1/labels",
        json={
            "footprint_id": r.json()["id"],
            "valid_from": "2026-01-01",
            "valid_until": "2028-12-31",
        },
        headers=bearer(orgs.certifier),
    )
    assert r.status_code == 201, r.text
    label_id = r.json()["id"]
    assert r.json()["record"]["components"] == components

    # 5. Everything is anchored (the attestations went through the same batches).
    async def anchored() -> bool:
        label = (await c.get(f"/api/v1/labels/{label_id}")).json()
        hops = [
            (await c.get(f"/api/v1/attestations/{i}", headers=bearer(orgs.enterprise))).json()
            for i in (cell_id, pack_id, panel_id)
        ]
        return label["anchor_status"] == "anchored" and all(
            h["anchor_status"] == "anchored" for h in hops
        )

    await until(anchored)
    bundle = (await c.get(f"/api/v1/labels/{label_id}/bundle")).json()
    assert [b["record"]["id"] for b in bundle["attestations"]] == [pack_id, panel_id]
    assert bundle["attestations"][0]["attestations"][0]["record"]["id"] == cell_id

    # 6. `tanji verify`: VALID, with signature, anchoring and revocation results per hop.
    code, checks = verify(d, tmp_path, bundle, capsys)
    assert code == 0, checks
    for hop, supplier in (
        ("attestations[0]", PACK_KEY),
        ("attestations[0].attestations[0]", CELL_KEY),
        ("attestations[1]", PANEL_KEY),
    ):
        signature = checks[f"{hop}.attestation_signature"]
        assert signature["status"] == "VALID" and signature["data"]["supplier"] == supplier.address
        assert signature["data"]["linked"] is True
        for name in ("integrity", "inclusion", "anchored", "not_revoked", "issuer"):
            assert checks[f"{hop}.{name}"]["status"] == "VALID", (hop, name)
    assert "attestation_signature" not in checks  # the label itself is not an attestation

    # The consumer page shows the supply-chain tree: the cell nested under the pack.
    page = (await c.get(f"/l/{label_id}?lang=en")).text
    tree = page[page.index('id="supply-chain"') :]
    assert "Supply chain" in page
    pack_at, cell_at, panel_at = (tree.index(f'data-attestation="{i}"') for i in ids)
    assert pack_at < cell_at < panel_at
    assert tree[pack_at:panel_at].count("<ul>") == 1  # the cell sits in the pack's own list
    # Each hop reads as a sentence for people (registry/data/messages.json supply_*).
    pack = tree[pack_at:cell_at]
    assert "Component: CQ-PACK-56WH from Chongqing Pack Works, 31.07 kg CO₂e per unit" in pack
    assert "signed by the supplier, verified on chain · 1 unit per product" in pack
    assert "供应链" in (await c.get(f"/l/{label_id}?lang=zh")).text

    # 7. Selective disclosure: hide supplier names and the component list.
    hidden = (await c.get(f"/api/v1/labels/{label_id}/bundle?hide=supplierName,components")).json()
    text = json.dumps(hidden, ensure_ascii=False)
    assert "重庆电芯有限公司" not in text and "Chongqing Pack Works" not in text
    assert "components" not in hidden["record"] and "salt" not in hidden
    r = await c.get(f"/api/v1/labels/{label_id}/bundle?hide=suppliername")  # misspelt
    assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_field"
    r = await c.get(f"/api/v1/labels/{label_id}/bundle?hide=id")
    assert r.status_code == 422 and r.json()["error"]["code"] == "cannot_hide"
    code, checks = verify(d, tmp_path, hidden, capsys)
    assert code == 0, checks
    assert checks["attestations[0].attestation_signature"]["data"]["linked"] is None
    # Every hop as the registry serves it, in full and redacted, verifies with the npm package's
    # StandardMerkleTree.verify too (any OZ-based tool, on or off chain, accepts our proofs).
    served = [*all_bundles(bundle), *all_bundles(hidden)]
    assert len(served) == 8  # the label and its three hops, twice
    assert oz(served, [])["verified"] == [True] * len(served)
    cell_hop = hidden["attestations"][0]["attestations"][0]
    commitment = cell_hop["disclosure"]["hidden"]["supplierName"]
    # Trying candidate names against the bundle finds nothing: the field salt is not in it.
    candidates = ["重庆电芯有限公司", "Chongqing Pack Works", "Liangjiang Motors", ""]
    disclosed_salts = [bytes.fromhex(s[2:]) for s in cell_hop["disclosure"]["salts"].values()]
    for guess in candidates:
        for salt in [*disclosed_salts, bytes(32)]:
            assert "0x" + field_commitment("supplierName", guess, salt).hex() != commitment
    # (With the registry's own master salt the true name does match: the test can fail.)
    with Session(d.app.state.engine) as session:
        row = session.get(Attestation, cell_id)
        assert row is not None
        true_salt = field_salt(bytes.fromhex(row.master_salt[2:]), "supplierName")
    truth = field_commitment("supplierName", "重庆电芯有限公司", true_salt)
    assert "0x" + truth.hex() == commitment
    # Changing a disclosed field, or a hidden field's commitment, makes it INVALID.
    changed = copy.deepcopy(hidden)
    changed["attestations"][0]["attestations"][0]["record"]["message"]["kgCo2ePerUnit"] = "0.1"
    assert verify_offline(changed).status.value == "INVALID"
    recommitted = copy.deepcopy(hidden)
    recommitted["attestations"][0]["attestations"][0]["disclosure"]["hidden"]["supplierName"] = (
        "0x" + "00" * 32
    )
    assert verify_offline(recommitted).status.value == "INVALID"
    relabelled = copy.deepcopy(hidden)
    relabelled["disclosure"]["hidden"]["components"] = "0x" + "11" * 32
    assert verify_offline(relabelled).status.value == "INVALID"

    # 8. A tampered hop (the pack's number) reads INVALID on that hop.
    tampered = copy.deepcopy(bundle)
    tampered["attestations"][0]["record"]["message"]["kgCo2ePerUnit"] = "3.107"
    code, checks = verify(d, tmp_path, tampered, capsys)
    assert code == 1
    assert checks["attestations[0].integrity"]["status"] == "INVALID"
    assert checks["attestations[0].attestation_signature"]["status"] == "INVALID"
    assert checks["attestations[1].attestation_signature"]["status"] == "VALID"

    # 9. The laptop maker only pushed the cell attestation: it may not withdraw it. The
    #    certification body that labelled the laptop resting on it (through the pack) may; once
    #    the revocation is on chain, the very same label bundle reads INVALID at that hop.
    r = await c.post(
        f"/api/v1/attestations/{cell_id}/revoke",
        json={"reason_code": REASON_DATA_ERROR},
        headers=bearer(orgs.enterprise),
    )
    assert (r.status_code, r.json()["error"]["code"]) == (403, "not_signer")
    r = await c.post(
        f"/api/v1/attestations/{cell_id}/revoke",
        json={"reason_code": REASON_DATA_ERROR},
        headers=bearer(orgs.certifier),
    )
    assert r.status_code == 200 and r.json()["status"] == "revoked", r.text

    async def revoked_on_chain() -> bool:
        with Session(d.app.state.engine) as session:
            row = ledger.revocation_of(session, record_type="attestation", record_id=cell_id)
            return row is not None and row.status == ledger.REVOCATION_ANCHORED

    await until(revoked_on_chain)
    code, checks = verify(d, tmp_path, bundle, capsys)
    assert code == 1
    withdrawn = checks["attestations[0].attestations[0].not_revoked"]
    assert withdrawn["status"] == "INVALID" and withdrawn["code"] == 501
    assert withdrawn["data"]["reasonCode"] == REASON_DATA_ERROR
    assert checks["attestations[1].not_revoked"]["status"] == "VALID"
    # New footprints can no longer rest on it.
    r = await c.post(
        "/api/v1/attestations/bulk",
        json={"items": [item(PACK_KEY, eip712, message(PACK_KEY, upstream=[cell_id]))]},
        headers=bearer(orgs.enterprise),
    )
    assert r.json()["results"][0]["error"]["code"] == "upstream_revoked"
