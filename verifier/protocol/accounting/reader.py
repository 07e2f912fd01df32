"""Reading a decoded document member by member, collecting every fault with its path.

Each method checks one member and returns its value, or ``None`` after recording an issue; the
caller goes on with the next member, so a document's faults are all reported at once.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from decimal import Decimal
from typing import Any

from verifier.protocol.accounting.decimals import MAX_DECIMAL_LENGTH, read_decimal
from verifier.protocol.accounting.errors import Issues
from verifier.protocol.accounting.formats import LIMITS
from verifier.protocol.languages import LANGUAGES
from verifier.protocol.text import describe_character, hidden_character

__all__ = ["MISSING", "Reader", "join"]

#: What ``mapping.get(name, MISSING)`` gives for an absent member: every read returns ``None``
#: for it without a second issue (``missing_field`` was recorded by :meth:`Reader.mapping`).
MISSING: Any = object()

# The characters of ASCII text that hidden_character refuses (category Cc).
_ASCII_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TYPE_NAMES = {dict: "an object", list: "a list", str: "a string", int: "an integer"}


def join(path: str, name: str | int) -> str:
    """``path`` extended by a member name (``lines[3].unit``) or an index (``lines[3]``)."""
    if isinstance(name, int):
        return f"{path}[{name}]"
    return f"{path}.{name}" if path else name


class Reader:
    """Typed reads of decoded JSON values; faults go to ``issues``."""

    def __init__(self, issues: Issues | None = None) -> None:
        self.issues = issues if issues is not None else Issues()

    def mapping(
        self,
        value: Any,
        path: str,
        *,
        required: Collection[str] = (),
        optional: Collection[str] = (),
    ) -> Mapping[str, Any] | None:
        """An object with every ``required`` member and no member outside ``optional``."""
        if value is MISSING:
            return None
        if not isinstance(value, Mapping):
            self._wrong_type(value, path, dict)
            return None
        for name in required:
            if name not in value:
                self.issues.add("missing_field", join(path, name), f"{name} is required")
        allowed = set(required) | set(optional)
        for name in value:
            if name not in allowed:
                self.issues.add(
                    "unknown_field", join(path, str(name)), f"{name!r} is not a member here"
                )
        return value

    def items(self, value: Any, path: str, *, limit: int, minimum: int = 0) -> list[Any] | None:
        """A list of ``minimum`` to ``limit`` items."""
        if value is MISSING:
            return None
        if not isinstance(value, list):
            self._wrong_type(value, path, list)
            return None
        if len(value) > limit:
            self.issues.add("too_many", path, f"at most {limit} items", limit=limit)
            return None
        if len(value) < minimum:
            self.issues.add("missing_field", path, f"at least {minimum} item(s)")
            return None
        return value

    def string(
        self,
        value: Any,
        path: str,
        *,
        limit: int = LIMITS["MAX_TEXT"],
        pattern: re.Pattern[str] | None = None,
        choices: Collection[str] | None = None,
    ) -> str | None:
        """A non-empty string of at most ``limit`` characters, without hidden characters,
        matching ``pattern`` (whole) or one of ``choices`` when given."""
        if value is MISSING:
            return None
        if not isinstance(value, str):
            self._wrong_type(value, path, str)
            return None
        if len(value) > limit:
            self.issues.add("too_long", path, f"at most {limit} characters", limit=limit)
            return None
        if choices is not None and value not in choices:
            self.issues.add(
                "bad_value",
                path,
                f"{value!r} is not one of {', '.join(choices)}",
                allowed=list(choices),
            )
            return None
        if not value.strip():
            self.issues.add("bad_value", path, "must not be empty")
            return None
        if pattern is not None and pattern.fullmatch(value) is None:
            self.issues.add("bad_value", path, f"{value!r} does not match {pattern.pattern}")
            return None
        hidden = None
        if not value.isascii() or _ASCII_CONTROL.search(value):
            hidden = hidden_character(value)
        if hidden is not None:
            self.issues.add(
                "bad_value", path, f"holds the hidden character {describe_character(hidden[1])}"
            )
            return None
        return value

    def decimal(
        self,
        value: Any,
        path: str,
        *,
        minimum: Decimal | None = Decimal(0),
        maximum: Decimal | None = None,
        positive: bool = False,
    ) -> Decimal | None:
        """A decimal string (or a JSON integer), exact, within the bounds given."""
        if value is MISSING:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.issues.add(
                "bad_number",
                path,
                'a decimal is written as a string ("0.42"), never as a JSON fraction',
            )
            return None
        if isinstance(value, int) and not abs(value) < 2**53:
            self.issues.add(
                "bad_number", path, "a JSON integer is below 2^53 in magnitude; write a string"
            )
            return None
        text = str(value)
        number = read_decimal(text)
        if number is None:
            self.issues.add(
                "bad_number",
                path,
                f"{text[:50]!r} is not a decimal string (digits, optional fraction, no exponent, "
                f"at most {MAX_DECIMAL_LENGTH} characters)",
            )
            return None
        if positive and number <= 0:
            self.issues.add("bad_number", path, f"{text} must be greater than 0")
            return None
        if minimum is not None and number < minimum:
            self.issues.add("bad_number", path, f"{text} must be at least {minimum}")
            return None
        if maximum is not None and number > maximum:
            self.issues.add("bad_number", path, f"{text} must be at most {maximum}")
            return None
        return number

    def integer(self, value: Any, path: str, *, low: int, high: int) -> int | None:
        """A JSON integer in ``[low, high]``."""
        if value is MISSING:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self._wrong_type(value, path, int)
            return None
        if not low <= value <= high:
            self.issues.add("bad_value", path, f"{value} is not in {low}..{high}")
            return None
        return value

    def boolean(self, value: Any, path: str) -> bool | None:
        """``true`` or ``false``."""
        if value is MISSING:
            return None
        if not isinstance(value, bool):
            self.issues.add("wrong_type", path, "must be true or false")
            return None
        return value

    def names(
        self, value: Any, path: str, *, required: Collection[str] = ("zh-Hans", "en")
    ) -> dict[str, str] | None:
        """Names keyed by language tag (verifier.protocol.languages), ``required`` ones present."""
        if value is MISSING:
            return None
        found = self.mapping(value, path, required=required, optional=LANGUAGES)
        if found is None:
            return None
        names: dict[str, str] = {}
        for tag in LANGUAGES:
            if tag in found:
                text = self.string(found[tag], join(path, tag), limit=LIMITS["MAX_NAME"])
                if text is not None:
                    names[tag] = text
        return names

    def _wrong_type(self, value: Any, path: str, expected: type) -> None:
        self.issues.add(
            "wrong_type",
            path,
            f"must be {_TYPE_NAMES[expected]}, not {type(value).__name__}",
        )
