"""Outgoing PACT events: queued in the database, retried with exponential backoff until the
receiving host accepts them (a real HTTP server on loopback), given up after three days."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from sqlmodel import Session

from registry.config import load_settings
from registry.db import make_engine, migrate
from registry.pact.events import PUBLISHED, deliver_due, enqueue, new_event
from registry.pact.models import PactOutbox
from tests.nodes import free_port


class Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.received.append(json.loads(body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def port() -> Iterator[int]:
    yield free_port()


def test_an_event_waits_in_the_database_and_is_retried_with_backoff(
    tmp_path: Path, port: int
) -> None:
    settings = load_settings(
        data_dir=tmp_path, base_url="https://sender.test", pact_retry_seconds=2
    )
    engine = make_engine(settings)
    migrate(engine)
    target = f"http://127.0.0.1:{port}/3/events"
    event = new_event(
        PUBLISHED, source=None, data={"pfIds": ["3a6c14a7-4deb-498a-b5ea-16ce2535b576"]}
    )
    with Session(engine) as session:
        enqueue(session, target=target, event=event)
        session.commit()
    with httpx.Client(timeout=5) as client:
        # Nobody listens: the attempt is recorded, the next one 2 s later, then 4 s.
        assert deliver_due(engine, settings, client) == 0
        with Session(engine) as session:
            row = session.get(PactOutbox, event["id"])
            assert row is not None and row.attempts == 1 and row.delivered_at is None
            assert "ConnectError" in (row.last_error or "")
            first_retry = row.next_attempt_at
        assert deliver_due(engine, settings, client) == 0  # not due yet: no attempt
        assert deliver_due(engine, settings, client, now=first_retry) == 0
        with Session(engine) as session:
            row = session.get(PactOutbox, event["id"])
            assert row is not None and row.attempts == 2
            assert row.next_attempt_at - first_retry == timedelta(seconds=4)

        # A restart (a new engine on the same database) finds it; the receiver is up now.
        engine.dispose()
        engine = make_engine(settings)
        server = ThreadingHTTPServer(("127.0.0.1", port), Receiver)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            assert deliver_due(engine, settings, client, now=row.next_attempt_at) == 1
        finally:
            server.shutdown()
    (got,) = Receiver.received
    assert got["id"] == event["id"] and got["source"] == "https://sender.test"  # filled in
    with Session(engine) as session:
        row = session.get(PactOutbox, event["id"])
        assert row is not None and row.delivered_at is not None and row.attempts == 3
