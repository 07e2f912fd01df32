"""The catalogue covers every product of the plan, each with its accounting rules as data."""

from __future__ import annotations

import json

import pytest

from registry.accounting.datasets import StarterDatasets
from registry.accounting.rules import category_rules
from registry.catalogue import CATALOGUE_FILE, CATEGORIES, GENERAL
from registry.grading import load_scheme
from tests.registry.calculations_data import EXAMPLE_FILES, example
from verifier.protocol.accounting import AccountingError, parse_category_rules

#: The products the Chongqing plan names, and the catalogue categories that hold them.
PLAN_PRODUCTS = {
    "automobiles, internal combustion": {"ice_vehicle"},
    "automobiles, new energy": {"nev"},
    "motorcycles": {"motorcycle"},
    "e-bikes": {"e_bike"},
    "laptops": {"laptop"},
    "mobile phones": {"mobile_phone"},
    "lithium batteries": {"lithium_battery_pack"},
    "tyres": {"tyre"},
    "PV equipment": {"pv_module"},
    "steel": {"steel_rebar"},
    "cement": {"cement"},
    "electrolytic aluminium": {"aluminium_ingot"},
    "light alloys": {"light_alloy"},
    "organic chemicals": {"organic_chemical"},
    "plastics": {"pvc_resin", "plastic_resin"},
    "synthetic ammonia": {"synthetic_ammonia"},
    "electricity": {"electricity"},
    "hotpot seasoning": {"hotpot_seasoning"},
}


def test_every_product_of_the_plan_has_a_category() -> None:
    for product, codes in PLAN_PRODUCTS.items():
        assert codes <= set(CATEGORIES), product


@pytest.mark.parametrize("code", sorted(CATEGORIES))
def test_every_category_has_rules_a_verifier_reads(code: str) -> None:
    rules = category_rules(code)
    assert rules.code == code
    assert rules.standards[0] == "GB/T 24067-2024"
    assert rules.declared_units == CATEGORIES[code].declared_units
    assert "24067-2024" in rules.source["document"]
    # The boundary its footprints are graded at, so a computed footprint can be graded.
    assert rules.system_boundary == load_scheme().categories[code].boundary
    entry = next(
        e for e in json.loads(CATALOGUE_FILE.read_text("utf-8"))["categories"] if e["code"] == code
    )
    # A rule that no product standard fixes says so, and why.
    if rules.illustrative:
        assert "illustrative" in entry["rules"]["note"]
    assert parse_category_rules(entry) == rules


def test_an_unknown_category_has_no_rules() -> None:
    with pytest.raises(AccountingError) as info:
        category_rules("spaceship")
    assert info.value.code == "unknown_category" and info.value.path == "category"


def test_the_general_category_has_no_rules() -> None:
    # A product outside the catalogue is stored, but not calculated: it needs a catalogue category.
    with pytest.raises(AccountingError) as info:
        category_rules(GENERAL)
    assert info.value.code == "catalogue_category_required" and info.value.path == "category"


@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_examples_cite_the_shipped_dataset_versions(name: str) -> None:
    # A starter dataset changed without its examples would fail here (digest_mismatch).
    for ref in example(name)["factorDatasets"]:
        (shipped,) = StarterDatasets().find(ref["dataset"], ref["version"])
        assert shipped.digest == ref["digest"], (name, ref["dataset"])
