"""Readers for the JSON wire values of bundles and trust files: hex, addresses, integers.

Each raises ``BundleFormatError`` naming the offending field and a stable ``format`` code, so that a
malformed input reads as one clear result and never as a traceback.
"""

import re
from typing import Any, Final

from verifier.errors import BundleFormatError
from verifier.protocol.codes import Code

_HEX: Final = re.compile(r"0x[0-9a-fA-F]*")
# Strings (skipped whole, escapes included) or single brackets.
_JSON_TOKENS: Final = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')
ADDRESS_BYTES: Final = 20
# Integers on the wire (chain ids, block numbers, timestamps) must fit an EVM uint64.
MAX_UINT64: Final = 2**64 - 1


def hex_bytes(value: Any, field: str, length: int | None = None) -> bytes:
    """Decode a ``0x``-prefixed hex string of exactly ``length`` bytes (any length when None)."""
    if not isinstance(value, str):
        raise BundleFormatError(
            f"{field} must be a 0x-prefixed hex string", field=field, code=Code.FORMAT_WRONG_TYPE
        )
    if _HEX.fullmatch(value) is None or len(value) % 2:
        raise BundleFormatError(
            f"{field} is not 0x-prefixed hex of whole bytes", field=field, code=Code.FORMAT_BAD_HEX
        )
    data = bytes.fromhex(value[2:])
    if length is not None and len(data) != length:
        raise BundleFormatError(
            f"{field} must be {length} bytes, not {len(data)}",
            field=field,
            code=Code.FORMAT_WRONG_LENGTH,
        )
    return data


def address(value: Any, field: str) -> str:
    """Read an EVM address; returned lower-case, since addresses compare checksum-insensitively."""
    return "0x" + hex_bytes(value, field, ADDRESS_BYTES).hex()


def uint(value: Any, field: str, *, minimum: int = 0) -> int:
    """Read a JSON integer in ``[minimum, 2**64 - 1]`` (booleans are not integers here)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise BundleFormatError(
            f"{field} must be an integer", field=field, code=Code.FORMAT_WRONG_TYPE
        )
    if not minimum <= value <= MAX_UINT64:
        raise BundleFormatError(
            f"{field} must be between {minimum} and {MAX_UINT64}",
            field=field,
            code=Code.FORMAT_BAD_VALUE,
        )
    return value


def text(value: Any, field: str) -> str:
    """Read a non-empty JSON string."""
    if not isinstance(value, str):
        raise BundleFormatError(
            f"{field} must be a string", field=field, code=Code.FORMAT_WRONG_TYPE
        )
    if not value:
        raise BundleFormatError(
            f"{field} must not be empty", field=field, code=Code.FORMAT_BAD_VALUE
        )
    return value


def member(obj: Any, name: str, path: str) -> Any:
    """The member ``name`` of the JSON object ``obj`` (at ``path``), which must be present."""
    if name not in obj:
        raise BundleFormatError(
            f"{path + name} is missing", field=path + name, code=Code.FORMAT_MISSING_FIELD
        )
    return obj[name]


def json_object(value: Any, field: str) -> dict[str, Any]:
    """Check that a value is a JSON object."""
    if not isinstance(value, dict):
        raise BundleFormatError(
            f"{field or 'bundle'} must be a JSON object",
            field=field or None,
            code=Code.FORMAT_WRONG_TYPE if field else Code.FORMAT_NOT_OBJECT,
        )
    return value


def json_list(value: Any, field: str) -> list[Any]:
    """Check that a value is a JSON array."""
    if not isinstance(value, list):
        raise BundleFormatError(
            f"{field} must be a JSON array", field=field, code=Code.FORMAT_WRONG_TYPE
        )
    return value


def json_depth_exceeds(data: bytes | bytearray | str, limit: int) -> bool:
    """True when the JSON text ``data`` nests arrays/objects more than ``limit`` deep.

    Run before any JSON parser sees untrusted input: CPython's C parser recurses once per level.
    Brackets inside strings do not count. Fewer brackets than the limit cannot nest deeper than
    it, so the common case costs two C-speed counts; otherwise one regex pass over the tokens.
    Malformed JSON is not judged here (the parser refuses it).
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    depth = 0
    for token in _JSON_TOKENS.findall(raw):
        if token in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif token in (b"]", b"}"):
            depth -= 1
    return False
