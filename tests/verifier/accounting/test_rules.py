"""Category rules: data read from a category entry, each breach refused with the rule named."""

from __future__ import annotations

from typing import Any

import pytest

from tests.verifier.accounting.samples import inventory, line
from verifier.protocol.accounting import (
    AccountingError,
    check_category_rules,
    parse_category_rules,
    parse_inventory,
)


def category(**rules: Any) -> dict[str, Any]:
    """A laptop entry of categories.json with ``rules`` changed."""
    base: dict[str, Any] = {
        "standards": ["GB/T 24067-2024"],
        "system_boundary": "cradle-to-gate",
        "required_stages": ["raw_materials", "production"],
        "line_kinds": ["material", "energy", "transport", "process", "waste"],
        "allocation_methods": ["none", "mass"],
        "cutoff": {"max_excluded_share": "0.05"},
        "illustrative": True,
    }
    base.update(rules)
    return {"code": "laptop", "declared_units": ["unit"], "rules": base}


def breaches(entry: dict[str, Any], doc: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(AccountingError) as caught:
        check_category_rules(parse_category_rules(entry), parse_inventory(doc))
    assert {issue.code for issue in caught.value.issues} == {"rule_violated"}
    return [(issue.details["rule"], issue.path) for issue in caught.value.issues]


def gate_inventory(**changes: Any) -> dict[str, Any]:
    return inventory(
        [
            line("L1", "0.42", "kg", "steel"),
            line("L2", "12", "kWh", "grid", kind="energy", stage="production"),
        ],
        **changes,
    )


def test_an_inventory_within_its_rules_passes() -> None:
    rules = parse_category_rules(category())
    assert rules.system_boundary == "cradle-to-gate" and rules.declared_units == ("unit",)
    # "piece" and the catalogue's "unit" are one unit.
    check_category_rules(rules, parse_inventory(gate_inventory()))


def test_a_missing_required_stage_is_named() -> None:
    doc = inventory([line("L1", "0.42", "kg", "steel")])
    assert breaches(category(), doc) == [("required_stage:production", "lines")]


def test_every_breach_is_reported() -> None:
    doc = inventory(  # the sample has a distribution line and a process line
        allocation={"method": "economic", "share": "0.5"},
        declaredUnit={"amount": "1", "unit": "kg"},
        cutOff={"excludedShare": "0.1"},
        category="cement",
    )
    entry = category(line_kinds=["material", "energy", "transport"])
    assert breaches(entry, doc) == [
        ("category:laptop", "category"),
        ("declared_unit:kg", "declaredUnit.unit"),
        ("system_boundary:cradle-to-gate", "lines[2].stage"),
        ("line_kind:process", "lines[3].kind"),
        ("allocation_method:economic", "allocation.method"),
        ("cutoff:max_excluded_share", "cutOff.excludedShare"),
    ]


def test_malformed_rules_are_refused() -> None:
    with pytest.raises(AccountingError) as caught:
        parse_category_rules(category(required_stages=["use"], system_boundary="cradle-to-gate"))
    assert (caught.value.code, caught.value.path) == ("bad_value", "rules.required_stages")
    with pytest.raises(AccountingError) as caught:
        parse_category_rules({"code": "laptop", "declared_units": ["unit"]})
    assert (caught.value.code, caught.value.path) == ("missing_field", "rules")
    with pytest.raises(AccountingError) as caught:
        parse_category_rules(category(line_kinds=["software"]))
    assert (caught.value.code, caught.value.path) == ("bad_value", "rules.line_kinds[0]")


def test_the_catalogues_rules_are_well_formed() -> None:
    import json
    from pathlib import Path

    path = Path(__file__).resolve().parents[3] / "registry" / "data" / "categories.json"
    entries = json.loads(path.read_text("utf-8"))["categories"]
    ruled = [entry for entry in entries if "rules" in entry]
    for entry in ruled:
        rules = parse_category_rules(entry)
        assert rules.code == entry["code"] and rules.required_stages
