"""Chinese and English for the public pages: language choice and the message catalogue.

Messages live in ``registry/data/messages.json`` (one object per language, the same keys in
each), so a translator edits data, not code.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Literal

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "Language", "choose_language", "messages"]

Language = Literal["zh", "en"]
LANGUAGES: tuple[Language, ...] = ("zh", "en")
#: Chongqing consumers first; a browser that asks for English gets English.
DEFAULT_LANGUAGE: Language = "zh"
MESSAGES_FILE = Path(__file__).resolve().parent / "data" / "messages.json"


@lru_cache(maxsize=1)
def _catalogue() -> dict[str, dict[str, str]]:
    data: dict[str, dict[str, str]] = json.loads(MESSAGES_FILE.read_text(encoding="utf-8"))
    return data


def messages(lang: Language) -> dict[str, str]:
    """The message catalogue of ``lang``."""
    return _catalogue()[lang]


def _as_language(tag: str) -> Language | None:
    primary = tag.strip().lower().split("-", 1)[0]
    if primary == "zh":
        return "zh"
    if primary == "en":
        return "en"
    return None


def choose_language(query: str | None, accept_language: str | None) -> Language:
    """``?lang=`` when it names zh or en, else the best of zh/en in ``Accept-Language``.

    Falls back to :data:`DEFAULT_LANGUAGE` when neither says anything usable.
    """
    if query:
        chosen = _as_language(query)
        if chosen is not None:
            return chosen
    best: tuple[float, int, Language] | None = None
    for position, item in enumerate((accept_language or "").split(",")):
        tag, _, params = item.partition(";")
        lang = _as_language(tag)
        if lang is None:
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality <= 0:
            continue
        # Higher quality wins; on a tie the earlier entry does.
        candidate = (quality, -position, lang)
        if best is None or candidate[:2] > best[:2]:
            best = candidate
    return best[2] if best is not None else DEFAULT_LANGUAGE
