"""When the anchoring loop runs the batcher: batch size and age thresholds, on the real chain."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from anchoring.ledger import RECORD_ANCHORED, RECORD_PENDING, AnchorRecord
from registry.anchoring_loop import AnchoringLoop, LedgerBacklog, ledger_backlog
from registry.chain import ChainHandle, open_chain
from registry.config import load_settings
from registry.crud.footprints import add_footprint
from registry.crud.orgs import create_org
from registry.db import make_engine, migrate
from registry.models.footprints import FootprintCreate
from registry.models.orgs import OrgRole
from tests.registry.factories import numbered

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def backlog(pending: int = 0, age: float | None = None, revocations: int = 0) -> LedgerBacklog:
    oldest = None if age is None else NOW - timedelta(seconds=age)
    return LedgerBacklog(pending, oldest, revocations, 0)


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[Engine, ChainHandle]]:
    settings = load_settings(data_dir=tmp_path / "data")
    engine = make_engine(settings)
    migrate(engine)
    chain = open_chain(settings)
    yield engine, chain
    chain.close()
    engine.dispose()


def loop_for(engine: Engine, chain: ChainHandle, **kw: float) -> AnchoringLoop:
    return AnchoringLoop(engine, chain.client, **{"max_batch": 5, "max_wait_seconds": 60, **kw})  # type: ignore[arg-type]


def submit(engine: Engine, start: int, count: int) -> None:
    with Session(engine, expire_on_commit=False) as session:
        org, _ = create_org(session, name=f"E{start}", role=OrgRole.ENTERPRISE)
        for i in range(start, start + count):
            # No GTIN: these enterprises hold no GS1 company prefix.
            item = FootprintCreate.model_validate({**numbered(i), "gtin": None})
            add_footprint(session, org=org, item=item)
        session.commit()


def test_due_rules(setup: tuple[Engine, ChainHandle]) -> None:
    loop = loop_for(*setup)
    assert not loop.due(backlog(), NOW)
    assert not loop.due(backlog(pending=4, age=59), NOW)
    assert loop.due(backlog(pending=5, age=0), NOW)  # a full batch
    assert loop.due(backlog(pending=1, age=60), NOW)  # the oldest waited long enough
    assert loop.due(backlog(revocations=1), NOW)  # revocations never wait


def test_size_threshold_on_chain(setup: tuple[Engine, ChainHandle]) -> None:
    engine, chain = setup
    loop = loop_for(engine, chain)
    # Each change queues its audit entry's leaf too: an org is 2 records (org, API key), a
    # footprint 2 (footprint, entry).
    submit(engine, 0, 1)
    assert loop.run_cycle() is False  # 4 < 5 and younger than 60 s: nothing sent
    with Session(engine) as session:
        assert ledger_backlog(session).pending_records == 4
    head = chain.head()
    submit(engine, 1, 3)
    assert loop.run_cycle() is True  # 12 pending: one full batch of 5
    assert chain.head() == head + 1
    with Session(engine) as session:
        statuses = [row.status for row in session.query(AnchorRecord).all()]
    assert statuses.count(RECORD_ANCHORED) == 5 and statuses.count(RECORD_PENDING) == 7
    assert loop.run_cycle() is True  # still a full batch waiting
    assert loop.run_cycle() is False  # 2 left, young
    zero_wait = loop_for(engine, chain, max_wait_seconds=0)
    assert zero_wait.run_cycle() is True
    with Session(engine) as session:
        assert ledger_backlog(session).pending_records == 0


def test_thread_starts_and_stops(setup: tuple[Engine, ChainHandle]) -> None:
    engine, chain = setup
    loop = loop_for(engine, chain, max_wait_seconds=0, poll_interval=0.01)
    loop.start()
    assert loop.running
    assert loop.stop(timeout=60) is True
    assert not loop.running
