"""The public label reads (JSON, bundle, consumer page) in one statement each, answering exactly
what the ORM path answers: pending, anchored (final and mined), revoked."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import sqlalchemy as sa
from fastapi import FastAPI
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
from registry.label_reads import label_bundle, label_json, read_label_page
from registry.labelview import load_label_view
from registry.records import bundle_of
from tests.registry.factories import Orgs, bearer, numbered
from verifier.protocol.records import LABEL

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
    """The SQL statements about labels the application's engine sends meanwhile (not those of
    its background loops: the PACT delivery loop polls its tables)."""
    sent: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "pact_" not in statement:
            sent.append(statement)

    sa.event.listen(app.state.engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        sa.event.remove(app.state.engine, "before_cursor_execute", note)


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
    assert joined_answers(app, pending) == orm_answers(app, pending)
    anchored = await issue(client, orgs, 1)
    anchor_alone(app, anchored)
    json_body, bundle, view = joined_answers(app, anchored)
    assert (json_body, bundle, view) == orm_answers(app, anchored)
    assert bundle["root"] and view.anchor is not None and view.anchor_status == "anchored"
    # Mined, not final, with no chain to check it in this process: pending on both paths.
    mined = await issue(client, orgs, 2)
    anchor_alone(app, mined, status=BATCH_MINED)
    json_body, bundle, view = joined_answers(app, mined)
    assert (json_body, bundle, view) == orm_answers(app, mined)
    assert bundle["status"] == "pending" and view.anchor_status == "batched"
    # Revoked: the revocation request shows in the JSON on both paths.
    r = await client.post(
        f"/api/v1/labels/{anchored}/revoke",
        json={"reason_code": 4, "note": "audit"},
        headers=bearer(orgs.certifier),
    )
    assert r.status_code == 200, r.text
    assert joined_answers(app, anchored) == orm_answers(app, anchored)


async def test_an_unknown_label_is_404_on_every_read(client: httpx.AsyncClient) -> None:
    for path in ("/api/v1/labels/nosuchlabel1", "/api/v1/labels/nosuchlabel1/bundle"):
        r = await client.get(path)
        assert r.status_code == 404 and r.json()["error"]["field"] == "label_id", r.text
    assert (await client.get("/l/nosuchlabel1")).status_code == 404
