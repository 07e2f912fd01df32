"""Two transactions queue the same on-chain revocation at once (an API revocation racing the
anchoring loop's sweep) on a real PostgreSQL: the second gets the first's row, not a 500."""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from anchoring import ledger
from anchoring.errors import LedgerError
from anchoring.ledger import AnchorBatch
from registry.config import load_settings
from registry.db import make_engine, migrate
from verifier.protocol.leaf import record_leaf_value


@pytest.fixture
def pg_engine(postgres_database: str, tmp_path: object) -> Engine:
    engine = make_engine(load_settings(data_dir=tmp_path, database_url=postgres_database))
    migrate(engine)
    return engine


def _anchored_record(engine: Engine, record_id: str) -> None:
    value = record_leaf_value({"type": "recognition", "id": record_id}, secrets.token_bytes(32))
    with Session(engine) as session:
        batch = AnchorBatch(
            root="0x" + secrets.token_hex(32),
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
        record = ledger.enqueue(
            session, record_type="recognition", record_id=record_id, leaf_value=value
        )
        record.batch_id, record.leaf_index, record.proof = batch.id, 0, []
        record.status = "anchored"
        session.add(record)
        session.commit()


def _read_before_the_other_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``late``'s first look see nothing queued, as it did before ``first`` committed: the
    interleaving (read, other commit, insert) that the unique constraint then decides."""
    real = ledger.revocation_of
    looked: list[bool] = []

    def revocation_of(session: Session, **where: str) -> object:
        if not looked:
            looked.append(True)
            return None
        return real(session, **where)

    monkeypatch.setattr(ledger, "revocation_of", revocation_of)


def test_a_revocation_queued_by_another_transaction_meanwhile_is_taken_over(
    pg_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _anchored_record(pg_engine, "R-1")
    with Session(pg_engine) as late, Session(pg_engine) as first:
        ledger.request_revocation(first, record_type="recognition", record_id="R-1", reason=6)
        first.commit()
        _read_before_the_other_commit(monkeypatch)
        got = ledger.request_revocation(late, record_type="recognition", record_id="R-1", reason=6)
        late.commit()
        assert got.reason == 6
    with Session(pg_engine) as session:
        found = ledger.revocation_of(session, record_type="recognition", record_id="R-1")
        assert found is not None and found.id == got.id


def test_a_racing_revocation_with_another_reason_is_refused_with_a_code(
    pg_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _anchored_record(pg_engine, "R-2")
    with Session(pg_engine) as late, Session(pg_engine) as first:
        ledger.request_revocation(first, record_type="recognition", record_id="R-2", reason=6)
        first.commit()
        _read_before_the_other_commit(monkeypatch)
        with pytest.raises(LedgerError) as info:
            ledger.request_revocation(late, record_type="recognition", record_id="R-2", reason=1)
        assert info.value.code == "already_revoked"
