"""Key-product catalogue: the product categories a Chongqing footprint can be declared for.

The national plan (15 ministries' *Implementation Plan for Establishing a Carbon Footprint
Management System*) asks local governments to start footprint accounting with key products; the
Chongqing list leans on the city's industries: electronics (laptops, phones), vehicles (new-energy
cars, motorcycles) and their batteries, basic materials (steel, cement, aluminium, PVC), tyres,
photovoltaics and food (hotpot seasoning).

Each category names the declared units a footprint may use (ISO 14067 "declared unit"); the first
is the usual one and the one grade thresholds are expressed in.

A product outside the catalogue (a PACT footprint of a car door) is stored under the general
category, :data:`GENERAL_CATEGORY` (code ``general``): it is not in :data:`CATEGORIES`, has no
accounting rules and no grade thresholds, so calculations, grades and labels refuse it
(:func:`require_catalogue_category`, code ``catalogue_category_required``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from registry.errors import InvalidInputError
from registry.i18n import LANGUAGES, Language, as_language, localized

__all__ = [
    "CATALOGUE_FILE",
    "CATEGORIES",
    "FOOTPRINT_CATEGORIES",
    "GENERAL",
    "GENERAL_CATEGORY",
    "UNITS",
    "CatalogueCategoryRequiredError",
    "Category",
    "UnknownCategoryError",
    "get_category",
    "require_catalogue_category",
    "unit_name",
]

#: The catalogue as data: categories, declared units and their names in every language.
CATALOGUE_FILE: Final = Path(__file__).resolve().parent / "data" / "categories.json"
#: The code of the general category (products outside the catalogue).
GENERAL: Final = "general"


class UnknownCategoryError(InvalidInputError, ValueError):
    """A category code not in the catalogue: code ``unknown_category``, field ``category``."""

    code = "unknown_category"

    def __init__(self, category: str) -> None:
        self.category = category
        super().__init__(
            f"unknown product category {category!r}; known: {', '.join(CATEGORIES)}",
            field="category",
        )


@dataclass(frozen=True, slots=True)
class Category:
    """One key-product category."""

    code: str
    #: The category's name by language tag.
    names: Mapping[Language, str]
    declared_units: tuple[str, ...]
    # The unit footprints are usually declared in, and the one grade thresholds use.
    typical_unit: str
    #: One piece of this product by language ("台" laptop, "部" phone): the name of "unit".
    piece: Mapping[Language, str]

    def name(self, lang: str) -> str:
        """The category name in ``lang`` (a language tag)."""
        return localized(self.names, lang)

    def accepts_unit(self, unit: str) -> bool:
        """Whether ``unit`` is a declared unit of this category."""
        return unit in self.declared_units


def _texts(entry: Mapping[str, str], where: str) -> dict[Language, str]:
    missing = [lang for lang in LANGUAGES if not entry.get(lang)]
    if missing:
        raise ValueError(f"{CATALOGUE_FILE.name}: {where} has no {', '.join(missing)} text")
    return {lang: entry[lang] for lang in LANGUAGES}


def _load() -> tuple[dict[str, dict[Language, str]], dict[str, Category], Category]:
    data: dict[str, Any] = json.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))
    units = {unit: _texts(names, f"unit {unit}") for unit, names in data["units"].items()}
    categories: dict[str, Category] = {}
    general = data["general"]
    if general["code"] != GENERAL:
        raise ValueError(f"{CATALOGUE_FILE.name}: the general category's code is {GENERAL!r}")
    for entry in [*data["categories"], general]:
        code = entry["code"]
        declared = tuple(entry["declared_units"])
        categories[code] = Category(
            code=code,
            names=_texts(entry["name"], f"category {code}"),
            declared_units=declared,
            typical_unit=declared[0],
            piece=_texts(entry["piece"], f"category {code} piece")
            if "piece" in entry
            else units["unit"],
        )
    return units, categories, categories.pop(GENERAL)


#: Declared units: symbol -> its name by language. "unit" means one piece of the product.
UNITS: dict[str, dict[Language, str]]
#: The catalogue's categories by code, in the catalogue's order (the general one is not among
#: them).
CATEGORIES: dict[str, Category]
#: The general category: products outside the catalogue; stored, never graded or labelled.
GENERAL_CATEGORY: Category
UNITS, CATEGORIES, GENERAL_CATEGORY = _load()
#: What a footprint may be stored under: the catalogue's categories and the general one.
FOOTPRINT_CATEGORIES: Final[dict[str, Category]] = {**CATEGORIES, GENERAL: GENERAL_CATEGORY}


class CatalogueCategoryRequiredError(InvalidInputError, ValueError):
    """A footprint of the general category where a catalogue category is needed (a label, a
    grade, a calculation): code ``catalogue_category_required``, field ``category``."""

    code = "catalogue_category_required"

    def __init__(self, category: str, purpose: str) -> None:
        self.category = category
        self.purpose = purpose
        super().__init__(
            f"products outside the key-product catalogue are stored under the {category!r} "
            f"category; {purpose} needs a catalogue category ({', '.join(CATEGORIES)})",
            field="category",
        )


def require_catalogue_category(code: str, purpose: str) -> Category:
    """The catalogue category ``code``; :class:`CatalogueCategoryRequiredError` for the general
    one (``purpose`` says what needs it: "a label"), :class:`UnknownCategoryError` for others."""
    if code == GENERAL:
        raise CatalogueCategoryRequiredError(code, purpose)
    return get_category(code)


def unit_name(unit: str, lang: str, category: Category | None = None) -> str:
    """Human name of a declared unit in ``lang``; "unit" is one piece of the category's product."""
    language = as_language(lang)
    if unit == "unit" and category is not None:
        return category.piece[language]
    names = UNITS.get(unit)
    return unit if names is None else names[language]


def get_category(code: str) -> Category:
    """The category with ``code``; raises :class:`UnknownCategoryError` when there is none."""
    try:
        return CATEGORIES[code]
    except KeyError:
        raise UnknownCategoryError(code) from None
