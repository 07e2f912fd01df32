"""API keys: generation, storage as a hash, and lookup.

A key looks like ``tnj_<key id>_<secret>``. The key id (public, 8 characters) finds the row; the
row stores only ``sha256(key)``, compared in constant time. SHA-256 rather than a slow password
hash (argon2/bcrypt) is deliberate: the secret is 32 random bytes (256 bits) from ``secrets``, so
guessing is infeasible however fast the hash is — slow hashes only help low-entropy passwords —
and a fast hash keeps every authenticated request cheap.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Final

from registry.errors import AuthenticationError

PREFIX: Final = "tnj"
KEY_ID_BYTES: Final = 6
SECRET_BYTES: Final = 32


@dataclass(frozen=True, slots=True)
class NewApiKey:
    """A freshly generated key: ``plaintext`` is shown once and never stored."""

    key_id: str
    plaintext: str
    key_hash: str


def generate_api_key() -> NewApiKey:
    """Generate a random API key."""
    key_id = secrets.token_urlsafe(KEY_ID_BYTES).replace("_", "x").replace("-", "y")
    plaintext = f"{PREFIX}_{key_id}_{secrets.token_urlsafe(SECRET_BYTES)}"
    return NewApiKey(key_id=key_id, plaintext=plaintext, key_hash=hash_api_key(plaintext))


def hash_api_key(plaintext: str) -> str:
    """The stored form of a key: hex SHA-256 of its UTF-8 bytes."""
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def key_id_of(plaintext: str) -> str:
    """The key id of ``tnj_<id>_<secret>``; raises :class:`AuthenticationError` if malformed."""
    parts = plaintext.split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1] or not parts[2]:
        raise AuthenticationError(
            "the API key is malformed: expected tnj_<id>_<secret>", code="invalid_api_key"
        )
    return parts[1]


def key_matches(plaintext: str, stored_hash: str) -> bool:
    """Constant-time comparison of a presented key with a stored hash."""
    return hmac.compare_digest(hash_api_key(plaintext), stored_hash)
