"""``Idempotency-Key`` support: a retried POST gets the first reply, never a second record."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlmodel import Session, select

from registry.errors import ConflictError, InvalidInputError
from registry.models.idempotency import IdempotencyEntry
from verifier.errors import BundleFormatError
from verifier.protocol.canonical import canonicalize
from verifier.protocol.codes import Code

MAX_KEY_LENGTH = 200


def request_hash(*, method: str, path: str, body: Any) -> str:
    """Fingerprint of a request: method, path and the canonical JSON body.

    Raises :class:`InvalidInputError` for a body without a canonical form: a number no record can
    carry (``number_out_of_range``, docs/PROTOCOL.md section 2) or a lone surrogate.
    """
    try:
        canonical = canonicalize(body)
    except BundleFormatError as exc:
        out_of_range = exc.code == Code.FORMAT_NUMBER_OUT_OF_RANGE
        code = "number_out_of_range" if out_of_range else "not_canonical"
        raise InvalidInputError(str(exc), code=code, field=exc.field) from exc
    return hashlib.sha256(f"{method} {path}\n".encode() + canonical).hexdigest()


def check_key(key: str) -> str:
    """Validate an ``Idempotency-Key`` header value."""
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise InvalidInputError(
            f"Idempotency-Key must be 1-{MAX_KEY_LENGTH} printable ASCII characters",
            code="invalid_idempotency_key",
            field="header.Idempotency-Key",
        )
    return key


def stored_reply(
    session: Session, *, org_id: str, key: str, fingerprint: str
) -> IdempotencyEntry | None:
    """The reply stored for this key, or ``None``; a different request under it is a 409."""
    entry = session.exec(
        select(IdempotencyEntry).where(
            IdempotencyEntry.org_id == org_id, IdempotencyEntry.key == key
        )
    ).first()
    if entry is not None and entry.request_hash != fingerprint:
        raise ConflictError(
            "this Idempotency-Key was already used with a different request",
            code="idempotency_conflict",
            field="header.Idempotency-Key",
        )
    return entry


def remember_reply(
    session: Session,
    *,
    org_id: str,
    key: str,
    fingerprint: str,
    status_code: int,
    response: Any,
) -> None:
    """Store a reply in the caller's transaction (no commit): it lands with the records."""
    session.add(
        IdempotencyEntry(
            org_id=org_id,
            key=key,
            request_hash=fingerprint,
            status_code=status_code,
            response=response,
        )
    )
