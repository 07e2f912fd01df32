"""The audit log in process: every state change writes an entry (who, what, when, digests),
entries chain without gaps even under concurrent requests, and ``GET /api/v1/audit`` pages them.

Real database (SQLite and PostgreSQL, see conftest), httpx over ASGI. Tampering with a stored log
and ``tanji audit verify`` against anchored roots: tests/registry/test_audit_cli.py.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlmodel import Session, col, select

from anchoring.ledger import AnchorRecord
from registry.audit import (
    GENESIS_DIGEST,
    RECORD_TYPE,
    Actor,
    AuditEntry,
    leaf_of,
    record_of,
    set_actor,
    snapshot_digest,
)
from registry.audit_verify import verify_log
from registry.cli import main as tanji
from registry.crud import attestations
from registry.models.orgs import Organisation
from registry.security import key_id_of
from tests.registry.factories import Orgs, bearer, footprint, numbered
from tests.registry.supply_chain_data import item, message, register_key, supplier_account

VALIDITY = {"valid_from": "2026-01-01", "valid_until": "2028-12-31"}
CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


def entries(app: FastAPI, **where: Any) -> list[AuditEntry]:
    with Session(app.state.engine) as session:
        query = select(AuditEntry).order_by(col(AuditEntry.id))
        for name, value in where.items():
            query = query.where(getattr(AuditEntry, name) == value)
        return list(session.exec(query).all())


def clean(app: FastAPI) -> int:
    """Check the whole log (no chain: nothing is anchored here); return its entry count."""
    with Session(app.state.engine) as session:
        report = verify_log(session, reader=None)
    assert report.findings == [] and report.status == "valid", report.to_dict()
    return report.entries


async def test_state_changes_are_audited_with_actor_and_digests(
    client: httpx.AsyncClient, orgs: Orgs, app: FastAPI
) -> None:
    enterprise_key, certifier_key = key_id_of(orgs.enterprise), key_id_of(orgs.certifier)
    r = await client.post("/api/v1/footprints", json=footprint(), headers=bearer(orgs.enterprise))
    assert r.status_code == 201, r.text
    fp_id = r.json()["id"]
    r = await client.post(
        "/api/v1/labels",
        json={"footprint_id": fp_id, **VALIDITY},
        headers=bearer(orgs.certifier),
    )
    assert r.status_code == 201, r.text
    label_id = r.json()["id"]
    r = await client.post(
        f"/api/v1/labels/{label_id}/revoke",
        json={"reason_code": 2, "note": "audit"},
        headers=bearer(orgs.certifier),
    )
    assert r.status_code == 200, r.text
    supplier = supplier_account("audit-1")
    assert (await register_key(client, orgs.enterprise, supplier)).status_code == 201
    r = await client.post(
        f"/api/v1/suppliers/keys/{supplier.address}/revoke",
        json={"reason": "retired", "effective_at": "2099-01-01T00:00:00Z"},
        headers=bearer(orgs.enterprise),
    )
    assert r.status_code == 200, r.text

    (created,) = entries(app, action="footprint.create", subject_id=fp_id)
    assert (created.org_id, created.key_id, created.via) == (
        orgs.enterprise_id,
        enterprise_key,
        "api",
    )
    assert created.subject_type == "footprint" and created.before_digest is None
    assert created.after_digest is not None and created.after_digest.startswith("0x")
    (issued,) = entries(app, action="label.issue", subject_id=label_id)
    (certified,) = entries(app, action="footprint.certify", subject_id=fp_id)
    (revoked,) = entries(app, action="label.revoke", subject_id=label_id)
    for entry in (issued, certified, revoked):
        assert (entry.org_id, entry.key_id) == (orgs.certifier_id, certifier_key)
    assert issued.id is not None and revoked.id is not None and revoked.id > issued.id
    # The digests are of the snapshots: revoking changed the label, so before != after, and
    # the label as issued is the label before its revocation.
    assert revoked.before_digest and revoked.after_digest
    assert revoked.before_digest != revoked.after_digest
    assert certified.before_digest != certified.after_digest
    registered = entries(app, action="supplier_key.register", subject_id=supplier.address)
    revoked_key = entries(app, action="supplier_key.revoke", subject_id=supplier.address)
    assert len(registered) == len(revoked_key) == 1
    assert revoked_key[0].org_id == orgs.enterprise_id
    # Organisations and their keys made by make_orgs (no actor in its session: "system").
    assert {e.subject_id for e in entries(app, action="org.create")} >= {
        orgs.enterprise_id,
        orgs.certifier_id,
    }
    assert all(e.via == "system" for e in entries(app, action="org.create"))
    assert clean(app) == len(entries(app))


async def test_each_entry_is_a_queued_record_chained_to_the_one_before(
    client: httpx.AsyncClient, orgs: Orgs, app: FastAPI
) -> None:
    r = await client.post(
        "/api/v1/footprints/bulk",
        json={"items": [numbered(i) for i in range(25)]},
        headers=bearer(orgs.enterprise),
    )
    assert r.status_code == 200 and r.json()["created"] == 25, r.text
    log = entries(app)
    assert [e.id for e in log] == list(range(1, len(log) + 1))
    bulk = [e for e in log if e.action == "footprint.create"]
    assert [e.subject_id for e in bulk] == [res["id"] for res in r.json()["results"]]
    with Session(app.state.engine) as session:
        leaves = {
            row.record_id: row.leaf_value
            for row in session.exec(
                select(AnchorRecord).where(AnchorRecord.record_type == RECORD_TYPE)
            )
        }
    prev = GENESIS_DIGEST
    for entry in log:
        record = record_of(entry)
        assert record["prev"] == entry.prev_digest == prev
        assert record["actor"]["org"] == entry.org_id and record["action"] == entry.action
        # One definition of record → leaf: the protocol's salted per-field digest.
        assert leaf_of(record, entry.master_salt) == [RECORD_TYPE, str(entry.id), entry.digest]
        assert leaves[str(entry.id)] == [RECORD_TYPE, str(entry.id), entry.digest]
        prev = entry.digest
    clean(app)


async def test_concurrent_requests_append_one_chain(
    client: httpx.AsyncClient, orgs: Orgs, app: FastAPI
) -> None:
    before = len(entries(app))
    replies = await asyncio.gather(
        *(
            client.post(
                "/api/v1/footprints", json=numbered(100 + i), headers=bearer(orgs.enterprise)
            )
            for i in range(16)
        )
    )
    assert [r.status_code for r in replies] == [201] * 16, [r.text for r in replies]
    assert len(entries(app)) == before + 16
    clean(app)  # ids 1..n without a gap, every prev the digest before it: no fork


async def test_a_refused_or_rolled_back_change_leaves_no_entry(
    client: httpx.AsyncClient, orgs: Orgs, app: FastAPI
) -> None:
    r = await client.post("/api/v1/footprints", json=footprint(), headers=bearer(orgs.enterprise))
    assert r.status_code == 201
    count = len(entries(app))
    again = await client.post(
        "/api/v1/footprints", json=footprint(), headers=bearer(orgs.enterprise)
    )
    assert again.status_code == 409
    bad = await client.post(
        "/api/v1/footprints/bulk",
        json={"items": [footprint(gtin="123")] * 3},
        headers=bearer(orgs.enterprise),
    )
    assert bad.status_code == 200 and bad.json()["created"] == 0
    assert len(entries(app)) == count
    # In a session: recorded, then rolled back; the next commit writes only its own entry.
    from registry.audit import record_audit

    with Session(app.state.engine) as session:
        record_audit(session, action="test.dropped", subject_type="test", subject_id="x")
        session.rollback()
        set_actor(session, Actor(org_id=orgs.enterprise_id, key_id=None))
        kept = record_audit(session, action="test.kept", subject_type="test", subject_id="y")
        session.commit()
    assert kept.id == count + 1 and kept.digest.startswith("0x")
    assert [e.action for e in entries(app)][count:] == ["test.kept"]
    clean(app)


async def test_a_savepoint_inside_the_change_does_not_write_the_entries_early(
    orgs: Orgs, app: FastAPI
) -> None:
    from registry.audit import record_audit

    count = len(entries(app))
    with Session(app.state.engine) as session:
        record_audit(session, action="test.outer", subject_type="test", subject_id="a")
        # ledger.request_revocation uses a SAVEPOINT on PostgreSQL (pysqlite's are unreliable).
        if session.get_bind().dialect.name == "postgresql":
            with session.begin_nested():
                record_audit(session, action="test.inner", subject_type="test", subject_id="b")
        else:
            record_audit(session, action="test.inner", subject_type="test", subject_id="b")
        assert len(entries(app)) == count  # nothing written before the real commit
        session.commit()
    assert [e.action for e in entries(app)][count:] == ["test.outer", "test.inner"]
    clean(app)


async def test_attestation_push_and_revoke_are_audited(
    client: httpx.AsyncClient, orgs: Orgs, app: FastAPI
) -> None:
    supplier = supplier_account("audit-push")
    assert (await register_key(client, orgs.enterprise, supplier)).status_code == 201
    eip712 = attestations.eip712_description(chain_id=31337, contract=CONTRACT)
    items = [item(supplier, eip712, message(supplier, component=f"C-{i}")) for i in range(3)]
    with Session(app.state.engine, expire_on_commit=False) as session:
        org = session.get(Organisation, orgs.enterprise_id)
        assert org is not None
        set_actor(session, Actor(org_id=org.id, key_id=None))
        results = attestations.push(
            session,
            org=org,
            items=items,
            chain_id=31337,
            contract=CONTRACT,
            now=datetime.now(UTC),
        )
        session.commit()
        ids = [res.id for res in results]
        assert all(res.status == "created" for res in results)
        found = attestations.get_attestation(session, attestation_id=str(ids[0]))
        attestations.revoke_attestation(session, attestation=found, org=org, reason=2)
        session.commit()
    pushed = entries(app, action="attestation.push")
    assert [e.subject_id for e in pushed] == ids
    assert all(e.org_id == orgs.enterprise_id for e in pushed)
    (revoked,) = entries(app, action="attestation.revoke")
    assert revoked.subject_id == ids[0] and revoked.before_digest != revoked.after_digest
    clean(app)


async def test_audit_route_pages_own_entries_or_all_for_admins(
    client: httpx.AsyncClient, orgs: Orgs, app: FastAPI
) -> None:
    for i in range(3):
        r = await client.post(
            "/api/v1/footprints", json=numbered(200 + i), headers=bearer(orgs.enterprise)
        )
        assert r.status_code == 201
    total = len(entries(app))
    everything = await client.get("/api/v1/audit?limit=1000", headers=bearer(orgs.admin))
    assert everything.status_code == 200, everything.text
    body = everything.json()
    assert body["count"] == total and len(body["data"]) == total
    assert [e["id"] for e in body["data"]] == list(range(total, 0, -1))  # newest first
    newest = body["data"][0]
    assert newest["action"] == "footprint.create" and newest["anchor_status"] == "pending"
    assert newest["record"]["id"] == str(newest["id"]) and newest["record"]["type"] == "audit"
    assert leaf_of(newest["record"], newest["salt"])[2] == newest["digest"]
    own = (await client.get("/api/v1/audit", headers=bearer(orgs.enterprise))).json()
    assert own["count"] == 3 and {e["org_id"] for e in own["data"]} == {orgs.enterprise_id}
    page = (
        await client.get("/api/v1/audit?offset=1&limit=1", headers=bearer(orgs.enterprise))
    ).json()
    assert [e["id"] for e in page["data"]] == [own["data"][1]["id"]]
    none = (await client.get("/api/v1/audit", headers=bearer(orgs.partner))).json()
    assert none == {"data": [], "count": 0}
    for query in ("limit=1001", "limit=0", "offset=-1", f"offset={2**63}"):
        r = await client.get(f"/api/v1/audit?{query}", headers=bearer(orgs.admin))
        assert r.status_code == 422, query
    assert (await client.get("/api/v1/audit")).status_code == 401


def test_cli_changes_are_audited_as_the_operator(
    tmp_path: Path, capsys: Any, monkeypatch: Any
) -> None:
    monkeypatch.setenv("TANJI_DATA_DIR", str(tmp_path / "data"))
    assert tanji(["org", "create", "--name", "CLI org", "--role", "enterprise"]) == 0
    org_id = capsys.readouterr().out.split()[2]
    assert tanji(["org", "revoke-keys", org_id]) == 0
    capsys.readouterr()
    assert tanji(["audit", "list", "--json"]) == 0
    import json

    listed = json.loads(capsys.readouterr().out)
    assert [e["action"] for e in listed] == ["api_key.revoke", "api_key.issue", "org.create"]
    assert {(e["via"], e["org_id"], e["key_id"]) for e in listed} == {("cli", None, None)}
    assert listed[2]["subject_id"] == org_id
    assert listed[2]["after_digest"] == snapshot_digest(
        {"id": org_id, "name": "CLI org", "role": "enterprise", "address": None}
    )
    # The operator acted, not the organisation: none of these entries are the org's own.
    assert tanji(["audit", "list", "--org", org_id, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    # Nothing anchored yet: the chain is not asked, the log is intact with 3 pending entries.
    assert tanji(["audit", "verify"]) == 0
    out = capsys.readouterr().out
    assert "3 entries, 0 anchored in 0 batch(es), 3 pending" in out and "OK:" in out
