"""The public label reads (JSON, bundle, consumer page) in one statement each, answering exactly
what the ORM path answers: pending, anchored (final and mined), revoked; on a thread (SQLAlchemy)
and, on PostgreSQL, on the event loop (asyncpg: registry.pg_reads)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy import Connection
from sqlmodel import Session, select

from anchoring.ledger import (
    BATCH_ANCHORED,
    BATCH_MINED,
    RECORD_ANCHORED,
    AnchorBatch,
    AnchorRecord,
)
from registry.api.reads import read_with
from registry.crud import labels as label_crud
from registry.label_reads import (
    fetch_label_bundle,
    fetch_label_json,
    fetch_label_page,
    label_bundle,
    label_json,
    read_label_page,
)
from registry.labelview import load_label_view
from registry.pg_reads import PgReads
from registry.records import bundle_of
from tests.registry.factories import Orgs, bearer, numbered
from verifier.protocol.records import LABEL

T = TypeVar("T")
VALIDITY = {"valid_from": "2026-01-01", "valid_until": "2028-12-31"}


async def issue(client: httpx.AsyncClient, orgs: Orgs, n: int = 0) -> str:
    """The n-th distinct footprint, submitted and labelled."""
    r = await client.post("/api/v1/footprints", json=numbered(n), headers=bearer(orgs.enterprise))
    assert r.status_code == 201, r.text
    r = await client.post(
        "/api/v1/labels",
        json={"footprint_id": r.json()["id"], **VALIDITY},
        headers=bearer(orgs.certifier),
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


@contextmanager
def statements(app: FastAPI) -> Iterator[list[str]]:
    """The SQL statements about labels the application sends meanwhile, through its engine or
    its asyncpg pool (not those of its background loops: the PACT delivery loop polls its
    tables)."""
    sent: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "pact_" not in statement:
            sent.append(statement)

    reads: PgReads | None = app.state.pg_reads
    if reads is not None:
        rows = reads.rows

        async def noted(statement: sa.Select[Any], params: Mapping[str, Any]) -> list[Any]:
            sent.append(str(statement))
            return await rows(statement, params)

        reads.rows = noted  # type: ignore[method-assign]
    sa.event.listen(app.state.engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        sa.event.remove(app.state.engine, "before_cursor_execute", note)
        if reads is not None:
            del reads.rows  # the method again


def anchor_alone(app: FastAPI, label_id: str, status: str = BATCH_ANCHORED) -> None:
    """Anchor the label's leaf as a one-leaf batch (its root is its leaf hash; no chain)."""
    with Session(app.state.engine) as session:
        record = session.exec(select(AnchorRecord).where(AnchorRecord.record_id == label_id)).one()
        batch = AnchorBatch(
            root=record.leaf_hash,
            record_count=1,
            status=status,
            chain_id=31337,
            contract="0x" + "5e" * 20,
            tx_hash="0x" + "11" * 32,
            nonce=0,
            block_number=7,
            block_timestamp=1_780_000_000,
            anchored_at=datetime.now(UTC),
        )
        session.add(batch)
        session.flush()
        record.status, record.batch_id, record.leaf_index, record.proof = (
            RECORD_ANCHORED,
            batch.id,
            0,
            [],
        )
        session.add(record)
        session.commit()


def orm_answers(app: FastAPI, label_id: str) -> tuple[bytes, dict[str, Any], Any]:
    """The label's JSON, bundle and page view as the ORM path reads them."""
    base_url = app.state.settings.base_url
    with Session(app.state.engine) as session:
        label = label_crud.get_label(session, label_id=label_id)
        public = label_crud.to_public(session, label, base_url=base_url)
        bundle = bundle_of(session, LABEL, label)
        view = load_label_view(session, label_id, base_url=base_url)
    return public.model_dump_json().encode(), bundle, view


def joined_answers(app: FastAPI, label_id: str) -> tuple[bytes, dict[str, Any], Any]:
    """The same through registry.label_reads."""
    base_url = app.state.settings.base_url
    engine = app.state.engine
    page = read_with(engine, lambda c: read_label_page(c, label_id, base_url=base_url))
    assert page is not None
    return (
        read_with(engine, lambda c: label_json(c, label_id, base_url=base_url)),
        read_with(engine, lambda c: label_bundle(c, label_id)),
        page.view,
    )


async def event_loop_answers(app: FastAPI, label_id: str) -> tuple[bytes, dict[str, Any], Any]:
    """The same through registry.label_reads on the asyncpg pool (PostgreSQL)."""
    base_url = app.state.settings.base_url
    rows = app.state.pg_reads.rows

    async def on_connection(read: Callable[[Connection], T]) -> T:
        return read_with(app.state.engine, read)

    page = await fetch_label_page(rows, on_connection, label_id, base_url=base_url)
    assert page is not None
    return (
        await fetch_label_json(rows, label_id, base_url=base_url),
        await fetch_label_bundle(rows, on_connection, label_id),
        page.view,
    )


async def same_answers(app: FastAPI, label_id: str) -> tuple[bytes, dict[str, Any], Any]:
    """The ORM path's answers, once checked that every other path answers the same."""
    answers = orm_answers(app, label_id)
    assert joined_answers(app, label_id) == answers
    if app.state.pg_reads is not None:
        assert await event_loop_answers(app, label_id) == answers
    return answers


async def test_each_read_is_one_statement(
    client: httpx.AsyncClient, orgs: Orgs, app: FastAPI
) -> None:
    label_id = await issue(client, orgs)
    anchor_alone(app, label_id)
    for path in (
        f"/api/v1/labels/{label_id}",
        f"/api/v1/labels/{label_id}/bundle",
        f"/l/{label_id}",
    ):
        with statements(app) as sent:
            r = await client.get(path)
        assert r.status_code == 200, r.text
        assert len(sent) == 1, (path, sent)


async def test_the_joined_reads_answer_as_the_orm_path(
    client: httpx.AsyncClient, orgs: Orgs, app: FastAPI
) -> None:
    pending = await issue(client, orgs)
    await same_answers(app, pending)
    anchored = await issue(client, orgs, 1)
    anchor_alone(app, anchored)
    _, bundle, view = await same_answers(app, anchored)
    assert bundle["root"] and view.anchor is not None and view.anchor_status == "anchored"
    # Mined, not final, with no chain to check it in this process: pending on every path.
    mined = await issue(client, orgs, 2)
    anchor_alone(app, mined, status=BATCH_MINED)
    _, bundle, view = await same_answers(app, mined)
    assert bundle["status"] == "pending" and view.anchor_status == "batched"
    # Revoked: the revocation request shows in the JSON on every path.
    r = await client.post(
        f"/api/v1/labels/{anchored}/revoke",
        json={"reason_code": 4, "note": "audit"},
        headers=bearer(orgs.certifier),
    )
    assert r.status_code == 200, r.text
    json_body, _, _ = await same_answers(app, anchored)
    assert json.loads(json_body)["revocation_status"] is not None, json_body


async def test_an_unknown_label_is_404_on_every_read(client: httpx.AsyncClient) -> None:
    for path in ("/api/v1/labels/nosuchlabel1", "/api/v1/labels/nosuchlabel1/bundle"):
        r = await client.get(path)
        assert r.status_code == 404 and r.json()["error"]["field"] == "label_id", r.text
    assert (await client.get("/l/nosuchlabel1")).status_code == 404
