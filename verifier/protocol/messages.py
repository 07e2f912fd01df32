"""Each result code's message in every language, read from ``messages.json`` (data, not code).

``messages.json`` maps a code's name (``Code.FORMAT_NOT_JSON.name``) to one template per language
tag of :data:`verifier.protocol.languages.LANGUAGES`. A template names the result's data members
in braces (``"root {root} is not anchored"``); :func:`message` fills them. A translator edits the
JSON file; the in-browser verifier's copy is generated from it (``scripts/gen_browser_tables.py``).
"""

from __future__ import annotations

import json
import string
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from verifier.protocol.codes import Code
from verifier.protocol.languages import DEFAULT_LANGUAGE, LANGUAGES, Language, normalize

__all__ = ["MESSAGES_FILE", "catalogue", "message", "template"]

MESSAGES_FILE: Final = Path(__file__).resolve().parent / "messages.json"
_FORMATTER: Final = string.Formatter()


@lru_cache(maxsize=1)
def catalogue() -> Mapping[Code, Mapping[Language, str]]:
    """Every code's templates by language (the whole of ``messages.json``)."""
    raw: dict[str, dict[str, str]] = json.loads(MESSAGES_FILE.read_text(encoding="utf-8"))
    return {Code[name]: {lang: texts[lang] for lang in LANGUAGES} for name, texts in raw.items()}


def template(code: int, lang: str = DEFAULT_LANGUAGE) -> str:
    """The template of ``code`` in ``lang`` (any tag :func:`normalize` reads; English otherwise)."""
    texts = catalogue().get(Code(code)) if code in Code._value2member_map_ else None
    if texts is None:
        return f"code {code}"
    return texts[normalize(lang) or "en"]


class _Data(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


def message(code: int, lang: str = DEFAULT_LANGUAGE, data: Mapping[str, Any] | None = None) -> str:
    """``code``'s message in ``lang``, ``{name}`` fields filled from ``data`` (``?`` if absent)."""
    return _FORMATTER.vformat(template(code, lang), (), _Data(data or {}))
