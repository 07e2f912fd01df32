"""Category rules: a product category's accounting rules as data, and the check of an inventory.

The rules live in ``registry/data/categories.json`` (a ``rules`` member beside each category's
``declared_units``; docs/ACCOUNTING.md, "Category rules"). A breach is ``rule_violated`` naming
the rule (``required_stage:raw_materials``, ``line_kind:process``); every breach is reported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final

from verifier.protocol.accounting.errors import Issues
from verifier.protocol.accounting.formats import (
    ALLOCATION_METHODS,
    BOUNDARY_STAGES,
    LINE_KINDS,
    STAGES,
)
from verifier.protocol.accounting.inventory import Inventory
from verifier.protocol.accounting.reader import MISSING, Reader, join
from verifier.protocol.accounting.units import Unit, UnitError, parse_unit, same_unit

__all__ = ["CategoryRules", "check_category_rules", "parse_category_rules"]

_RULES_REQUIRED: Final = (
    "standards",
    "system_boundary",
    "required_stages",
    "line_kinds",
    "allocation_methods",
    "cutoff",
)
_RULES_OPTIONAL: Final = ("source", "illustrative", "note", "notes")


@dataclass(frozen=True, slots=True)
class CategoryRules:
    """A category's accounting rules (docs/ACCOUNTING.md, "Category rules")."""

    code: str
    declared_units: tuple[str, ...]
    standards: tuple[str, ...]
    system_boundary: str
    required_stages: tuple[str, ...]
    line_kinds: tuple[str, ...]
    allocation_methods: tuple[str, ...]
    max_excluded_share: Decimal
    illustrative: bool
    source: Mapping[str, Any]


def _choices(reader: Reader, value: Any, path: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
    items = reader.items(value, path, limit=len(allowed) * 2)
    chosen: list[str] = []
    for index, item in enumerate(items or ()):
        text = reader.string(item, join(path, index), choices=allowed)
        if text is not None and text not in chosen:
            chosen.append(text)
    return tuple(chosen)


def parse_category_rules(category: Mapping[str, Any]) -> CategoryRules:
    """Read one category entry of ``categories.json`` (``code``, ``declared_units``, ``rules``).

    Raises :class:`~verifier.protocol.accounting.errors.AccountingError` for a malformed entry
    (paths under ``rules``).
    """
    reader = Reader()
    code = reader.string(category.get("code", MISSING), "code", limit=64)
    units: list[str] = []
    for index, unit in enumerate(
        reader.items(category.get("declared_units", MISSING), "declared_units", limit=16) or ()
    ):
        try:
            parse_unit(unit)
            units.append(unit)
        except (UnitError, TypeError) as exc:
            reader.issues.add("bad_unit", join("declared_units", index), str(exc))
    found = reader.mapping(
        category.get("rules", MISSING), "rules", required=_RULES_REQUIRED, optional=_RULES_OPTIONAL
    )
    if "rules" not in category:
        reader.issues.add("missing_field", "rules", "the category has no accounting rules")
    reader.issues.raise_if_any()
    assert found is not None and code is not None
    standards = tuple(
        text
        for index, item in enumerate(
            reader.items(found["standards"], "rules.standards", limit=10) or ()
        )
        if (text := reader.string(item, join("rules.standards", index), limit=200)) is not None
    )
    boundary = reader.string(
        found["system_boundary"], "rules.system_boundary", choices=tuple(BOUNDARY_STAGES)
    )
    required = _choices(reader, found["required_stages"], "rules.required_stages", STAGES)
    if boundary is not None:
        for stage in required:
            if stage not in BOUNDARY_STAGES[boundary]:
                reader.issues.add(
                    "bad_value",
                    "rules.required_stages",
                    f"{stage} is outside the boundary {boundary}",
                )
    kinds = _choices(reader, found["line_kinds"], "rules.line_kinds", LINE_KINDS)
    methods = _choices(
        reader, found["allocation_methods"], "rules.allocation_methods", ALLOCATION_METHODS
    )
    cutoff = reader.mapping(found["cutoff"], "rules.cutoff", required=("max_excluded_share",))
    share = None
    if cutoff is not None:
        share = reader.decimal(
            cutoff.get("max_excluded_share", MISSING),
            "rules.cutoff.max_excluded_share",
            maximum=Decimal(1),
        )
    illustrative = False
    if "illustrative" in found:
        illustrative = bool(reader.boolean(found["illustrative"], "rules.illustrative"))
    source = found.get("source", {})
    if not isinstance(source, Mapping):
        reader.issues.add("wrong_type", "rules.source", "must be an object")
    reader.issues.raise_if_any()
    assert boundary is not None and share is not None
    return CategoryRules(
        code=code,
        declared_units=tuple(units),
        standards=standards,
        system_boundary=boundary,
        required_stages=required,
        line_kinds=kinds,
        allocation_methods=methods,
        max_excluded_share=share,
        illustrative=illustrative,
        source=MappingProxyType(dict(source)),
    )


def _violated(issues: Issues, rule: str, path: str, message: str) -> None:
    issues.add("rule_violated", path, f"{message} (rule {rule})", rule=rule)


def check_category_rules(rules: CategoryRules, inventory: Inventory) -> None:
    """Check the root ``inventory`` against ``rules``; raise
    :class:`~verifier.protocol.accounting.errors.AccountingError` with one ``rule_violated``
    issue per breach (``details.rule`` names the rule)."""
    issues = Issues()
    if inventory.category is not None and inventory.category != rules.code:
        _violated(
            issues,
            f"category:{rules.code}",
            "category",
            f"the inventory is for {inventory.category}, the rules for {rules.code}",
        )
    allowed: list[Unit] = [parse_unit(u) for u in rules.declared_units]
    if not any(same_unit(inventory.declared_unit, unit) for unit in allowed):
        unit = inventory.declared_unit.text
        _violated(
            issues,
            f"declared_unit:{unit}",
            "declaredUnit.unit",
            f"{unit} is not a declared unit of {rules.code} ({', '.join(rules.declared_units)})",
        )
    stages = {line.stage for line in inventory.lines}
    for stage in rules.required_stages:
        if stage not in stages:
            _violated(issues, f"required_stage:{stage}", "lines", f"no line of the stage {stage}")
    inside = BOUNDARY_STAGES[rules.system_boundary]
    for line in inventory.lines:
        if line.stage not in inside:
            _violated(
                issues,
                f"system_boundary:{rules.system_boundary}",
                join(line.path, "stage"),
                f"{line.stage} is outside the boundary {rules.system_boundary}",
            )
        if line.kind not in rules.line_kinds:
            _violated(
                issues,
                f"line_kind:{line.kind}",
                join(line.path, "kind"),
                f"{rules.code} allows no {line.kind} lines",
            )
    if inventory.allocation_method not in rules.allocation_methods:
        _violated(
            issues,
            f"allocation_method:{inventory.allocation_method}",
            "allocation.method",
            f"{rules.code} allows {', '.join(rules.allocation_methods)} allocation",
        )
    if inventory.excluded_share > rules.max_excluded_share:
        _violated(
            issues,
            "cutoff:max_excluded_share",
            "cutOff.excludedShare",
            f"{inventory.excluded_share} excluded, at most {rules.max_excluded_share}",
        )
    issues.raise_if_any()
