"""Free text the registry stores and shows: names, addresses, notes, identifiers.

The rule is the verifier's (:mod:`verifier.protocol.text`), the one signed statements follow: no
control characters (NUL, the ESC of an ANSI escape), no format characters (bidi overrides and
isolates, zero-width characters), no surrogates or line/paragraph separators. Such text reaches a
page title, the printed artwork, a terminal and other registries; refused with code ``bad_text`` at
the field. Multi-line text (notes) may hold line feeds, nothing else of those.

:data:`PlainText` and :data:`MultilineText` are the pydantic types of request bodies;
:func:`check_text` is for input that arrives otherwise (the CLI).
"""

from __future__ import annotations

from typing import Annotated, Final

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from registry.errors import InvalidInputError
from verifier.protocol.text import describe_character, hidden_character

__all__ = ["BAD_TEXT", "MultilineText", "PlainText", "check_text", "text_problem"]

BAD_TEXT: Final = "bad_text"
#: What multi-line text may hold of the refused categories.
LINE_FEED: Final = "\n"


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """Why ``value`` is refused (a message naming the character and its index), or ``None``."""
    found = hidden_character(value, allow=LINE_FEED if multiline else "")
    if found is None:
        return None
    index, char = found
    return (
        f"has the control or format character {describe_character(char)} at index {index} "
        "(bidi overrides, zero-width characters, NUL, ANSI escapes and other controls are refused)"
    )


def check_text(value: str, *, field: str, multiline: bool = False) -> str:
    """``value`` unchanged, or :class:`InvalidInputError` (``bad_text``) at ``field``."""
    problem = text_problem(value, multiline=multiline)
    if problem is not None:
        raise InvalidInputError(f"{field} {problem}", code=BAD_TEXT, field=field)
    return value


def _single_line(value: str) -> str:
    problem = text_problem(value)
    if problem is not None:
        raise PydanticCustomError(BAD_TEXT, "the text {problem}", {"problem": problem})
    return value


def _multi_line(value: str) -> str:
    problem = text_problem(value, multiline=True)
    if problem is not None:
        raise PydanticCustomError(BAD_TEXT, "the text {problem}", {"problem": problem})
    return value


#: A name, an address, an identifier: one line of visible text.
PlainText = Annotated[str, AfterValidator(_single_line)]
#: A note: visible text in lines.
MultilineText = Annotated[str, AfterValidator(_multi_line)]
