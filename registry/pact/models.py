"""The PACT tables: API clients, sharing grants, and the event outbox and inbox.

New tables only (``registry.db`` creates a table its database lacks on every start, no numbered
migration step): ``pact_client`` (OAuth client credentials, the secret stored as a hash),
``pact_grant`` (a data owner's explicit grant to one requesting organisation),
``pact_outbox`` (CloudEvents to send, durable and retried with backoff) and ``pact_inbox``
(CloudEvents received, answered from the outbox).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field as SQLField
from sqlmodel import SQLModel

from registry.models.common import UTCDateTime, utcnow


class PactClient(SQLModel, table=True):
    """OAuth 2.0 client credentials of one organisation (``tanji pact credentials create``)."""

    __tablename__ = "pact_client"
    client_id: str = SQLField(primary_key=True)
    org_id: str = SQLField(foreign_key="organisation.id", index=True)
    secret_hash: str  # hex SHA-256 of the secret (registry.security's reasoning applies)
    #: Where this organisation's own PACT host takes events (its ``/3/events``), if it has one.
    events_url: str | None = None
    created_at: datetime = SQLField(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = SQLField(default=None, sa_type=UTCDateTime)


class PactGrant(SQLModel, table=True):
    """A data owner lets one requesting organisation read its footprints over PACT."""

    __tablename__ = "pact_grant"
    __table_args__ = (UniqueConstraint("owner_org_id", "recipient_org_id"),)
    id: int | None = SQLField(default=None, primary_key=True)
    owner_org_id: str = SQLField(foreign_key="organisation.id", index=True)
    recipient_org_id: str = SQLField(foreign_key="organisation.id", index=True)
    created_at: datetime = SQLField(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = SQLField(default=None, sa_type=UTCDateTime)


class PactOutbox(SQLModel, table=True):
    """A CloudEvent to POST to another host's ``/3/events``, kept until it is accepted.

    ``target`` is the receiving ``/3/events`` URL; ``token_url``, ``client_id`` and
    ``client_secret`` the credentials that host gave this deployment (``tanji pact peer add``),
    or none for a host that takes events without authentication.
    """

    __tablename__ = "pact_outbox"
    id: str = SQLField(primary_key=True)  # the CloudEvent id
    target: str
    event: dict[str, Any] = SQLField(sa_column=Column(JSON, nullable=False))
    attempts: int = 0
    next_attempt_at: datetime = SQLField(default_factory=utcnow, index=True, sa_type=UTCDateTime)
    delivered_at: datetime | None = SQLField(default=None, index=True, sa_type=UTCDateTime)
    given_up_at: datetime | None = SQLField(default=None, sa_type=UTCDateTime)
    last_error: str | None = None
    created_at: datetime = SQLField(default_factory=utcnow, sa_type=UTCDateTime)


class PactPeer(SQLModel, table=True):
    """Credentials another PACT host issued to one of our organisations (to send it events)."""

    __tablename__ = "pact_peer"
    id: int | None = SQLField(default=None, primary_key=True)
    org_id: str = SQLField(foreign_key="organisation.id", index=True)
    base_url: str = SQLField(index=True)  # the other host, https://host[:port]
    client_id: str
    client_secret: str  # needed in the clear to authenticate; like a keystore password
    created_at: datetime = SQLField(default_factory=utcnow, sa_type=UTCDateTime)


class PactInbox(SQLModel, table=True):
    """A CloudEvent another host sent us; ``org_id`` is the organisation whose PACT client
    (credentials we issued to that host) authenticated it."""

    __tablename__ = "pact_inbox"
    __table_args__ = (UniqueConstraint("org_id", "source", "event_id"),)
    id: int | None = SQLField(default=None, primary_key=True)
    org_id: str = SQLField(foreign_key="organisation.id", index=True)
    event_id: str
    source: str
    type: str = SQLField(index=True)
    event: dict[str, Any] = SQLField(sa_column=Column(JSON, nullable=False))
    received_at: datetime = SQLField(default_factory=utcnow, sa_type=UTCDateTime)
