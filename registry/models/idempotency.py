"""Bookkeeping tables: idempotent POST replies and certificate number counters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from registry.models.common import UTCDateTime, utcnow


class IdempotencyEntry(SQLModel, table=True):
    """The stored reply to a POST made with an ``Idempotency-Key`` header."""

    __tablename__ = "idempotency_entry"
    __table_args__ = (UniqueConstraint("org_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    org_id: str = Field(foreign_key="organisation.id")
    key: str = Field(max_length=200)
    #: ``METHOD path`` + SHA-256 of the request body: the same key with another request conflicts.
    request_hash: str
    status_code: int
    response: Any = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CertificateCounter(SQLModel, table=True):
    """Last certificate serial issued per year (``CQ-CFL-<year>-<serial>``)."""

    __tablename__ = "certificate_counter"
    year: int = Field(primary_key=True)
    last: int = 0
