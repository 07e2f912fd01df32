"""PACT authentication: OAuth 2.0 client credentials and the bearer tokens they buy.

A client is ``client_id`` (public, ``pact_<random>``) and a secret (32 random bytes, stored only
as its SHA-256, compared in constant time: :mod:`registry.security`'s reasoning). An access token
is ``<payload>.<signature>``: the base64url JSON ``{"cid", "org", "exp"}`` signed with
HMAC-SHA256 under the deployment's token key, so checking one needs no token table; revoking a
client ends its tokens at once because :func:`verify_token`'s caller still reads the client row.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from sqlmodel import Session

from registry.audit import record_audit
from registry.config import Settings
from registry.errors import NotFoundError
from registry.models.common import utcnow
from registry.models.orgs import Organisation
from registry.pact.errors import OAuthError, PactApiError
from registry.pact.models import PactClient

CLIENT_PREFIX: Final = "pact_"
SECRET_BYTES: Final = 32
TOKEN_KEY_FILE: Final = "pact-token.key"
TOKEN_TYPE: Final = "Bearer"


@dataclass(frozen=True, slots=True)
class NewClient:
    """Freshly created credentials: ``client_secret`` is shown once and never stored."""

    client_id: str
    client_secret: str
    org_id: str


@dataclass(frozen=True, slots=True)
class TokenClaims:
    """What a valid access token says: which client, for which organisation, until when."""

    client_id: str
    org_id: str
    expires_at: int


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_client(session: Session, *, org: Organisation) -> NewClient:
    """New client credentials for ``org`` (no commit); audited without the secret."""
    client_id = CLIENT_PREFIX + secrets.token_hex(12)
    secret = secrets.token_urlsafe(SECRET_BYTES)
    session.add(PactClient(client_id=client_id, org_id=org.id, secret_hash=_hash(secret)))
    record_audit(
        session,
        action="pact.client.create",
        subject_type="pact_client",
        subject_id=client_id,
        after={"client_id": client_id, "org_id": org.id},
    )
    return NewClient(client_id=client_id, client_secret=secret, org_id=org.id)


def revoke_client(session: Session, *, client_id: str) -> PactClient:
    """Revoke a client (no commit): its secret and every token it holds stop working."""
    client = session.get(PactClient, client_id)
    if client is None:
        raise NotFoundError(f"no PACT client {client_id!r}", field="client_id")
    if client.revoked_at is None:
        client.revoked_at = utcnow()
        session.add(client)
        record_audit(
            session,
            action="pact.client.revoke",
            subject_type="pact_client",
            subject_id=client_id,
            before={"revoked": False},
            after={"revoked": True},
        )
    return client


def authenticate_client(session: Session, client_id: str, secret: str) -> PactClient:
    """The active client with these credentials, or :class:`OAuthError` ``invalid_client``."""
    client = session.get(PactClient, client_id) if client_id.startswith(CLIENT_PREFIX) else None
    presented = _hash(secret)
    stored = client.secret_hash if client is not None else _hash("")
    if client is None or not hmac.compare_digest(presented, stored) or client.revoked_at:
        raise OAuthError("Authentication failed", code="invalid_client")
    return client


def parse_basic(header: str | None) -> tuple[str, str]:
    """``(client_id, secret)`` of an HTTP Basic ``Authorization`` header (RFC 6749 2.3.1)."""
    from urllib.parse import unquote_plus

    if not header or not header[:6].lower() == "basic ":
        raise OAuthError("HTTP Basic client authentication is required", code="invalid_client")
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise OAuthError("malformed HTTP Basic credentials", code="invalid_client") from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise OAuthError("malformed HTTP Basic credentials", code="invalid_client")
    return unquote_plus(client_id), unquote_plus(secret)


def token_key(settings: Settings) -> bytes:
    """The HMAC key of access tokens: the setting, else the data dir's key file (made once)."""
    if settings.pact_token_secret is not None:
        return settings.pact_token_secret.get_secret_value().encode("utf-8")
    path = Path(settings.data_dir) / TOKEN_KEY_FILE
    try:
        return bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process of this deployment made it first
        return bytes.fromhex(path.read_text().strip())
    with os.fdopen(fd, "w") as out:
        out.write(key.hex())
    return key


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue_token(client: PactClient, *, key: bytes, lifetime: int, now: float | None = None) -> str:
    """A signed access token for ``client``, valid ``lifetime`` seconds."""
    claims = {
        "cid": client.client_id,
        "org": client.org_id,
        "exp": int(now or time.time()) + lifetime,
    }
    payload = _b64(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode("utf-8"))
    signature = hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest()
    return f"{payload}.{_b64(signature)}"


def verify_token(token: str, *, key: bytes, now: float | None = None) -> TokenClaims:
    """The claims of a genuine, unexpired token; :class:`PactApiError` otherwise.

    Codes are PACT's: ``BadRequest`` for a token that is not ours, ``TokenExpired`` for an old one.
    """
    payload, sep, signature = token.partition(".")
    try:
        given = _unb64(signature)
    except (binascii.Error, ValueError):
        given = b""
    expected = hmac.new(key, payload.encode("ascii", "replace"), hashlib.sha256).digest()
    if not sep or not hmac.compare_digest(given, expected):
        raise PactApiError("Invalid token provided", code="BadRequest")
    claims = json.loads(_unb64(payload))  # ours: the signature holds
    if claims["exp"] <= (now or time.time()):
        raise PactApiError("The specified access token has expired", code="TokenExpired")
    return TokenClaims(client_id=claims["cid"], org_id=claims["org"], expires_at=claims["exp"])
