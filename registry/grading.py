"""Carbon-label grades: a footprint compared with its category's benchmark thresholds.

Thresholds are versioned data (``registry/data/grade_thresholds.json``), not code, so a label
keeps the scheme version it was graded under and a new version can be published without a
release. Each category's entry carries its source; entries without an official benchmark behind
them are marked ``illustrative`` and the consumer page and label artwork say so.

Each category's thresholds hold for one system boundary (``boundary``): a cradle-to-grave
benchmark includes use and end of life, which a cradle-to-gate footprint leaves out, so a
footprint is graded only against thresholds of its own boundary (``boundary_mismatch``
otherwise) rather than get a grade that compares unlike things.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, get_args

from registry.catalogue import (
    CatalogueCategoryRequiredError,
    UnknownCategoryError,
    require_catalogue_category,
)
from registry.errors import InvalidInputError
from registry.i18n import localized
from registry.models.footprints import SystemBoundary

__all__ = [
    "GRADES",
    "GRADE_COLOURS",
    "GradeResult",
    "GradingError",
    "GradingScheme",
    "grade_footprint",
    "load_scheme",
]

THRESHOLDS_FILE = Path(__file__).resolve().parent / "data" / "grade_thresholds.json"
GRADES: tuple[str, ...] = ("A+", "A", "B", "C", "D")
# Colour per grade for artwork and pages: green (low footprint) to red; printable on white.
GRADE_COLOURS: dict[str, str] = {
    "A+": "#00803a",
    "A": "#3fa535",
    "B": "#a6c31c",
    "C": "#f2a900",
    "D": "#d7261e",
}
#: The system boundaries a threshold (and a footprint) may have.
BOUNDARIES: tuple[str, ...] = get_args(SystemBoundary)
# How a value per ``from`` unit becomes a value per ``to`` unit (multiply by the factor).
_UNIT_CONVERSIONS: dict[tuple[str, str], float] = {
    ("kWp", "Wp"): 1e-3,
    ("Wp", "kWp"): 1e3,
}


class GradingError(InvalidInputError, ValueError):
    """A footprint that cannot be graded; ``code`` is machine-readable, ``field`` the culprit."""

    def __init__(self, code: str, field: str, message: str) -> None:
        super().__init__(message, code=code, field=field)


@dataclass(frozen=True, slots=True)
class GradeResult:
    """A grade and everything needed to explain it."""

    grade: str
    category: str
    scheme: str
    scheme_version: str
    source: str
    illustrative: bool
    # The threshold unit, the value compared in that unit, and the grade upper bounds used.
    unit: str
    value: float
    thresholds: tuple[tuple[str, float], ...]
    #: The system boundary of the thresholds (and so of the footprint graded).
    boundary: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe form (for API responses and records)."""
        return {
            "grade": self.grade,
            "category": self.category,
            "scheme": self.scheme,
            "schemeVersion": self.scheme_version,
            "source": self.source,
            "illustrative": self.illustrative,
            "unit": self.unit,
            "value": self.value,
            "thresholds": {grade: bound for grade, bound in self.thresholds},
            "boundary": self.boundary,
        }


@dataclass(frozen=True, slots=True)
class CategoryThresholds:
    """One category's thresholds in one scheme version."""

    unit: str
    bounds: tuple[tuple[str, float], ...]
    illustrative: bool
    source: str
    boundary: str


@dataclass(frozen=True, slots=True)
class GradingScheme:
    """One version of the grading scheme."""

    scheme: str
    version: str
    published: str
    categories: dict[str, CategoryThresholds]
    #: The scheme's human name by language tag (empty: the scheme id stands in).
    names: Mapping[str, str] = field(default_factory=dict)

    def name(self, lang: str) -> str:
        """The scheme's human name in ``lang`` (a language tag), else the scheme id."""
        return localized(self.names, lang) or self.scheme


@lru_cache(maxsize=1)
def _load_file() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(THRESHOLDS_FILE.read_text(encoding="utf-8"))
    if data.get("format") != "tanji-grade-thresholds/1":
        raise GradingError("bad_thresholds", "format", f"{THRESHOLDS_FILE}: unknown format")
    return data


@lru_cache(maxsize=8)
def load_scheme(version: str | None = None) -> GradingScheme:
    """The grading scheme of ``version`` (default: the newest version in the data file)."""
    data = _load_file()
    versions = data["versions"]
    if version is None:
        entry = versions[-1]
    else:
        matches = [v for v in versions if v["version"] == version]
        if not matches:
            known = ", ".join(v["version"] for v in versions)
            raise GradingError(
                "unknown_scheme_version",
                "scheme_version",
                f"unknown grading scheme version {version!r}; known: {known}",
            )
        entry = matches[0]
    categories: dict[str, CategoryThresholds] = {}
    for code, spec in entry["categories"].items():
        bounds = tuple((grade, float(spec["bounds"][grade])) for grade in GRADES[:-1])
        if any(a[1] >= b[1] for a, b in itertools.pairwise(bounds)):
            raise GradingError("bad_thresholds", code, f"{code}: bounds must increase A+ to C")
        if spec.get("boundary") not in BOUNDARIES:
            raise GradingError(
                "bad_thresholds", code, f"{code}: boundary must be one of {', '.join(BOUNDARIES)}"
            )
        categories[code] = CategoryThresholds(
            unit=spec["unit"],
            bounds=bounds,
            illustrative=bool(spec["illustrative"]),
            source=spec["source"],
            boundary=spec["boundary"],
        )
    return GradingScheme(
        scheme=data["scheme"],
        version=entry["version"],
        published=entry["published"],
        categories=categories,
        names=dict(data.get("scheme_name", {})),
    )


def grade_footprint(
    *,
    category: str,
    kg_co2e_per_unit: float,
    declared_unit: str,
    system_boundary: str,
    scheme_version: str | None = None,
) -> GradeResult:
    """Grade a footprint of ``kg_co2e_per_unit`` kg CO2e per ``declared_unit`` of ``category``.

    ``system_boundary`` is the footprint's; it must be the thresholds' boundary. Raises
    :class:`GradingError` (code ``unknown_category``, ``catalogue_category_required`` for the
    general category, ``unit_mismatch``, ``invalid_value``,
    ``no_thresholds``, ``boundary_mismatch`` or ``unknown_scheme_version``) with the offending
    field.
    """
    try:
        cat = require_catalogue_category(category, "a grade")
    except CatalogueCategoryRequiredError as exc:
        raise GradingError(exc.code, "category", exc.message) from None
    except UnknownCategoryError as exc:
        raise GradingError("unknown_category", "category", str(exc)) from None
    if (
        isinstance(kg_co2e_per_unit, bool)
        or not isinstance(kg_co2e_per_unit, int | float)
        or not math.isfinite(kg_co2e_per_unit)
        or kg_co2e_per_unit < 0
    ):
        raise GradingError(
            "invalid_value",
            "kg_co2e_per_unit",
            f"footprint must be a finite number >= 0, got {kg_co2e_per_unit!r}",
        )
    if not cat.accepts_unit(declared_unit):
        raise GradingError(
            "unit_mismatch",
            "declared_unit",
            f"{declared_unit!r} is not a declared unit of {category}; "
            f"use one of {', '.join(cat.declared_units)}",
        )
    scheme = load_scheme(scheme_version)
    spec = scheme.categories.get(category)
    if spec is None:
        raise GradingError(
            "no_thresholds",
            "category",
            f"grading scheme {scheme.version} has no thresholds for {category}",
        )
    if system_boundary != spec.boundary:
        raise GradingError(
            "boundary_mismatch",
            "system_boundary",
            f"grading scheme {scheme.version} grades {category} {spec.boundary}; a "
            f"{system_boundary} footprint cannot be graded against it",
        )
    value = float(kg_co2e_per_unit)
    if declared_unit != spec.unit:
        factor = _UNIT_CONVERSIONS.get((declared_unit, spec.unit))
        if factor is None:
            raise GradingError(
                "unit_mismatch",
                "declared_unit",
                f"{category} is graded per {spec.unit}; a footprint per {declared_unit} "
                "cannot be graded",
            )
        value *= factor
    grade = GRADES[-1]
    for candidate, bound in spec.bounds:
        if value <= bound:
            grade = candidate
            break
    return GradeResult(
        grade=grade,
        category=category,
        scheme=scheme.scheme,
        scheme_version=scheme.version,
        source=spec.source,
        illustrative=spec.illustrative,
        unit=spec.unit,
        value=value,
        thresholds=spec.bounds,
        boundary=spec.boundary,
    )
