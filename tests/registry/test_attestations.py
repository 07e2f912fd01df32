"""Supplier attestations over the API on the real embedded chain: the EIP-712 description,
single and bulk push with per-item codes, footprint components, key revocation, anchoring.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from eth_account.messages import encode_typed_data
from sqlmodel import Session, select

from anchoring import ledger
from registry.crud.attestations import SupplyChainError, check_tree
from registry.models.attestations import MAX_CHAIN_DEPTH, Attestation
from tests.nodes import require_tool
from tests.registry.factories import Orgs, bearer, footprint, make_orgs
from tests.registry.supply_chain_data import (
    ChainApp,
    chain_app,
    digest_of,
    item,
    message,
    register_key,
    sign,
    supplier_account,
)
from verifier._internal.bundle import MAX_DEPTH as MAX_BUNDLE_DEPTH
from verifier._internal.bundle import parse_bundle
from verifier.protocol.attestation import (
    ATTESTATION,
    attestation_digest,
    attestation_record,
    attestation_typed_data,
    validate_attestation,
    verify_attestation_record,
)
from verifier.protocol.hashing import keccak
from verifier.protocol.merkle import leaf_hash

ROOT = Path(__file__).resolve().parents[2]
CELLS = supplier_account("att-cells")
PACKS = supplier_account("att-packs")
STRANGER = supplier_account("att-stranger")
WAIT_SECONDS = 120


@pytest.fixture(params=["sqlite", "postgresql"])
async def env(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[ChainApp, Orgs, dict[str, Any]]]:
    database_url = None
    if request.param == "postgresql":
        database_url = request.getfixturevalue("registry_database_url")
    async for running in chain_app(tmp_path, database_url=database_url):
        orgs = make_orgs(running.app.state.engine)
        for account in (CELLS, PACKS):
            r = await register_key(running.client, orgs.other_enterprise, account)
            assert r.status_code == 201, r.text
        eip712 = (await running.client.get("/api/v1/attestations/eip712")).json()
        yield running, orgs, eip712


def stored(running: ChainApp) -> list[Attestation]:
    with Session(running.app.state.engine) as session:
        return list(session.exec(select(Attestation)).all())


async def test_eip712_description_names_this_deployment(
    env: tuple[ChainApp, Orgs, dict[str, Any]],
) -> None:
    running, _, eip712 = env
    chain = running.app.state.chain
    assert eip712["domain"] == {
        "name": "Tanji",
        "version": "1",
        "chainId": chain.chain_id,
        "verifyingContract": chain.address,
    }
    assert eip712["primaryType"] == "Attestation"
    assert [m["name"] for m in eip712["types"]["Attestation"]][:2] == ["supplier", "componentId"]
    assert "EIP712Domain" not in eip712["types"]  # ethers derives it; wallets get `wallet`
    assert "EIP712Domain" in eip712["wallet"]["types"]


async def test_signed_with_eth_account_and_with_ethers_both_accepted(
    env: tuple[ChainApp, Orgs, dict[str, Any]],
) -> None:
    require_tool("node")
    running, orgs, eip712 = env
    c = running.client
    by_python = message(CELLS, component="CQ-CELL-A")
    r = await c.post(
        "/api/v1/attestations", json=item(CELLS, eip712, by_python), headers=bearer(orgs.enterprise)
    )
    assert r.status_code == 201, r.text
    assert r.json()["id"] == digest_of(eip712, by_python)
    assert r.json()["supplier_name"] == "Liangjiang Motors"  # the key's organisation
    assert r.json()["anchor_status"] in ("pending", "batched", "anchored")
    # ethers v6 in Node signs the document the registry described, as a wallet would.
    by_node = message(CELLS, component="CQ-CELL-B")
    document = {**eip712, "message": by_node}
    out = subprocess.run(
        ["node", str(ROOT / "scripts" / "sign-eip712.js")],
        input=json.dumps(document),
        capture_output=True,
        text=True,
        env={**os.environ, "TANJI_SIGNER_KEY": "0x" + bytes(CELLS.key).hex()},
        cwd=ROOT,
        timeout=60,
        check=True,
    )
    signed = json.loads(out.stdout)
    r = await c.post(
        "/api/v1/attestations",
        json={"message": by_node, "signature": signed["signature"], "domain": eip712["domain"]},
        headers=bearer(orgs.enterprise),
    )
    assert r.status_code == 201, r.text
    assert r.json()["id"] == signed["digest"]
    # Pushing the same signed statement again is idempotent.
    r = await c.post(
        "/api/v1/attestations",
        json={"message": by_node, "signature": signed["signature"]},
        headers=bearer(orgs.enterprise),
    )
    assert r.status_code == 200 and r.json()["id"] == signed["digest"]
    assert len(stored(running)) == 2


async def test_single_push_errors_carry_a_code_and_field(
    env: tuple[ChainApp, Orgs, dict[str, Any]],
) -> None:
    running, orgs, eip712 = env
    c = running.client
    msg = message(CELLS)
    other = {**msg, "kgCo2ePerUnit": "0.5"}
    r = await c.post(
        "/api/v1/attestations",
        json={"message": other, "signature": sign(CELLS, eip712, msg)},
        headers=bearer(orgs.enterprise),
    )
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "signer_mismatch"
    assert r.json()["error"]["field"] == "signature"
    r = await c.post(
        "/api/v1/attestations", json=item(CELLS, eip712, msg), headers=bearer(orgs.certifier)
    )
    assert r.status_code == 403
    assert stored(running) == []


async def test_bulk_push_answers_per_item(env: tuple[ChainApp, Orgs, dict[str, Any]]) -> None:
    running, orgs, eip712 = env
    c = running.client
    retired = supplier_account("att-retired")
    assert (await register_key(c, orgs.other_enterprise, retired)).status_code == 201
    r = await c.post(
        f"/api/v1/suppliers/keys/{retired.address}/revoke",
        json={"reason": "retired"},
        headers=bearer(orgs.other_enterprise),
    )
    assert r.status_code == 200
    # Stored before: a cell attestation per "unit" (for the unit rule) and a used nonce.
    first = message(CELLS, component="CQ-CELL-21700-A", unit="unit")
    r = await c.post(
        "/api/v1/attestations", json=item(CELLS, eip712, first), headers=bearer(orgs.enterprise)
    )
    assert r.status_code == 201
    cell = message(CELLS, component="CQ-CELL-X")
    pack = message(
        PACKS, component="CQ-PACK-56WH", value="31.07", upstream=[digest_of(eip712, cell)]
    )
    good = message(CELLS, component="CQ-CELL-Y")
    tampered = item(CELLS, eip712, message(CELLS, component="CQ-CELL-Z"))
    tampered["message"] = {**tampered["message"], "kgCo2ePerUnit": "0.1"}
    by_other_key: dict[str, Any] = {"message": message(CELLS, component="CQ-W"), "signature": ""}
    by_other_key["signature"] = sign(PACKS, eip712, by_other_key["message"])
    stranger = message(STRANGER, component="CQ-S")
    by_retired = message(retired, component="CQ-R")
    expired = message(CELLS, component="CQ-E", expiry=int(time.time()) - 10)
    replay = message(CELLS, component="CQ-CELL-Q", nonce=first["nonce"])
    wrong_unit = message(CELLS, component="CQ-CELL-21700-A", unit="kg")
    dangling = message(PACKS, component="CQ-PACK-D", upstream=["0x" + "ab" * 32])
    odd_unit = message(CELLS, component="CQ-O", unit="furlong")
    wrong_domain = {
        **item(CELLS, eip712, message(CELLS, component="CQ-D")),
        "domain": {**eip712["domain"], "chainId": 1},
    }
    items = [
        item(CELLS, eip712, cell),  # 0 created
        item(PACKS, eip712, pack),  # 1 created: cites 0, from the same request
        item(CELLS, eip712, good),  # 2 created
        item(CELLS, eip712, good),  # 3 duplicate of 2
        tampered,  # 4
        by_other_key,  # 5
        item(STRANGER, eip712, stranger),  # 6
        item(retired, eip712, by_retired),  # 7
        item(CELLS, eip712, expired),  # 8
        item(CELLS, eip712, replay),  # 9
        item(CELLS, eip712, wrong_unit),  # 10
        item(PACKS, eip712, dangling),  # 11
        item(CELLS, eip712, odd_unit),  # 12
        wrong_domain,  # 13
        {"message": {**cell, "supplier": "0x12"}, "signature": "0x00"},  # 14
        {"signature": "0x00"},  # 15
        item(CELLS, eip712, first),  # 16 duplicate of the stored one
    ]
    r = await c.post(
        "/api/v1/attestations/bulk", json={"items": items}, headers=bearer(orgs.enterprise)
    )
    assert r.status_code == 200, r.text
    body = r.json()
    got = [
        (x["index"], x["status"], (x["error"] or {}).get("code"), (x["error"] or {}).get("field"))
        for x in body["results"]
    ]
    assert got == [
        (0, "created", None, None),
        (1, "created", None, None),
        (2, "created", None, None),
        (3, "duplicate", None, None),
        (4, "error", "signer_mismatch", "signature"),
        (5, "error", "signer_mismatch", "signature"),
        (6, "error", "unknown_key", "message.supplier"),
        (7, "error", "revoked_key", "message.supplier"),
        (8, "error", "expired", "message.expiry"),
        (9, "error", "replayed_nonce", "message.nonce"),
        (10, "error", "unit_mismatch", "message.declaredUnit"),
        (11, "error", "unknown_upstream", "message.upstream[0]"),
        (12, "error", "unknown_unit", "message.declaredUnit"),
        (13, "error", "wrong_domain", "domain"),
        (14, "error", "bad_address", "message.supplier"),
        (15, "error", "missing_field", "message"),
        (16, "duplicate", None, None),
    ]
    assert (body["created"], body["duplicates"], body["errors"]) == (3, 2, 12)
    ids = {a.id for a in stored(running)}
    assert ids == {digest_of(eip712, m) for m in (first, cell, pack, good)}
    # The valid ones went into the anchoring ledger in the same transaction, and get anchored.
    with Session(running.app.state.engine) as session:
        for attestation_id in ids:
            assert ledger.record_status(
                session, record_type="attestation", record_id=attestation_id
            )
    running.app.state.loop.wake()
    pack_id = digest_of(eip712, pack)
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        got_pack = (
            await c.get(f"/api/v1/attestations/{pack_id}", headers=bearer(orgs.enterprise))
        ).json()
        if got_pack["anchor_status"] == "anchored":
            break
        assert time.monotonic() < deadline, got_pack
        await asyncio.sleep(0.05)
    assert got_pack["depth"] == 2 and got_pack["upstream"] == [digest_of(eip712, cell)]
    # The stored record is exactly the verifier's record of the signed statement.
    record = dict(got_pack["record"])
    assert verify_attestation_record(record) == PACKS.address
    typed = attestation_typed_data(
        pack, chain_id=eip712["domain"]["chainId"], contract=eip712["domain"]["verifyingContract"]
    )
    assert record == attestation_record(
        typed, items[1]["signature"], supplier_name="Liangjiang Motors"
    )
    # Readers: the pusher, the supplier and certification bodies; not a partner certifier.
    r = await c.get(f"/api/v1/attestations/{pack_id}", headers=bearer(orgs.certifier))
    assert r.status_code == 200
    r = await c.get(f"/api/v1/attestations/{pack_id}", headers=bearer(orgs.partner))
    assert r.status_code == 403


async def test_revoking_a_key_withdraws_what_it_signed_after_the_effective_time(
    env: tuple[ChainApp, Orgs, dict[str, Any]],
) -> None:
    running, orgs, eip712 = env
    c = running.client
    msg = message(PACKS, component="CQ-PACK-1")
    r = await c.post(
        "/api/v1/attestations", json=item(PACKS, eip712, msg), headers=bearer(orgs.enterprise)
    )
    assert r.status_code == 201
    # Compromised since before that attestation arrived.
    r = await c.post(
        f"/api/v1/suppliers/keys/{PACKS.address}/revoke",
        json={"reason": "compromised", "effective_at": "2026-01-01T00:00:00Z"},
        headers=bearer(orgs.other_enterprise),
    )
    assert r.status_code == 200, r.text
    got = (
        await c.get(
            f"/api/v1/attestations/{digest_of(eip712, msg)}", headers=bearer(orgs.enterprise)
        )
    ).json()
    assert got["status"] == "revoked"
    later = message(PACKS, component="CQ-PACK-2")
    r = await c.post(
        "/api/v1/attestations", json=item(PACKS, eip712, later), headers=bearer(orgs.enterprise)
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "revoked_key"
    # A footprint cannot rest on the withdrawn attestation.
    r = await c.post(
        "/api/v1/footprints",
        json=footprint(
            components=[
                {
                    "component_id": "CQ-PACK-1",
                    "quantity": 1,
                    "unit": "unit",
                    "attestation_id": digest_of(eip712, msg),
                }
            ]
        ),
        headers=bearer(orgs.enterprise),
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "attestation_revoked"


async def test_footprint_components_are_checked(
    env: tuple[ChainApp, Orgs, dict[str, Any]],
) -> None:
    running, orgs, eip712 = env
    c = running.client
    msg = message(CELLS, component="CQ-CELL-21700-A", unit="unit")
    r = await c.post(
        "/api/v1/attestations", json=item(CELLS, eip712, msg), headers=bearer(orgs.enterprise)
    )
    assert r.status_code == 201
    att_id = digest_of(eip712, msg)
    good = {
        "component_id": "CQ-CELL-21700-A",
        "quantity": 48,
        "unit": "unit",
        "attestation_id": att_id,
    }
    for component, code, field in (
        ({**good, "attestation_id": "0x" + "cd" * 32}, "unknown_attestation", "attestation_id"),
        ({**good, "unit": "kg"}, "unit_mismatch", "unit"),
        ({**good, "component_id": "CQ-OTHER"}, "component_mismatch", "component_id"),
    ):
        r = await c.post(
            "/api/v1/footprints",
            json=footprint(components=[good, component]),
            headers=bearer(orgs.enterprise),
        )
        assert r.status_code == 422, r.text
        assert r.json()["error"]["code"] == code
        assert r.json()["error"]["field"] == f"components[1].{field}"
    r = await c.post(
        "/api/v1/footprints/bulk",
        json={"items": [footprint(components=[{**good, "unit": "kg"}])]},
        headers=bearer(orgs.enterprise),
    )
    assert r.json()["results"][0]["error"]["code"] == "unit_mismatch"
    r = await c.post(
        "/api/v1/footprints", json=footprint(components=[good]), headers=bearer(orgs.enterprise)
    )
    assert r.status_code == 201, r.text
    assert r.json()["data"]["components"] == [good]
    # Without components a footprint keeps the fields it always had.
    r = await c.post(
        "/api/v1/footprints", json=footprint(notes="plain"), headers=bearer(orgs.enterprise)
    )
    assert "components" not in r.json()["data"]


async def test_supply_chains_deeper_than_the_limit_are_refused(
    env: tuple[ChainApp, Orgs, dict[str, Any]],
) -> None:
    running, orgs, eip712 = env
    chain: list[dict[str, Any]] = []
    upstream: list[str] = []
    for hop in range(MAX_CHAIN_DEPTH + 1):
        msg = message(CELLS, component=f"CQ-HOP-{hop}", upstream=upstream)
        chain.append(item(CELLS, eip712, msg))
        upstream = [digest_of(eip712, msg)]
    r = await running.client.post(
        "/api/v1/attestations/bulk", json={"items": chain}, headers=bearer(orgs.enterprise)
    )
    results = r.json()["results"]
    assert [x["status"] for x in results[:MAX_CHAIN_DEPTH]] == ["created"] * MAX_CHAIN_DEPTH
    assert results[MAX_CHAIN_DEPTH]["error"]["code"] == "too_deep"
    # A label on the deepest accepted chain still has a bundle the verifier can parse.
    deepest = chain[MAX_CHAIN_DEPTH - 1]["message"]
    component = {
        "component_id": deepest["componentId"],
        "quantity": 2,
        "unit": "unit",
        "attestation_id": digest_of(eip712, deepest),
    }
    r = await running.client.post(
        "/api/v1/footprints",
        json=footprint(components=[component]),
        headers=bearer(orgs.enterprise),
    )
    assert r.status_code == 201, r.text
    r = await running.client.post(
        "/api/v1/labels",
        json={
            "footprint_id": r.json()["id"],
            "valid_from": "2026-01-01",
            "valid_until": "2028-12-31",
        },
        headers=bearer(orgs.certifier),
    )
    assert r.status_code == 201, r.text
    bundle = (await running.client.get(f"/api/v1/labels/{r.json()['id']}/bundle")).json()
    parsed = parse_bundle(bundle)
    depth = 1
    while parsed.attestations:
        (parsed,) = parsed.attestations
        depth += 1
    assert depth == MAX_BUNDLE_DEPTH


def test_walk_refuses_cycles_and_excessive_depth() -> None:
    graph = {"a": ["b"], "b": ["c"], "c": ["a"], "d": []}
    with pytest.raises(SupplyChainError) as cycle:
        check_tree(["a"], lambda n: graph.get(n, []), max_depth=8)
    assert cycle.value.code == "cycle" and cycle.value.details[0]["path"] == ["a", "b", "c", "a"]
    line = {str(i): [str(i + 1)] for i in range(10)}
    with pytest.raises(SupplyChainError) as deep:
        check_tree(["0"], lambda n: line.get(n, []), max_depth=8)
    assert deep.value.code == "too_deep"
    check_tree(["0"], lambda n: line.get(n, []) if int(n) < 7 else [], max_depth=8)
    check_tree(["d", "d"], lambda n: graph.get(n, []), max_depth=1)


def test_intake_digest_equals_the_verifier_and_eth_account_digests() -> None:
    """Intake hashes a validated message with the verifier's one encoder, equal to eth-account."""
    contract = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
    for i in range(200):
        msg = message(
            CELLS,
            component=f"電芯-{i}-ü" * (1 + i % 3),
            value=["0.482", "-1.5", "1000", "0.000000000001"][i % 4],
            upstream=["0x" + os.urandom(32).hex() for _ in range(i % 5)],
            expiry=1 + i * 7919,
        )
        normal = validate_attestation(msg)
        for chain_id in (1, 31337, 2**53 - 1):
            intake = ATTESTATION.digest_of_normal(normal, chain_id=chain_id, contract=contract)
            assert intake == attestation_digest(msg, chain_id=chain_id, contract=contract)
            data = attestation_typed_data(msg, chain_id=chain_id, contract=contract)
            signable = encode_typed_data(full_message=data)
            assert intake == keccak(b"\x19\x01" + signable.header + signable.body)


async def test_an_attestation_withdrawn_while_pending_is_revoked_on_chain_once_anchored(
    env: tuple[ChainApp, Orgs, dict[str, Any]],
) -> None:
    running, orgs, eip712 = env
    c, app = running.client, running.app
    app.state.loop.stop()  # keep it pending while its key is found compromised
    msg = message(CELLS, component="CQ-CELL-P")
    r = await c.post(
        "/api/v1/attestations", json=item(CELLS, eip712, msg), headers=bearer(orgs.enterprise)
    )
    assert r.status_code == 201 and r.json()["anchor_status"] == "pending"
    # A key that is not yet in force signs nothing the registry accepts.
    soon = supplier_account("att-soon")
    r = await register_key(c, orgs.other_enterprise, soon, valid_from="2099-01-01T00:00:00Z")
    assert r.status_code == 201 and r.json()["active"] is False
    r = await c.post(
        "/api/v1/attestations",
        json=item(soon, eip712, message(soon, component="CQ-SOON")),
        headers=bearer(orgs.enterprise),
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "key_not_yet_valid"
    r = await c.post(
        f"/api/v1/suppliers/keys/{CELLS.address}/revoke",
        json={"reason": "compromised", "effective_at": "2026-01-01T00:00:00Z"},
        headers=bearer(orgs.other_enterprise),
    )
    assert r.status_code == 200
    att_id = digest_of(eip712, msg)
    with Session(app.state.engine) as session:
        assert ledger.revocation_of(session, record_type="attestation", record_id=att_id) is None
    from registry.anchoring_loop import AnchoringLoop

    loop = AnchoringLoop(app.state.engine, app.state.chain.client, max_batch=64, max_wait_seconds=0)
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        with Session(app.state.engine) as session:
            row = ledger.revocation_of(session, record_type="attestation", record_id=att_id)
            if row is not None and row.status == ledger.REVOCATION_ANCHORED:
                break
        assert time.monotonic() < deadline, "the revocation was never anchored"
        loop.run_cycle()  # 1st: anchors the attestation, queues its revocation; 2nd: revokes it
    bundle = (
        await c.get(f"/api/v1/attestations/{att_id}/bundle", headers=bearer(orgs.enterprise))
    ).json()
    leaf = leaf_hash(bundle["leafEncoding"], bundle["leafValue"])
    status = app.state.chain.client.check(
        bytes.fromhex(bundle["root"][2:]), leaf, [bytes.fromhex(p[2:]) for p in bundle["proof"]]
    )
    assert status.included and status.leaf_revoked_reason == 6  # key compromise
