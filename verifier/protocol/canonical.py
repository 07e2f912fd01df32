"""RFC 8785 (JSON Canonicalization Scheme) — the byte form every record is hashed in — and the
protocol's rule for JSON numbers (docs/PROTOCOL.md, section 2, "Numbers").

Bundles follow I-JSON (RFC 7493), as RFC 8785 assumes: every JSON number is read as the IEEE 754
double nearest to it, and is accepted only when that double is finite and its magnitude is below
2**53, so that every verifier, in any language, reads the same value. The rule judges the value,
never the spelling: ``1e20``, ``1E20``, ``1.0e20`` and ``100000000000000000000`` are refused
alike; ``1.5``, ``1.50`` and ``15e-1`` are one value with one canonical form (``1.5``).
"""

import math
from collections.abc import Mapping
from typing import Any, Final

import rfc8785

from verifier.errors import BundleFormatError
from verifier.protocol.codes import Code

#: Every accepted JSON number's magnitude is below this (2**53: integers stay exact as doubles).
NUMBER_LIMIT: Final = 2**53
# A JSON integer of more digits than this is at least 10**16 > 2**53: refused, so it is not worth
# converting exactly (CPython also refuses to convert more than 4,300 digits).
_MAX_SAFE_DIGITS: Final = len(str(NUMBER_LIMIT - 1))


def number_in_range(value: int | float) -> bool:
    """True when a JSON number is one the protocol accepts: finite and ``|value| < 2**53``."""
    if isinstance(value, float):
        return math.isfinite(value) and abs(value) < NUMBER_LIMIT
    return abs(value) < NUMBER_LIMIT


def read_int(text: str) -> int | float:
    """``json.loads``'s ``parse_int``: an integer as its value (a refused one stays refused)."""
    if len(text.lstrip("-")) > _MAX_SAFE_DIGITS:
        return float(text)  # out of range whatever its digits; check_numbers says where
    return int(text)


def read_float(text: str) -> int | float:
    """``json.loads``'s ``parse_float``: a number with a fraction or exponent, read as its double.

    An integral value within range is returned as an ``int``, so that ``1e2``, ``100.0`` and
    ``100`` are the same value to every reader (a JavaScript verifier cannot tell them apart).
    """
    value = float(text)  # the nearest double: "1e400" is inf, refused by check_numbers
    if value.is_integer() and abs(value) < NUMBER_LIMIT:
        return int(value)
    return value


def check_numbers(value: Any, path: str = "") -> None:
    """Refuse the first number outside the protocol's range in a decoded JSON value.

    Members are visited in RFC 8785 order (UTF-16 code units), arrays in order, so every verifier
    names the same field. Raises ``BundleFormatError`` with ``FORMAT_NUMBER_OUT_OF_RANGE`` and
    the number's path (``record.footprint.value``, ``record.list[3]``).
    """
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return
    if isinstance(value, int | float):
        if not number_in_range(value):
            where = path or "the value"
            raise BundleFormatError(
                f"{where} is {value!r}: a JSON number must be finite and below 2^53 in magnitude "
                "(I-JSON, RFC 7493)",
                field=path or None,
                code=Code.FORMAT_NUMBER_OUT_OF_RANGE,
            )
        return
    if isinstance(value, Mapping):
        names = sorted(value, key=lambda n: str(n).encode("utf-16-be", "surrogatepass"))
        for name in names:
            check_numbers(value[name], f"{path}.{name}" if path else str(name))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            check_numbers(item, f"{path}[{index}]")


def canonicalize(value: Any) -> bytes:
    """Return the RFC 8785 canonical UTF-8 bytes of a JSON value.

    Raises ``BundleFormatError`` for values the protocol cannot carry canonically: numbers that
    are not finite or reach 2**53 in magnitude (``FORMAT_NUMBER_OUT_OF_RANGE``, see
    ``check_numbers``), lone surrogates, non-string keys.
    """
    check_numbers(value)
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise BundleFormatError(f"value cannot be canonicalised (RFC 8785): {exc}") from exc
