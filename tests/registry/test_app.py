"""The application's lifespan: shut-down never pulls the chain from under a running cycle."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest
from sqlmodel import Session, select

from anchoring.embedded import EmbeddedChain
from anchoring.ledger import BATCH_ANCHORED, RECORD_ANCHORED, AnchorBatch, AnchorRecord
from registry.app import create_app
from registry.config import load_settings
from registry.crud.footprints import add_footprint
from registry.models.footprints import FootprintCreate
from registry.models.orgs import Organisation
from tests.registry.factories import footprint, make_orgs

WAIT_SECONDS = 120
MAX_WAIT = 2.0  # the record becomes due this long after it was stored


@pytest.mark.sqlite_only(reason="another writer locks the SQLite file to slow the cycle down")
async def test_a_cycle_outliving_the_shutdown_wait_keeps_the_chain_until_it_ends(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    settings = load_settings(
        data_dir=data,
        batch_max_wait_seconds=MAX_WAIT,
        batch_max_size=64,
        poll_interval_seconds=0.05,
    )
    app = create_app(settings, shutdown_wait_seconds=0.5)
    # Another writer holds the registry database, so the loop's cycle, once the record is due,
    # blocks on its first write (sealing the batch) — a real, slow cycle, before any chain call.
    blocker = sqlite3.connect(data / "registry.sqlite3", isolation_level=None, timeout=0)
    async with app.router.lifespan_context(app):
        loop, chain = app.state.loop, app.state.chain
        orgs = make_orgs(app.state.engine)
        with Session(app.state.engine) as session:
            org = session.get(Organisation, orgs.enterprise_id)
            assert org is not None
            add_footprint(session, org=org, item=FootprintCreate.model_validate(footprint()))
            session.commit()
        blocker.execute("BEGIN IMMEDIATE")
        await asyncio.sleep(MAX_WAIT + 1.0)  # due, and the worker is waiting for the writer
    # The wait ran out with the worker still in its cycle: the chain must still be open.
    assert loop.running, "the cycle ended within the shutdown wait; the test did not set it up"
    assert not chain.embedded.closed
    blocker.execute("ROLLBACK")
    blocker.close()
    deadline = time.monotonic() + WAIT_SECONDS
    while loop.running:
        assert time.monotonic() < deadline, "the anchoring loop never finished its cycle"
        await asyncio.sleep(0.05)
    # The cycle completed on the chain, and only then was the chain closed (its lock released).
    assert loop.last_error is None
    with Session(app.state.engine) as session:
        # The footprint and the audit entries of the orgs and the footprint: all in the batch.
        assert set(session.exec(select(AnchorRecord.status)).all()) == {RECORD_ANCHORED}
        assert session.exec(select(AnchorBatch.status)).all() == [BATCH_ANCHORED]
    assert chain.embedded.closed
    EmbeddedChain.open(data).close()
