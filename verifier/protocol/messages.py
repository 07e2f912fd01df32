"""Each result code's message in every language, read from ``messages.json`` (data, not code).

``messages.json`` maps a key to one template per language tag of
:data:`verifier.protocol.languages.LANGUAGES`. A key is a code's name (``FORMAT_NOT_JSON``), or
``<code name>.<check name>`` for one check's own wording of a shared code (``OK.integrity``: each
check says in its own words what it found when it passes). Every :class:`Code` has an entry.
``report_messages.json`` holds, the same way, the texts of a verification report as a whole
(verdict headlines, the recognitions summary) by their own keys.

A translator edits the JSON files; the in-browser verifier's copy is generated from them
(``scripts/gen_browser_tables.py``), so both verifiers fill templates by the rules below.

**Templates.** Literal text with placeholders in braces naming members of the result's ``data``
(``{{`` and ``}}`` are literal braces):

- ``{name}``: the member's value. A string or number as it is; a list as its items joined by
  the language's separator (:data:`~verifier.protocol.languages.LIST_SEPARATORS`: ``"、"`` in
  Chinese, ``", "`` in English); ``null`` as nothing; an object keyed by language tags
  (``{"en": ..., "zh-Hans": ...}``, e.g. a revocation reason's text) as its entry in the
  message's language. A member the data lacks reads ``?``.
- ``{name:?text}``: ``text`` when the member is present and not empty (not ``null``, ``""``,
  ``0``, ``false``, ``[]``); nothing otherwise.
- ``{name:!text}``: ``text`` when the member is absent or empty; nothing otherwise.

The two conditional forms let one template hold a sentence whose wording depends on the data
(``until {validUntilUtc}{validUntil:!withdrawn}``) without any text leaving the catalogue. Every
language's template of one key names the same members.
"""

from __future__ import annotations

import json
import string
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from verifier.protocol.codes import Code
from verifier.protocol.languages import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    LIST_SEPARATORS,
    Language,
    normalize,
)

__all__ = [
    "CHECK_SEPARATOR",
    "MESSAGES_FILE",
    "REPORT_MESSAGES_FILE",
    "catalogue",
    "entries",
    "fill",
    "message",
    "placeholders",
    "report_entries",
    "report_message",
    "template",
]

MESSAGES_FILE: Final = Path(__file__).resolve().parent / "messages.json"
REPORT_MESSAGES_FILE: Final = Path(__file__).resolve().parent / "report_messages.json"
#: Separates a code's name from a check's name in a key (``OK.integrity``).
CHECK_SEPARATOR: Final = "."
_FORMATTER: Final = string.Formatter()
_MISSING: Final = object()


def _load(path: Path) -> Mapping[str, Mapping[Language, str]]:
    raw: dict[str, dict[str, str]] = json.loads(path.read_text(encoding="utf-8"))
    return {key: {lang: texts[lang] for lang in LANGUAGES} for key, texts in raw.items()}


@lru_cache(maxsize=1)
def entries() -> Mapping[str, Mapping[Language, str]]:
    """Every entry of ``messages.json`` by its key (a code's name, or ``<code>.<check>``)."""
    return _load(MESSAGES_FILE)


@lru_cache(maxsize=1)
def report_entries() -> Mapping[str, Mapping[Language, str]]:
    """Every entry of ``report_messages.json`` by its key (``verdict.VALID`` ...)."""
    return _load(REPORT_MESSAGES_FILE)


@lru_cache(maxsize=1)
def catalogue() -> Mapping[Code, Mapping[Language, str]]:
    """Every code's templates by language (the entries of ``messages.json`` named by a code)."""
    return {Code[key]: texts for key, texts in entries().items() if key in Code.__members__}


def template(code: int, lang: str = DEFAULT_LANGUAGE, *, check: str | None = None) -> str:
    """The template of ``code`` in ``lang`` (any tag :func:`normalize` reads; English otherwise):
    ``check``'s own wording of it when the catalogue has one, else the code's."""
    if code not in Code._value2member_map_:
        return f"code {code}"
    name = Code(code).name
    texts = entries().get(f"{name}{CHECK_SEPARATOR}{check}") if check else None
    texts = texts or entries().get(name)
    if texts is None:
        return f"code {code}"
    return texts[normalize(lang) or "en"]


def placeholders(text: str) -> frozenset[str]:
    """The data members a template names (``{name}``, ``{name:?...}``, ``{name:!...}``)."""
    return frozenset(name for _, name, _, _ in _FORMATTER.parse(text) if name is not None)


def fill(text: str, data: Mapping[str, Any] | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """``text`` with its placeholders filled from ``data`` by the rules of this module."""
    language: Language = normalize(lang) or "en"
    values = data or {}
    parts: list[str] = []
    for literal, name, spec, _ in _FORMATTER.parse(text):
        parts.append(literal)
        if name is None:
            continue
        value = _localized(values.get(name, _MISSING), language)
        spec = spec or ""
        if spec.startswith("?"):
            parts.append(spec[1:] if _present(value) else "")
        elif spec.startswith("!"):
            parts.append("" if _present(value) else spec[1:])
        else:
            parts.append("?" if value is _MISSING else _render(value, language))
    return "".join(parts)


def message(
    code: int,
    lang: str = DEFAULT_LANGUAGE,
    data: Mapping[str, Any] | None = None,
    *,
    check: str | None = None,
) -> str:
    """``code``'s message in ``lang`` (``check``'s own wording when the catalogue has one),
    filled from ``data``."""
    return fill(template(code, lang, check=check), data, lang)


def report_message(
    key: str, lang: str = DEFAULT_LANGUAGE, data: Mapping[str, Any] | None = None
) -> str:
    """The report text ``key`` (``verdict.INVALID`` ...) in ``lang``, filled from ``data``."""
    return fill(report_entries()[key][normalize(lang) or "en"], data, lang)


def _localized(value: Any, lang: Language) -> Any:
    if isinstance(value, Mapping) and value and set(value) <= set(LANGUAGES):
        return value.get(lang, "")
    return value


def _present(value: Any) -> bool:
    return value is not _MISSING and bool(value)


def _render(value: Any, lang: Language) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return LIST_SEPARATORS[lang].join(_render(item, lang) for item in value)
    return str(value)
