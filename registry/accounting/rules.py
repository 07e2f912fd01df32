"""Each product category's accounting rules, kept as data in ``registry/data/categories.json``.

A category entry's ``rules`` member (docs/ACCOUNTING.md, "Category rules") is read by the
verifier's :func:`verifier.protocol.accounting.parse_category_rules`, so the registry and a
verifier check an inventory against the same rules.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from typing import Any

from registry.catalogue import (
    CATALOGUE_FILE,
    CATEGORIES,
    GENERAL,
    CatalogueCategoryRequiredError,
)
from verifier.protocol.accounting import AccountingError, CategoryRules, Issue
from verifier.protocol.accounting import parse_category_rules as _parse

__all__ = ["category_rules", "unknown_category"]


@cache
def _entries() -> Mapping[str, Mapping[str, Any]]:
    data = json.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))
    return {entry["code"]: entry for entry in data["categories"]}


@cache
def _rules(code: str) -> CategoryRules:
    return _parse(_entries()[code])


def unknown_category(code: str | None, path: str = "category") -> AccountingError:
    """The refusal of an inventory whose category is not in the catalogue (or absent)."""
    known = ", ".join(CATEGORIES)
    if code is None:
        return AccountingError(
            [Issue("missing_field", path, f"an inventory names its category; known: {known}")]
        )
    return AccountingError(
        [
            Issue(
                "unknown_category",
                path,
                f"unknown product category {code!r}; known: {known}",
                {"category": code},
            )
        ]
    )


def category_rules(code: str | None) -> CategoryRules:
    """The rules of category ``code``; an :class:`AccountingError` (``unknown_category``) if it
    is not in the catalogue, ``catalogue_category_required`` for the general category (it has
    no accounting rules)."""
    if code == GENERAL:
        refusal = CatalogueCategoryRequiredError(code, "a calculation")
        raise AccountingError(
            [Issue(refusal.code, "category", refusal.message, {"category": code})]
        )
    if code is None or code not in CATEGORIES or code not in _entries():
        raise unknown_category(code)
    return _rules(code)
