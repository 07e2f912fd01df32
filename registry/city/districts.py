"""Chongqing's districts and counties: the areas the city's aggregate views group by.

ISO 3166-2 names only the municipality (``CN-CQ``), so the registry keeps its own list,
``registry/data/districts.json``: a stable ASCII ``id`` (what ``organisation.district`` holds),
the GB/T 2260 code where there is one, and names in every page language. An organisation's
footprints and labels count in the district it is registered in.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final

from registry.errors import InvalidInputError
from registry.i18n import Language, localized

__all__ = [
    "DISTRICTS_FILE",
    "UNASSIGNED",
    "District",
    "district_name",
    "districts",
    "read_district",
]

DISTRICTS_FILE: Final = Path(__file__).resolve().parent.parent / "data" / "districts.json"
#: The key aggregates use for organisations registered in no district.
UNASSIGNED: Final = "unassigned"


@dataclass(frozen=True, slots=True)
class District:
    """A district, county or new area of Chongqing."""

    id: str
    code: str | None  # GB/T 2260; None for a new area
    kind: str  # district | county | autonomous_county | new_area
    names: Mapping[str, str]  # by language tag


@lru_cache(maxsize=1)
def _load() -> dict[str, District]:
    data = json.loads(DISTRICTS_FILE.read_text(encoding="utf-8"))
    return {
        row["id"]: District(id=row["id"], code=row["code"], kind=row["kind"], names=row["names"])
        for row in data["districts"]
    }


def districts() -> list[District]:
    """Every district, in the file's order (central districts first)."""
    return list(_load().values())


def read_district(value: str | None, *, field: str = "district") -> str | None:
    """A district id (``None`` or empty: none); :class:`InvalidInputError` when unknown."""
    if value is None or value == "":
        return None
    if value not in _load():
        raise InvalidInputError(
            f"unknown district {value[:40]!r}: one of the ids in registry/data/districts.json "
            "(e.g. yuzhong, jiangbei, liangjiang)",
            code="unknown_district",
            field=field,
        )
    return value


def district_name(district_id: str, lang: Language, unassigned: str) -> str:
    """The district's name in ``lang`` (``unassigned`` for :data:`UNASSIGNED`, the id when
    unknown)."""
    found = _load().get(district_id)
    if found is None:
        return unassigned if district_id == UNASSIGNED else district_id
    return localized(dict(found.names), lang) or district_id
