"""Ledger functions on a real SQLite file: enqueue, status, proofs, revocation requests."""

from __future__ import annotations

import secrets
from datetime import UTC

import pytest
from sqlalchemy import Engine, inspect
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from anchoring import ledger
from anchoring.errors import LedgerError
from anchoring.ledger import AnchorBatch, AnchorRecord
from verifier.protocol.leaf import LEAF_ENCODING, record_leaf_value
from verifier.protocol.merkle import leaf_hash


def _leaf(record_id: str, record_type: str = "label") -> list[str]:
    record = {"type": record_type, "id": record_id, "co2e": 1.5}
    return record_leaf_value(record, secrets.token_bytes(32))


def test_tables_share_sqlmodel_metadata(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert {"anchor_record", "anchor_batch", "anchor_revocation"} <= tables


def test_enqueue_is_idempotent_and_refuses_another_leaf(engine: Engine) -> None:
    value = _leaf("L-1")
    with Session(engine) as session:
        row = ledger.enqueue(session, record_type="label", record_id="L-1", leaf_value=value)
        session.commit()
        assert row.status == "pending"
        assert row.leaf_hash == "0x" + leaf_hash(LEAF_ENCODING, value).hex()
        assert row.created_at.tzinfo is not None
        assert row.created_at.utcoffset() == UTC.utcoffset(None)
    with Session(engine) as session:
        again = ledger.enqueue(session, record_type="label", record_id="L-1", leaf_value=value)
        assert again.id == row.id
        with pytest.raises(LedgerError) as info:
            ledger.enqueue(session, record_type="label", record_id="L-1", leaf_value=_leaf("L-1"))
        assert info.value.code == "leaf_conflict" and info.value.field == "leaf_value"
        assert ledger.pending_count(session) == 1


def test_enqueue_rejects_a_leaf_of_another_record(engine: Engine) -> None:
    with Session(engine) as session, pytest.raises(LedgerError) as info:
        ledger.enqueue(session, record_type="label", record_id="L-2", leaf_value=_leaf("L-3"))
    assert info.value.code == "invalid_leaf"


def test_enqueue_new_queues_many_in_one_insert(engine: Engine) -> None:
    leaves = [("footprint", f"F-{i}", _leaf(f"F-{i}", "footprint")) for i in range(1200)]
    with Session(engine) as session:
        ledger.enqueue_new(session, leaves)
        ledger.enqueue_new(session, [])
        session.commit()
    with Session(engine) as session:
        assert ledger.pending_count(session) == 1200
        row = session.exec(select(AnchorRecord).where(AnchorRecord.record_id == "F-7")).one()
        assert row.status == "pending" and row.leaf_value == leaves[7][2]
        assert row.leaf_hash == "0x" + leaf_hash(LEAF_ENCODING, leaves[7][2]).hex()
        assert row.created_at.utcoffset() == UTC.utcoffset(None)
        # A record already queued fails the insert; the transaction keeps none of the batch.
        with pytest.raises(IntegrityError):
            ledger.enqueue_new(
                session, [("footprint", "F-new", _leaf("F-new", "footprint")), *leaves[:1]]
            )
        session.rollback()
        assert ledger.record_status(session, record_type="footprint", record_id="F-new") is None
        with pytest.raises(LedgerError) as info:
            ledger.enqueue_new(session, [("footprint", "F-x", _leaf("F-y", "footprint"))])
        assert info.value.code == "invalid_leaf"


def test_functions_do_not_commit(engine: Engine) -> None:
    with Session(engine) as session:
        ledger.enqueue(session, record_type="label", record_id="L-4", leaf_value=_leaf("L-4"))
        session.rollback()
    with Session(engine) as session:
        assert ledger.record_status(session, record_type="label", record_id="L-4") is None
        assert ledger.pending_count(session) == 0


def test_anchored_leaf_and_revocation_request(engine: Engine) -> None:
    value = _leaf("L-5")
    with Session(engine) as session:
        ledger.enqueue(session, record_type="label", record_id="L-5", leaf_value=value)
        assert ledger.anchored_leaf(session, record_type="label", record_id="L-5") is None
        with pytest.raises(LedgerError) as info:
            ledger.request_revocation(session, record_type="label", record_id="L-5", reason=1)
        assert info.value.code == "not_anchored"
        session.commit()
    # Mark it anchored as the batcher would (the batcher's own tests run it on real chains).
    with Session(engine) as session:
        batch = AnchorBatch(
            root="0x" + "ab" * 32,
            record_count=1,
            status="anchored",
            chain_id=31337,
            contract="0x" + "12" * 20,
            tx_hash="0x" + "cd" * 32,
            block_number=9,
            block_timestamp=1_764_000_000,
        )
        session.add(batch)
        session.flush()
        record = session.get(AnchorRecord, 1)
        assert record is not None
        record.batch_id, record.leaf_index, record.proof = batch.id, 0, []
        record.status = "anchored"
        session.add(record)
        session.commit()
    with Session(engine) as session:
        leaf = ledger.anchored_leaf(session, record_type="label", record_id="L-5")
        assert leaf is not None
        assert (leaf.leaf_value, leaf.root, leaf.block_number) == (value, "0x" + "ab" * 32, 9)
        assert ledger.record_status(session, record_type="label", record_id="L-5") == "anchored"
        for bad in (0, 70_000, True):
            with pytest.raises(LedgerError) as info:
                ledger.request_revocation(session, record_type="label", record_id="L-5", reason=bad)
            assert info.value.field == "reason"
        first = ledger.request_revocation(session, record_type="label", record_id="L-5", reason=3)
        session.commit()
        again = ledger.request_revocation(session, record_type="label", record_id="L-5", reason=3)
        assert again.id == first.id and first.leaf_hash == leaf.leaf_hash
        with pytest.raises(LedgerError) as info:
            ledger.request_revocation(session, record_type="label", record_id="L-5", reason=4)
        assert info.value.code == "already_revoked"
        found = ledger.revocation_of(session, record_type="label", record_id="L-5")
        assert found is not None and found.status == "pending"
