"""``GET /api/v1/categories``: the key-product catalogue (registry/data/categories.json).

Public: what a footprint's ``category`` and ``declared_unit`` may be, each name in every language
the registry writes, and a summary of each category's accounting rules (docs/ACCOUNTING.md,
"Category rules").
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from registry.accounting.rules import category_rules
from registry.catalogue import CATEGORIES, UNITS, Category

router = APIRouter(prefix="/api/v1/categories", tags=["catalogue"])


class DeclaredUnit(BaseModel):
    """A declared unit a footprint of the category may use."""

    unit: str = Field(description="the value of a footprint's declared_unit, e.g. kWh")
    names: dict[str, str] = Field(description="its name by language tag")


class RulesSummary(BaseModel):
    """The category's accounting rules, in short."""

    standards: list[str]
    system_boundary: str
    required_stages: list[str]
    allocation_methods: list[str]
    max_excluded_share: str = Field(description="the cut-off, a decimal share of the total")
    illustrative: bool = Field(description="true where no product standard fixes these rules")


class CategoryPublic(BaseModel):
    """One category of the catalogue."""

    id: str = Field(description="the value of a footprint's category, e.g. laptop")
    names: dict[str, str] = Field(description="its name by language tag (zh-Hans, zh-Hant, en)")
    declared_units: list[DeclaredUnit] = Field(description="the first is the usual one")
    rules: RulesSummary


class CategoriesPublic(BaseModel):
    """The catalogue."""

    count: int
    data: list[CategoryPublic]


def _public(category: Category) -> CategoryPublic:
    rules = category_rules(category.code)
    return CategoryPublic(
        id=category.code,
        names=dict(category.names),
        declared_units=[
            DeclaredUnit(
                unit=unit,
                names=dict(category.piece) if unit == "unit" else dict(UNITS.get(unit, {})),
            )
            for unit in category.declared_units
        ],
        rules=RulesSummary(
            standards=list(rules.standards),
            system_boundary=rules.system_boundary,
            required_stages=list(rules.required_stages),
            allocation_methods=list(rules.allocation_methods),
            max_excluded_share=str(rules.max_excluded_share),
            illustrative=rules.illustrative,
        ),
    )


@router.get("", response_model=CategoriesPublic)
def list_categories() -> CategoriesPublic:
    """Every product category a footprint can be declared for, with its units and rules."""
    data = [_public(category) for category in CATEGORIES.values()]
    return CategoriesPublic(count=len(data), data=data)
