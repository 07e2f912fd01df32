"""Text a record may carry: no character that makes a reader see other text than is stored.

Control characters (Unicode category Cc: NUL, the ESC that starts an ANSI escape, C1 controls),
format characters (Cf: the bidi embeddings and overrides U+202A–U+202E and isolates U+2066–U+2069,
the zero-width U+200B–U+200F, U+2060 and U+FEFF), surrogates (Cs) and line or paragraph
separators (Zl, Zp) make a wallet, a page title, a terminal or a printed label show something
other than the stored string ("Trojan Source", CVE-2021-42574). One rule for every signed
statement (:func:`verifier.protocol.eip712.read_text`) and for every name and note the registry
stores.
"""

import unicodedata
from typing import Final

__all__ = ["HIDDEN_CATEGORIES", "describe_character", "hidden_character"]

#: Unicode general categories refused in text.
HIDDEN_CATEGORIES: Final = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def hidden_character(value: str, *, allow: str = "") -> tuple[int, str] | None:
    """The first refused character of ``value`` as ``(index, character)``, or ``None``.

    ``allow`` names characters accepted although their category is refused (a line feed in a
    multi-line note).
    """
    for index, char in enumerate(value):
        if char not in allow and unicodedata.category(char) in HIDDEN_CATEGORIES:
            return index, char
    return None


def describe_character(char: str) -> str:
    """``U+202E RIGHT-TO-LEFT OVERRIDE``: a character named for a message (never shown raw)."""
    name = unicodedata.name(char, "") or unicodedata.category(char)
    return f"U+{ord(char):04X} {name}"
