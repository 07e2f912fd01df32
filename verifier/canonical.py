"""RFC 8785 (JSON Canonicalization Scheme) — the byte form every record is hashed in."""

from typing import Any

import rfc8785

from verifier.errors import BundleFormatError


def canonicalize(value: Any) -> bytes:
    """Return the RFC 8785 canonical UTF-8 bytes of a JSON value.

    Raises ``BundleFormatError`` for values JSON cannot carry canonically (NaN, infinities,
    integers beyond IEEE 754 double precision, non-string keys).
    """
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise BundleFormatError(f"value cannot be canonicalised (RFC 8785): {exc}") from exc
