"""The label-scheme rule: which certification scheme a label was issued under (docs/PROTOCOL.md).

A recognition with ``subjectType`` ``scheme`` is about every label of one scheme and category; the
verifier (``recognition`` check, 804) and the registry (which recognitions travel in a label's
bundle) both need a label's **scheme id**, and both take it from here.

Grammar (ABNF, RFC 5234; characters are Unicode code points)::

    scheme-id          = scheme-member / certificate-scheme
    scheme-member      = <the record's "scheme" member, when it is a JSON string of 1 or more
                          characters>
    certificate-scheme = <P, where the record's "certificate_number" member is a JSON string
                          matching  P "-" year "-" serial>
    year               = 4DIGIT
    serial             = 1*DIGIT
    DIGIT              = %x30-39          ; ASCII 0-9 only, never other scripts' digits
    P                  = 1*char           ; any characters, "-" and line breaks included

- The ``scheme`` member wins when it is a non-empty string; otherwise the certificate number is
  read. ``year`` and ``serial`` are its last two ``-``-separated parts, so ``P`` is everything
  before them: ``CQ-CFL-2026-000123`` → ``CQ-CFL``; ``A-B-2026-7`` → ``A-B``.
- The result is a scheme id only if it is valid scheme text, the rule a signed ``Recognition``'s
  ``scheme`` obeys (:func:`verifier.protocol.eip712.read_text`): 1 to :data:`MAX_SCHEME` characters,
  in Unicode NFC, without control or format characters (:mod:`verifier.protocol.text`) and without
  leading or trailing whitespace.
- Otherwise the label has **no scheme id** (``None``): no scheme recognition is about it, so the
  ``recognition`` check reports one nested under it as 804, and the registry sends none with it.

A label's **category** (:func:`label_category`) is its ``product.category`` member when that is a
non-empty string, else none.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from verifier.errors import AttestationError
from verifier.protocol.eip712 import read_text

__all__ = [
    "CERTIFICATE_NUMBER_PATTERN",
    "MAX_SCHEME",
    "certificate_scheme",
    "label_category",
    "label_scheme_id",
]

#: Longest scheme id or category, in characters (code points), as in a signed ``Recognition``.
MAX_SCHEME: Final = 64
#: ``certificate-scheme`` of the grammar as a regular expression that reads alike in Python and
#: in JavaScript (with the ``u`` flag): ``[\s\S]`` is any character, line breaks included.
CERTIFICATE_NUMBER_PATTERN: Final = r"^([\s\S]+)-[0-9]{4}-[0-9]+$"
_CERTIFICATE_NUMBER: Final = re.compile(CERTIFICATE_NUMBER_PATTERN)


def _scheme_text(value: str) -> str | None:
    try:
        return read_text(value, "scheme", max_len=MAX_SCHEME)
    except AttestationError:
        return None


def certificate_scheme(certificate_number: str) -> str | None:
    """``P`` of ``P-<year>-<serial>`` (``CQ-CFL-2026-000123`` → ``CQ-CFL``), or None."""
    # fullmatch, not "$": Python's "$" also matches before a final line feed.
    match = _CERTIFICATE_NUMBER.fullmatch(certificate_number)
    return match[1] if match else None


def label_scheme_id(record: Mapping[str, Any]) -> str | None:
    """The scheme a label record was issued under (grammar above), or None if it has none."""
    scheme = record.get("scheme")
    if isinstance(scheme, str) and scheme:
        return _scheme_text(scheme)
    number = record.get("certificate_number")
    candidate = certificate_scheme(number) if isinstance(number, str) else None
    return None if candidate is None else _scheme_text(candidate)


def label_category(record: Mapping[str, Any]) -> str | None:
    """The product category code of a label record (``product.category``), or None."""
    product = record.get("product")
    category = product.get("category") if isinstance(product, Mapping) else None
    return category if isinstance(category, str) and category else None
