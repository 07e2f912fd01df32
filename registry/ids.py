"""Identifiers the registry hands out: short, unguessable, URL-safe record ids and salts."""

from __future__ import annotations

import secrets
from typing import Final

from verifier.protocol.records import SALT_BYTES

# Crockford-style base32 without look-alikes (no I, L, O, U): easy to read off a printed label.
ALPHABET: Final = "0123456789abcdefghjkmnpqrstvwxyz"
#: 12 characters of a 32-letter alphabet = 60 bits: unguessable for a public label URL.
ID_LENGTH: Final = 12


def new_record_id(prefix: str = "") -> str:
    """A fresh random id such as ``fp-7k2m9q4x1c8d`` (``prefix`` is prepended with a dash)."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(ID_LENGTH))
    return f"{prefix}-{body}" if prefix else body


def new_master_salt() -> bytes:
    """A record's 32-byte master salt (verifier.protocol.leaf derives per-field salts from it)."""
    return secrets.token_bytes(SALT_BYTES)
