"""Exact decimal arithmetic of the footprint calculation (docs/PROTOCOL.md, "Footprint
calculation").

Every number is a decimal string read exactly. Products are exact: :data:`CONTEXT` has far more
digits than any product of the bounded inputs needs, and traps ``Inexact``, so an operation that
would round raises instead of rounding silently. The only rounding is :func:`divide_rounded`: an
exact rational quotient rounded once, half to even, to a fixed exponent, done in integers so that
any language with big integers reproduces it to the digit.
"""

from __future__ import annotations

import decimal
import re
from decimal import Decimal
from typing import Final

__all__ = [
    "CONTEXT",
    "DECIMAL_PATTERN",
    "LINE_EXPONENT",
    "MAX_DECIMAL_LENGTH",
    "PERCENT_EXPONENT",
    "divide_rounded",
    "fixed",
    "read_decimal",
]

#: The context of every operation: exact or an error (products of bounded inputs fit easily).
CONTEXT: Final = decimal.Context(
    prec=1000,
    rounding=decimal.ROUND_HALF_EVEN,
    Emin=-999_999,
    Emax=999_999,
    traps=[
        decimal.Inexact,
        decimal.Overflow,
        decimal.Underflow,
        decimal.InvalidOperation,
        decimal.DivisionByZero,
    ],
)
#: A decimal string of a document: optional minus, digits, optional fraction; no exponent.
DECIMAL_PATTERN: Final = re.compile(r"-?[0-9]+(\.[0-9]+)?")
#: Longest decimal string accepted (so every product stays small).
MAX_DECIMAL_LENGTH: Final = 40
#: Line values, totals and kg CO2e per declared unit are multiples of 10**LINE_EXPONENT kg.
LINE_EXPONENT: Final = -9
#: Percentages (primary data share, coverage) and data-quality averages: 2 decimals.
PERCENT_EXPONENT: Final = -2


def read_decimal(text: str) -> Decimal | None:
    """The exact value of a decimal string, or ``None`` when it is not one
    (:data:`DECIMAL_PATTERN`, at most :data:`MAX_DECIMAL_LENGTH` characters)."""
    if len(text) > MAX_DECIMAL_LENGTH or DECIMAL_PATTERN.fullmatch(text) is None:
        return None
    return Decimal(text)


def divide_rounded(numerator: Decimal, denominator: Decimal, exponent: int) -> Decimal:
    """``numerator / denominator`` rounded once, half to even, to a multiple of ``10**exponent``.

    Exact: with both operands as integer ratios (``p/q``), the quotient scaled by
    ``10**-exponent`` is the integer fraction ``num/den`` (``den > 0``); floor division gives
    ``num = quotient*den + remainder`` and the remainder decides: ``2*remainder > den`` rounds up,
    ``2*remainder == den`` rounds to the even neighbour. ``denominator`` must not be zero.
    """
    n_p, n_q = numerator.as_integer_ratio()
    d_p, d_q = denominator.as_integer_ratio()
    if d_p == 0:
        raise ZeroDivisionError("divide_rounded by zero")
    num, den = n_p * d_q, n_q * d_p
    if den < 0:
        num, den = -num, -den
    if exponent < 0:
        num *= 10**-exponent
    else:
        den *= 10**exponent
    quotient, remainder = divmod(num, den)
    twice = 2 * remainder
    if twice > den or (twice == den and quotient % 2 == 1):
        quotient += 1
    return Decimal(quotient).scaleb(exponent, context=CONTEXT)


def fixed(value: Decimal, exponent: int) -> str:
    """``value`` (a multiple of ``10**exponent``) as fixed-point text with exactly ``-exponent``
    decimals: ``"12.500000000"``, ``"0.000000000"``; never an exponent."""
    quantized = value.quantize(Decimal((0, (1,), exponent)), context=CONTEXT)
    return f"{quantized:f}"
