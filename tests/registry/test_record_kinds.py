"""Record kinds as a table (``registry.records``): a kind registered there alone is anchored,
bundled, verified and revoked; ``tanji anchor`` sweeps every kind's revocations.

The toy kind is a test-only table (its own SQLModel registry, so no other test's database gets
it) and one :class:`~registry.records.RecordKind`: no route, crud function or sweep list knows it.
It is anchored by the real anchoring loop on the embedded chain and checked by the real verifier
through the registry's own ``/rpc``.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import JSON, Column
from sqlalchemy.orm import registry as orm_registry
from sqlmodel import Field, Session, SQLModel, col, select

import verifier
from anchoring import ledger
from registry.app import create_app
from registry.cli import main
from registry.config import load_settings
from registry.db import make_engine
from registry.ids import new_master_salt
from registry.records import RECORD_KINDS, RecordKind, bundle_of
from tests.registry.factories import Orgs, bearer, footprint, make_orgs
from tests.registry.partners import (
    SG_BODY_KEY,
    issue_label,
    recognition_message,
    register_partner,
    signed_recognition,
    signed_withdrawal,
)
from tests.registry.supply_chain_data import item, message, register_key, supplier_account
from tests.registry.test_end_to_end import serving
from verifier.protocol.merkle import leaf_hash
from verifier.protocol.reasons import RevocationReason
from verifier.protocol.records import ATTESTATION, LABEL, LEAF_ENCODING, RECOGNITION

WAIT_SECONDS = 120
T = TypeVar("T")


class _ToyBase(SQLModel, registry=orm_registry()):
    """Models of this test only: their own metadata, never in the registry's schema."""


class Toy(_ToyBase, table=True):
    """A record kind of this test: one row per record, its record and salt, a revocation."""

    __tablename__ = "toy_record"

    id: str = Field(primary_key=True, max_length=64)
    record: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    master_salt: str = Field(max_length=66)
    revocation_reason: int | None = None


def _toy_reason(toy: Toy) -> int:
    assert toy.revocation_reason is not None
    return toy.revocation_reason


#: The toy kind's whole registration: model, leaf (the default: ``record`` and ``master_salt``),
#: nothing nested, revoked once it has a reason.
TOY = RecordKind("toy", Toy, revoked=col(Toy.revocation_reason).is_not(None), reason=_toy_reason)


def eventually(probe: Callable[[], T | None], what: str) -> T:
    """Poll ``probe`` until it answers (the anchoring loop works in its own thread)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while (found := probe()) is None:
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.05)
    return found


@pytest.mark.slow
def test_a_kind_registered_in_the_table_alone_is_anchored_bundled_verified_and_revoked(
    tmp_path: Path,
) -> None:
    settings = load_settings(
        data_dir=tmp_path / "data",
        base_url="https://tanji.test",
        batch_max_wait_seconds=0,
        poll_interval_seconds=0.05,
    )
    app = create_app(settings)
    with serving(app) as url, RECORD_KINDS.registered(TOY):
        engine = app.state.engine
        Toy.metadata.create_all(engine)
        trust = verifier.parse_trust(
            app.state.chain.trust_document(rpc_url=f"{url}/rpc", name="record kinds test")
        )
        check = verifier.Verifier(trust=trust, timeout=30)
        salt = new_master_salt()
        record = {"type": "toy", "id": "toy-1", "value": "1.5", "unit": "kg CO2e"}
        with Session(engine, expire_on_commit=False) as session:
            toy = Toy(id="toy-1", record=record, master_salt="0x" + salt.hex())
            session.add(toy)
            TOY.enqueue(session, toy)
            session.commit()
        app.state.loop.wake()

        def anchored() -> dict[str, Any] | None:
            with Session(engine) as session:
                bundle = bundle_of(session, "toy", session.get(Toy, "toy-1"))
            return None if bundle.get("status") == "pending" else bundle

        bundle = eventually(anchored, "the toy record anchored")
        assert bundle["record"] == record and bundle["leafValue"][:2] == ["toy", "toy-1"]
        report = check.verify(bundle)
        assert report.status is verifier.Verdict.VALID, report.to_json()

        # Revoked in the registry: the loop's sweep over the table revokes its leaf on chain.
        with Session(engine) as session:
            row = session.get(Toy, "toy-1")
            assert row is not None
            row.revocation_reason = int(RevocationReason.WITHDRAWN)
            session.add(row)
            session.commit()
        app.state.loop.wake()

        def revoked() -> ledger.AnchorRevocation | None:
            with Session(engine) as session:
                found = ledger.revocation_of(session, record_type="toy", record_id="toy-1")
            return found if found is not None and found.status == "anchored" else None

        assert eventually(revoked, "the toy leaf revoked on chain").reason == 2
        with Session(engine) as session:
            again = bundle_of(session, "toy", session.get(Toy, "toy-1"))
        assert again == bundle  # the record and its proof did not change; the chain did
        report = check.verify(again)
        assert report.status is verifier.Verdict.INVALID, report.to_json()
        failed = {int(r.code) for r in report.results if r.status is verifier.Status.INVALID}
        assert failed == {int(verifier.Code.REVOKED_LEAF)}
    assert "toy" not in RECORD_KINDS


def test_the_table_holds_every_kind_the_registry_anchors() -> None:
    assert list(RECORD_KINDS) == [
        "footprint",
        "label",
        "attestation",
        "recognition",
        "withdrawal",
        "audit",
        "factor_dataset",
        "inventory",
    ]
    with pytest.raises(ValueError, match="already registered"):
        RECORD_KINDS.register(RecordKind(LABEL, Toy))
    assert RECORD_KINDS.nested_kind("attestations").record_type == ATTESTATION
    assert RECORD_KINDS.nested_kind("recognitions").record_type == RECOGNITION


# -- tanji anchor -----------------------------------------------------------------------------


@asynccontextmanager
async def _not_anchoring(data: Path) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient, Orgs]]:
    """The registry on the embedded chain with a loop that never has a batch due."""
    settings = load_settings(
        data_dir=data,
        base_url="https://tanji.test",
        batch_max_wait_seconds=10**6,
        batch_max_size=100_000,
        poll_interval_seconds=0.05,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tanji.test") as c:
            yield app, c, make_orgs(app.state.engine)


def _revocations(data: Path) -> dict[tuple[str, str], tuple[int, str]]:
    """Every on-chain revocation the ledger of ``data`` holds: reason and status by record."""
    engine = make_engine(load_settings(data_dir=data))
    try:
        with Session(engine) as session:
            rows = session.exec(select(ledger.AnchorRevocation)).all()
            return {(r.record_type, r.record_id): (r.reason, r.status) for r in rows}
    finally:
        engine.dispose()


@pytest.mark.slow
async def test_tanji_anchor_sweeps_every_kinds_revocations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    cells = supplier_account("record-kinds-cells")
    async with _not_anchoring(data) as (app, c, orgs):
        chain_id, contract = app.state.chain.chain_id, app.state.chain.address
        label = await issue_label(
            c, enterprise=orgs.enterprise, certifier=orgs.certifier, payload=footprint()
        )
        bundle = (await c.get(f"/api/v1/labels/{label['id']}/bundle")).json()
        leaf = "0x" + leaf_hash(LEAF_ENCODING, bundle["leafValue"]).hex()
        # A partner recognises the label and withdraws the recognition, both still pending.
        _, sg = await register_partner(c, app.state.engine, name="SG (test)", key=SG_BODY_KEY)
        body = signed_recognition(
            SG_BODY_KEY,
            recognition_message(SG_BODY_KEY, subject=leaf),
            chain_id=chain_id,
            contract=contract,
        )
        r = await c.post("/api/v1/recognitions", json=body, headers=bearer(sg))
        assert r.status_code == 201, r.text
        recognition_id = r.json()["id"]
        withdrawal = signed_withdrawal(
            SG_BODY_KEY, recognition_id, chain_id=chain_id, contract=contract
        )
        r = await c.post(
            f"/api/v1/recognitions/{recognition_id}/withdraw", json=withdrawal, headers=bearer(sg)
        )
        assert r.status_code == 200, r.text
        # A supplier's attestation, withdrawn by its signer.
        r = await register_key(c, orgs.other_enterprise, cells)
        assert r.status_code == 201, r.text
        eip712 = (await c.get("/api/v1/attestations/eip712")).json()
        r = await c.post(
            "/api/v1/attestations",
            json=item(cells, eip712, message(cells)),
            headers=bearer(orgs.other_enterprise),
        )
        assert r.status_code == 201, r.text
        attestation_id = r.json()["id"]
        r = await c.post(
            f"/api/v1/attestations/{attestation_id}/revoke",
            json={"reason_code": 3},
            headers=bearer(orgs.other_enterprise),
        )
        assert r.status_code == 200, r.text
        # The label, revoked by its certification body.
        r = await c.post(
            f"/api/v1/labels/{label['id']}/revoke",
            json={"reason_code": 4},
            headers=bearer(orgs.certifier),
        )
        assert r.status_code == 200, r.text
    assert _revocations(data) == {}  # nothing was anchored: nothing could be revoked on chain

    assert main(["anchor", "--data-dir", str(data)]) == 0, capsys.readouterr().err
    assert capsys.readouterr().out.strip().endswith("; 0 pending")
    assert _revocations(data) == {
        (LABEL, label["id"]): (4, "anchored"),
        (ATTESTATION, attestation_id): (3, "anchored"),
        (RECOGNITION, recognition_id): (int(RevocationReason.WITHDRAWN), "anchored"),
    }
