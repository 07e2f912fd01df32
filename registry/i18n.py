"""The registry's text in every language: the page message catalogue and language-keyed names.

Languages are data. The tags, their names and how a request picks one are the protocol's
(:mod:`verifier.protocol.languages`); the registry adds:

- the message catalogue of its pages and artwork, ``registry/data/messages.json``: one object per
  language tag of :data:`LANGUAGES`, the same keys in each, so a translator edits data, not code;
  the console's areas add their own catalogues of the same shape, ``registry/data/console/*.json``
  (:data:`CONSOLE_MESSAGES_DIR`), merged into one (a key defined twice is an error);
- names a person reads (a product's, a category's) as mappings from a BCP 47 tag to the text,
  stored under :data:`NAME_KEYS` and read in any language with :func:`localized`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Final, TypeVar

from registry.errors import InvalidInputError
from verifier.protocol.languages import (
    DEFAULT_LANGUAGE,
    LANGUAGE_NAMES,
    LANGUAGES,
    Language,
    negotiate,
    normalize,
)

__all__ = [
    "COMPANION",
    "CONSOLE_MESSAGES_DIR",
    "DEFAULT_LANGUAGE",
    "FALLBACKS",
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "MESSAGES_FILE",
    "NAME_KEYS",
    "REQUIRED_NAME_LANGUAGES",
    "Language",
    "as_language",
    "by_language",
    "catalogue_files",
    "choose_language",
    "language_keyed",
    "localized",
    "messages",
    "parse_names",
]

_Tag = TypeVar("_Tag", bound=str)

MESSAGES_FILE: Final = Path(__file__).resolve().parent / "data" / "messages.json"
#: The console's catalogues, one per area (``enterprise.json``, ``review.json``, ...).
CONSOLE_MESSAGES_DIR: Final = MESSAGES_FILE.parent / "console"

#: The tag each language's text is stored under in a name (a footprint's ``product_name``, a
#: label record's ``product.name`` and ``product.category_name``). Simplified Chinese keeps
#: ``zh``, the key of every record anchored before Traditional Chinese was written: records are
#: hashed and anchored, so their shape does not change (``zh`` is read as ``zh-Hans``).
NAME_KEYS: Final[Mapping[Language, str]] = {"zh-Hans": "zh", "zh-Hant": "zh-Hant", "en": "en"}
#: The languages every product name has (the registry's consumers read Simplified Chinese; PACT
#: and partner registries read English); any other language is optional.
REQUIRED_NAME_LANGUAGES: Final[tuple[Language, ...]] = ("zh-Hans", "en")
#: Which text stands in when a name lacks a language, best first.
FALLBACKS: Final[Mapping[Language, tuple[Language, ...]]] = {
    "zh-Hans": ("zh-Hans", "zh-Hant", "en"),
    "zh-Hant": ("zh-Hant", "zh-Hans", "en"),
    "en": ("en", "zh-Hans", "zh-Hant"),
}
#: The language shown beside each one where text is bilingual (the 404 page, the printed
#: artwork): Chinese with English, English with Simplified Chinese.
COMPANION: Final[Mapping[Language, Language]] = {
    "zh-Hans": "en",
    "zh-Hant": "en",
    "en": "zh-Hans",
}


def catalogue_files() -> list[Path]:
    """Every catalogue file: the pages' and each console area's."""
    return [MESSAGES_FILE, *sorted(CONSOLE_MESSAGES_DIR.glob("*.json"))]


@lru_cache(maxsize=1)
def _catalogue() -> dict[Language, dict[str, str]]:
    merged: dict[Language, dict[str, str]] = {lang: {} for lang in LANGUAGES}
    for path in catalogue_files():
        data: dict[str, dict[str, str]] = json.loads(path.read_text(encoding="utf-8"))
        for lang in LANGUAGES:
            twice = merged[lang].keys() & data[lang].keys()
            if twice:
                raise RuntimeError(f"{path.name}: {lang} keys defined twice: {sorted(twice)}")
            merged[lang].update(data[lang])
    return merged


def as_language(tag: str) -> Language:
    """The language of ``tag`` (any tag :func:`normalize` reads), else :data:`DEFAULT_LANGUAGE`."""
    return normalize(tag) or DEFAULT_LANGUAGE


def messages(lang: str) -> dict[str, str]:
    """The message catalogue of ``lang`` (any tag :func:`normalize` reads; else the default)."""
    return _catalogue()[as_language(lang)]


def choose_language(query: str | None, accept_language: str | None) -> Language:
    """``?lang=`` when it names a language Tanji writes, else the best of ``Accept-Language``.

    ``zh`` and ``zh-CN`` read as Simplified, ``zh-HK``/``zh-TW``/``zh-Hant`` as Traditional
    Chinese (:func:`verifier.protocol.languages.negotiate`); falls back to
    :data:`DEFAULT_LANGUAGE`.
    """
    return negotiate(query, accept_language)


def localized(texts: Mapping[_Tag, str], lang: str) -> str:
    """The text of ``lang`` in a language-keyed name, or the best stand-in (:data:`FALLBACKS`).

    Keys are BCP 47 tags as :func:`normalize` reads them, so a record's ``zh`` is Simplified
    Chinese. Empty when the name holds no text in a language Tanji writes.
    """
    found = by_language(texts)
    candidates = FALLBACKS[as_language(lang)]
    return next((found[candidate] for candidate in candidates if candidate in found), "")


def by_language(texts: Mapping[_Tag, str]) -> dict[Language, str]:
    """A language-keyed name's non-empty texts by language, in :data:`LANGUAGES` order.

    Keys are BCP 47 tags as :func:`normalize` reads them (a record's ``zh`` is ``zh-Hans``); on
    two keys of one language the first wins; keys of languages Tanji does not write are left out.
    """
    found: dict[Language, str] = {}
    for key, text in texts.items():
        language = normalize(key)
        if language is not None and text and language not in found:
            found[language] = text
    return {lang: found[lang] for lang in LANGUAGES if lang in found}


def parse_names(values: Iterable[str], *, field: str) -> dict[str, str]:
    """``TAG=TEXT`` options (``zh-Hant=鋰離子電芯``) as a name keyed by :data:`NAME_KEYS`.

    Raises :class:`InvalidInputError` at ``field``: ``invalid_name`` without ``=`` or text,
    ``unknown_language`` for a tag Tanji does not write or a language given twice.
    """
    pairs: list[tuple[str, str]] = []
    for value in values:
        tag, sep, text = value.partition("=")
        if not sep or not tag.strip() or not text.strip():
            raise InvalidInputError(
                f"{value!r} is not TAG=TEXT (e.g. zh-Hant=...)", code="invalid_name", field=field
            )
        pairs.append((tag.strip(), text.strip()))
    try:
        return language_keyed(pairs)
    except ValueError as exc:
        raise InvalidInputError(str(exc), code="unknown_language", field=field) from None


def language_keyed(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """``(tag, text)`` pairs as a name keyed by :data:`NAME_KEYS`, in :data:`LANGUAGES` order.

    Any tag :func:`normalize` reads is accepted (``zh-Hans`` and ``zh-CN`` are stored as ``zh``).
    Raises ``ValueError`` naming the tag for a language Tanji does not write or a language given
    twice.
    """
    texts: dict[Language, str] = {}
    for tag, text in pairs:
        language = normalize(tag)
        if language is None:
            known = ", ".join(LANGUAGES)
            raise ValueError(f"{tag!r} is not a language Tanji writes ({known})")
        if language in texts:
            raise ValueError(f"{tag!r}: a {language} text is given twice")
        texts[language] = text
    return {NAME_KEYS[lang]: texts[lang] for lang in LANGUAGES if lang in texts}
