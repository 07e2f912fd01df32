"""Language tags (BCP 47) that Tanji's pages, artwork and verifier messages are written in.

Text anywhere in Tanji is data keyed by one of :data:`LANGUAGES`; code never carries a
per-language field. ``zh`` alone means Simplified Chinese (mainland readers); ``zh-HK``,
``zh-TW``, ``zh-MO`` and any ``zh-Hant-*`` mean Traditional Chinese (Hong Kong readers).
"""

from __future__ import annotations

from typing import Final, Literal

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "LIST_SEPARATORS",
    "TRADITIONAL_REGIONS",
    "Language",
    "negotiate",
    "normalize",
]

Language = Literal["zh-Hans", "zh-Hant", "en"]
#: Every language Tanji writes, in the order a language switch lists them.
LANGUAGES: Final[tuple[Language, ...]] = ("zh-Hans", "zh-Hant", "en")
#: Chongqing consumers first.
DEFAULT_LANGUAGE: Final[Language] = "zh-Hans"
#: Each language's name in itself (for a language switch).
LANGUAGE_NAMES: Final[dict[Language, str]] = {
    "zh-Hans": "简体中文",
    "zh-Hant": "繁體中文",
    "en": "English",
}
#: What joins the items of a list in a message (``{by}``: several names), by language: the
#: enumeration comma ``、`` in Chinese, ``", "`` in English.
LIST_SEPARATORS: Final[dict[Language, str]] = {
    "zh-Hans": "、",
    "zh-Hant": "、",
    "en": ", ",
}
#: Region subtags whose Chinese readers read Traditional characters.
TRADITIONAL_REGIONS: Final = frozenset({"hk", "tw", "mo"})


def normalize(tag: str | None) -> Language | None:
    """The language of a BCP 47 tag, or None when Tanji does not write it.

    ``en``, ``en-SG`` → ``en``; ``zh``, ``zh-CN``, ``zh-SG``, ``zh-Hans`` → ``zh-Hans``;
    ``zh-HK``, ``zh-TW``, ``zh-MO``, ``zh-Hant``, ``zh-Hant-HK`` → ``zh-Hant``. Case-insensitive;
    ``_`` is read as ``-``.
    """
    if not tag:
        return None
    parts = tag.strip().replace("_", "-").lower().split("-")
    if parts[0] == "en":
        return "en"
    if parts[0] != "zh":
        return None
    subtags = parts[1:]
    if "hant" in subtags:
        return "zh-Hant"
    if "hans" in subtags:
        return "zh-Hans"
    return "zh-Hant" if TRADITIONAL_REGIONS.intersection(subtags) else "zh-Hans"


def negotiate(
    query: str | None, accept_language: str | None, *, default: Language = DEFAULT_LANGUAGE
) -> Language:
    """``query`` (a ``?lang=`` value) when Tanji writes it, else the best of ``Accept-Language``.

    Entries are ranked by ``q`` (a missing or unreadable ``q`` counts as 1 and 0 respectively);
    on a tie the earlier entry wins; ``q=0`` excludes. Falls back to ``default``.
    """
    chosen = normalize(query)
    if chosen is not None:
        return chosen
    best: tuple[float, int, Language] | None = None
    for position, item in enumerate((accept_language or "").split(",")):
        tag, _, params = item.partition(";")
        lang = normalize(tag)
        if lang is None:
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality <= 0:
            continue
        candidate = (quality, -position, lang)
        if best is None or candidate[:2] > best[:2]:
            best = candidate
    return best[2] if best is not None else default
