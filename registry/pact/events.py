"""PACT events (CloudEvents, structured JSON mode): receive, answer, notify, deliver durably.

Incoming (``POST /3/events``, :func:`receive`): a ``RequestCreated`` event is stored and answered
by a ``RequestFulfilled`` event carrying the requester's visible matching footprints, or by a
``RequestRejected`` event (``NotFound``) when none match; ``RequestFulfilled``,
``RequestRejected`` and ``Published`` events are stored for the organisation (its inbox).

Outgoing events go to the ``pact_outbox`` table in the transaction that caused them and are
POSTed by :class:`DeliveryLoop` to the receiving host's ``/3/events``: accepted (2xx) → done;
otherwise retried with exponential backoff from ``pact_retry_seconds``, for at most
:data:`GIVE_UP_AFTER` (the spec's three days). A crash loses nothing: an undelivered row is
retried by the next start. When the receiving host gave one of our organisations credentials
(``tanji pact peer add``), delivery first gets a token at its ``/auth/token``.

Both naming schemes of the event types are accepted: the v3 spec text's
(``org.wbcsd.pathfinder.ProductFootprintRequest.Created.v1``) and the v3 OpenAPI's as used by the
conformance tool (``org.wbcsd.pact.ProductFootprint.RequestCreatedEvent.3``); we send the latter.
"""

from __future__ import annotations

import base64
import logging
import threading
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from urllib.parse import urlsplit

import httpx
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from registry.config import Settings
from registry.models.common import utcnow
from registry.models.footprints import Footprint
from registry.pact.access import visible_footprints
from registry.pact.documents import footprint_document
from registry.pact.errors import PactApiError
from registry.pact.filters import Criteria
from registry.pact.models import PactInbox, PactOutbox, PactPeer

log = logging.getLogger(__name__)

CREATED: Final = "RequestCreated"
FULFILLED: Final = "RequestFulfilled"
REJECTED: Final = "RequestRejected"
PUBLISHED: Final = "Published"
#: The type names we send (the v3 OpenAPI's), by kind.
EVENT_TYPES: Final[dict[str, str]] = {
    CREATED: "org.wbcsd.pact.ProductFootprint.RequestCreatedEvent.3",
    FULFILLED: "org.wbcsd.pact.ProductFootprint.RequestFulfilledEvent.3",
    REJECTED: "org.wbcsd.pact.ProductFootprint.RequestRejectedEvent.3",
    PUBLISHED: "org.wbcsd.pact.ProductFootprint.PublishedEvent.3",
}
#: Every type name we take, by kind (the spec text's v1-style names too).
_KINDS: Final[dict[str, str]] = {
    **{name: kind for kind, name in EVENT_TYPES.items()},
    "org.wbcsd.pathfinder.ProductFootprintRequest.Created.v1": CREATED,
    "org.wbcsd.pathfinder.ProductFootprintRequest.Fulfilled.v1": FULFILLED,
    "org.wbcsd.pathfinder.ProductFootprintRequest.Rejected.v1": REJECTED,
    "org.wbcsd.pathfinder.ProductFootprint.Published.v1": PUBLISHED,
}
CONTENT_TYPE: Final = "application/cloudevents+json; charset=UTF-8"
GIVE_UP_AFTER: Final = timedelta(days=3)
MAX_BACKOFF: Final = timedelta(hours=1)


def kind_of(event: Mapping[str, Any]) -> str:
    """The kind of a valid CloudEvent (:data:`CREATED`, ...); ``BadRequest`` when malformed."""
    for name in ("specversion", "id", "source", "type"):
        if not isinstance(event.get(name), str) or not event[name]:
            raise PactApiError(f"the CloudEvent lacks a string {name!r}")
    if event["specversion"] != "1.0":
        raise PactApiError("only CloudEvents specversion 1.0 is accepted")
    kind = _KINDS.get(event["type"])
    if kind is None:
        raise PactApiError(f"unknown event type {event['type']!r}")
    if not isinstance(event.get("data"), Mapping):
        raise PactApiError("the CloudEvent's data must be an object")
    data = event["data"]
    if kind in (FULFILLED, REJECTED) and not isinstance(data.get("requestEventId"), str):
        raise PactApiError("data.requestEventId must be a string")
    if kind == FULFILLED and not isinstance(data.get("pfs"), list):
        raise PactApiError("data.pfs must be an array of ProductFootprints")
    if kind == REJECTED and not isinstance(data.get("error"), Mapping):
        raise PactApiError("data.error must be an error response")
    if kind == PUBLISHED:
        ids = data.get("pfIds")
        if not isinstance(ids, list) or not ids or not all(_is_uuid(i) for i in ids):
            raise PactApiError("data.pfIds must be a non-empty array of ProductFootprint ids")
    return kind


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return isinstance(value, str)


def events_url(source: str) -> str:
    """The ``/3/events`` URL of the host a CloudEvent's ``source`` names (validated).

    ``//host/subpath`` (the spec's form) is https; an ``http(s)://`` URL is taken as the host's
    base (``/3/events`` appended unless present). Anything else is ``BadRequest``.
    """
    url = "https:" + source if source.startswith("//") else source
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise PactApiError(f"the event's source {source!r} is not a host to answer")
    base = url.rstrip("/")
    return base if base.endswith("/3/events") else f"{base}/3/events"


def new_event(kind: str, *, source: str | None, data: Mapping[str, Any]) -> dict[str, Any]:
    """A CloudEvent of ``kind`` from ``source`` (this host's base URL).

    ``None`` (an event queued by the CLI, which does not know the URL the server is reached
    at) is filled in with the serving process's ``base_url`` when the event is sent.
    """
    return {
        "type": EVENT_TYPES[kind],
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": source,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "data": dict(data),
    }


def enqueue(session: Session, *, target: str, event: Mapping[str, Any]) -> PactOutbox:
    """Queue ``event`` for ``target`` (a ``/3/events`` URL) in the session's transaction."""
    row = PactOutbox(id=str(event["id"]), target=target, event=dict(event))
    session.add(row)
    return row


def receive(session: Session, *, org_id: str, event: Mapping[str, Any], settings: Settings) -> str:
    """Take an incoming event for ``org_id`` (no commit); returns its kind.

    A repeated event (same source and id) is accepted again without a second answer.
    """
    kind = kind_of(event)
    row = PactInbox(
        org_id=org_id,
        event_id=event["id"],
        source=event["source"],
        type=kind,
        event=dict(event),
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return kind  # seen before: already answered
    if kind == CREATED:
        _answer(session, org_id=org_id, event=event, settings=settings)
    return kind


def _answer(session: Session, *, org_id: str, event: Mapping[str, Any], settings: Settings) -> None:
    target = events_url(event["source"])
    try:
        criteria = Criteria.from_event(event["data"])
        docs = [
            footprint_document(session, fp, settings=settings)
            for fp in visible_footprints(session, org_id=org_id)
        ]
        found = [doc for doc in docs if criteria.matches(doc)] if not criteria.empty else []
        if not found:
            raise PactApiError("no footprint matches the request", code="NotFound")
        answer = new_event(
            FULFILLED, source=settings.base_url, data={"requestEventId": event["id"], "pfs": found}
        )
    except PactApiError as exc:
        answer = new_event(
            REJECTED,
            source=settings.base_url,
            data={"requestEventId": event["id"], "error": exc.pact_body()},
        )
    enqueue(session, target=target, event=answer)


def notify_published(
    session: Session, *, footprints: list[Footprint], target: str, source: str | None
) -> PactOutbox:
    """Queue a ``Published`` event for ``footprints`` to ``target`` (a ``/3/events`` URL)."""
    from registry.pact.documents import pf_id_of

    event = new_event(PUBLISHED, source=source, data={"pfIds": [pf_id_of(fp) for fp in footprints]})
    return enqueue(session, target=target, event=event)


# --- delivery --------------------------------------------------------------------------------


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _token(client: httpx.Client, peer: PactPeer) -> str:
    basic = base64.b64encode(f"{peer.client_id}:{peer.client_secret}".encode()).decode()
    response = client.post(
        f"{peer.base_url.rstrip('/')}/auth/token",
        content="grant_type=client_credentials",
        headers={
            "Authorization": f"Basic {basic}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


def deliver_due(
    engine: Engine, settings: Settings, client: httpx.Client, *, now: datetime | None = None
) -> int:
    """POST every due outbox event once; returns how many were accepted."""
    moment = now or utcnow()
    with Session(engine, expire_on_commit=False) as session:
        due = list(
            session.exec(
                select(PactOutbox)
                .where(
                    col(PactOutbox.delivered_at).is_(None),
                    col(PactOutbox.given_up_at).is_(None),
                    col(PactOutbox.next_attempt_at) <= moment,
                )
                .order_by(col(PactOutbox.created_at))
                .limit(50)
            )
        )
        peers = list(session.exec(select(PactPeer)))
    accepted = 0
    for row in due:
        error: str | None = None
        try:
            headers = {"Content-Type": CONTENT_TYPE}
            peer = next((p for p in peers if _origin(p.base_url) == _origin(row.target)), None)
            if peer is not None:
                headers["Authorization"] = f"Bearer {_token(client, peer)}"
            event = dict(row.event)
            if not event.get("source"):
                event["source"] = settings.base_url
            response = client.post(row.target, json=event, headers=headers)
            if not 200 <= response.status_code < 300:
                error = f"HTTP {response.status_code}: {response.text[:200]}"
        except (httpx.HTTPError, KeyError, ValueError) as exc:
            error = f"{type(exc).__name__}: {exc}"[:300]
        with Session(engine) as session:
            stored = session.get(PactOutbox, row.id)
            if stored is None:
                continue
            stored.attempts += 1
            if error is None:
                stored.delivered_at = utcnow()
                accepted += 1
            else:
                stored.last_error = error
                delay = timedelta(seconds=settings.pact_retry_seconds * 2 ** (stored.attempts - 1))
                stored.next_attempt_at = moment + min(delay, MAX_BACKOFF)
                created = stored.created_at
                if created.tzinfo is None:
                    created = created.replace(tzinfo=UTC)
                if moment - created > GIVE_UP_AFTER:
                    stored.given_up_at = moment
                log.warning("PACT event %s to %s not accepted: %s", row.id, row.target, error)
            session.add(stored)
            session.commit()
    return accepted


class DeliveryLoop:
    """A daemon thread that delivers due outbox events every ``interval`` seconds."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        *,
        interval: float = 0.5,
        client_factory: Callable[[], httpx.Client] | None = None,
    ) -> None:
        self._engine, self._settings, self._interval = engine, settings, interval
        self._factory = client_factory or (lambda: httpx.Client(timeout=30, verify=_verify()))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pact-delivery", daemon=True)

    def start(self) -> None:
        """Start delivering."""
        self._thread.start()

    def stop(self) -> None:
        """Stop after the current round."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def _run(self) -> None:
        with self._factory() as client:
            while not self._stop.is_set():
                try:
                    deliver_due(self._engine, self._settings, client)
                except Exception:  # the loop must survive a database hiccup; logged
                    log.exception("PACT event delivery round failed")
                self._stop.wait(self._interval)


def _verify() -> Any:
    """TLS trust of outgoing events: ``TANJI_PACT_CA_FILE`` (a private CA), else the system's."""
    import os
    import ssl

    cafile = os.environ.get("TANJI_PACT_CA_FILE")
    return ssl.create_default_context(cafile=cafile) if cafile else True
