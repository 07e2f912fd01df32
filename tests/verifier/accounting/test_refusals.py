"""Refused documents: every fault is reported, each with its code and path."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.verifier.accounting.samples import dataset, factor, inventory, line, ref
from verifier.errors import VerifierError
from verifier.protocol.accounting import (
    LIMITS,
    AccountingError,
    calculate,
    parse_factor_dataset,
    parse_inventory,
)


def issues_of(exc: AccountingError) -> list[tuple[str, str]]:
    return [(issue.code, issue.path) for issue in exc.issues]


def refused_dataset(doc: Any) -> list[tuple[str, str]]:
    with pytest.raises(AccountingError) as caught:
        parse_factor_dataset(doc)
    return issues_of(caught.value)


def refused_inventory(doc: Any, *datasets: dict[str, Any]) -> AccountingError:
    with pytest.raises(AccountingError) as caught:
        parsed = parse_inventory(doc)
        calculate(parsed, [parse_factor_dataset(d) for d in (datasets or (dataset(),))])
    return caught.value


def test_the_error_is_a_verifier_error_with_the_first_fault_on_top() -> None:
    doc = dataset()
    doc["factors"][1]["unit"] = "kg CO2e / parsec"
    with pytest.raises(VerifierError) as caught:
        parse_factor_dataset(doc)
    error = caught.value
    assert isinstance(error, AccountingError)
    assert (error.code, error.path) == ("bad_unit", "factors[1].unit")
    assert error.to_dict()["issues"][0]["code"] == "bad_unit"


def test_a_dataset_import_reports_every_bad_row() -> None:
    doc = dataset()
    doc["factors"][0]["source"] = {"document": "A report"}  # no table, page or url
    doc["factors"][1]["unit"] = "kWh"  # not <mass> CO2e / <unit>
    doc["factors"][2] = copy.deepcopy(doc["factors"][3])  # a second "diesel"
    doc["factors"].append(factor("grid-2", 0.5, "kg CO2e / kWh"))  # a JSON fraction
    doc["factors"].append(factor("grid-3", "1e3", "kg CO2e / kWh"))
    doc["factors"].append(factor("grid-4", "-1", "kg CO2e / kWh"))
    assert refused_dataset(doc) == [
        ("missing_citation", "factors[0].source"),
        ("bad_unit", "factors[1].unit"),
        ("duplicate_id", "factors[3].id"),
        ("bad_number", "factors[4].value"),
        ("bad_number", "factors[5].value"),
        ("bad_number", "factors[6].value"),
    ]


def test_an_illustrative_factor_needs_no_citation() -> None:
    doc = dataset(factors=[factor("x", "1", "kg CO2e / kg", illustrative=True, source={})])
    assert parse_factor_dataset(doc).factors[0].illustrative


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"gwp": "AR4-100"}, ("bad_value", "factors[0].gwp")),
        ({"gases": {"CO2": "1", "SF6": "1"}}, ("unknown_field", "factors[0].gases.SF6")),
        ({"gases": {"CO2": "3"}}, ("inconsistent_value", "factors[0].gases")),
        ({"gases": {"CH4": "0.1"}}, ("unknown_gas", "factors[0].gases.CH4")),
        (
            {"uncertainty": {"distribution": "normal"}},
            ("missing_field", "factors[0].uncertainty.sd"),
        ),
        (
            {"uncertainty": {"distribution": "triangular", "min": "2", "max": "3"}},
            ("bad_value", "factors[0].uncertainty"),
        ),
        ({"quality": {"reliability": 6}}, ("missing_field", "factors[0].quality.completeness")),
        ({"names": {"en": "only English"}}, ("missing_field", "factors[0].names.zh-Hans")),
        ({"id": "bad id"}, ("bad_value", "factors[0].id")),
        ({"geography": "China"}, ("bad_value", "factors[0].geography")),
        ({"year": "2022"}, ("wrong_type", "factors[0].year")),
        ({"colour": "blue"}, ("unknown_field", "factors[0].colour")),
        ({"source": {"document": "x", "url": "ftp://x"}}, ("bad_value", "factors[0].source.url")),
        ({"names": {"zh-Hans": "a\u202eb", "en": "x"}}, ("bad_value", "factors[0].names.zh-Hans")),
    ],
)
def test_a_bad_factor_member_is_named(changes: dict[str, Any], expected: tuple[str, str]) -> None:
    doc = dataset(factors=[factor("x", "1", "kg CO2e / kg", **changes)])
    assert expected in refused_dataset(doc)


def test_dataset_header_faults() -> None:
    doc = dataset()
    doc["format"] = "tanji-factors/2"
    assert refused_dataset(doc) == [("wrong_format", "format")]
    doc = dataset()
    doc["publisher"]["address"] = "0x12"
    doc["published"] = "2026-13-01"
    doc["dataset"] = "CN Grid"
    del doc["version"]
    assert sorted(refused_dataset(doc)) == [
        ("bad_value", "dataset"),
        ("bad_value", "published"),
        ("bad_value", "publisher.address"),
        ("missing_field", "version"),
    ]


def test_a_dataset_file_is_json_only_and_keys_are_unique() -> None:
    assert refused_dataset(b"format: tanji-factors/1\n") == [("not_json", "")]
    assert refused_dataset(b'{"format": "tanji-factors/1", "format": "x"}') == [
        ("duplicate_key", "")
    ]


def test_a_unit_that_does_not_fit_its_factor_names_both_units() -> None:
    doc = inventory([line("L1", "3", "kg", "grid", kind="energy", stage="production")])
    error = refused_inventory(doc)
    assert (error.code, error.path) == ("unit_mismatch", "lines[0].unit")
    assert error.details["unit"] == "kg" and error.details["factorUnit"] == "kWh"
    assert "'kg'" in str(error) and "'kWh'" in str(error)


def test_an_inventory_reports_every_bad_line() -> None:
    doc = inventory(
        [
            line("L1", "0.42", "kg", "steel"),
            line("L1", "1", "kWh", "grid", kind="energy", stage="production"),  # id again
            line("L3", 0.5, "kg", "steel"),  # a JSON fraction
            line("L4", "1", "furlong", "steel"),
            line("L5", "1", "kg", kind="material", gas="CO2"),  # a gas on a material line
            line("L6", "1", "kg", kind="process", gas="CH4"),  # AR6 has no plain CH4
            line("L7", "1", "kg", kind="process", gas="CO2", stage="assembly"),
            line("L8", "1", "kg", factor={"dataset": "other", "version": "1", "id": "x"}),
            line(
                "L9",
                "1",
                "kg",
                "steel",
                component={"attestation": "0x" + "11" * 32, "value": "1", "unit": "kg CO2e / kg"},
            ),
            line(
                "L10",
                "1",
                "kWh",
                component={
                    "attestation": "0x" + "11" * 32,
                    "value": "1",
                    "unit": "kg CO2e / piece",
                },
            ),
            line("L11", "1", "piece", subInventory="nowhere"),
        ]
    )
    error = refused_inventory(doc)
    assert issues_of(error) == [
        ("duplicate_id", "lines[1].id"),
        ("bad_number", "lines[2].amount"),
        ("bad_unit", "lines[3].unit"),
        ("bad_value", "lines[4].gas"),
        ("unknown_gas", "lines[5].gas"),
        ("bad_value", "lines[6].stage"),
        ("unknown_dataset", "lines[7].factor"),
        ("bad_value", "lines[8]"),
        ("unit_mismatch", "lines[9].unit"),
        ("unknown_sub_inventory", "lines[10].subInventory"),
    ]


def test_calculation_faults_are_all_reported() -> None:
    doc = inventory(
        [
            line("L1", "1", "kg", "aluminium"),
            line("L2", "1", "kg", "grid"),
            line("L3", "1", "t*km", "truck", kind="transport", stage="distribution"),
        ]
    )
    assert issues_of(refused_inventory(doc)) == [
        ("unknown_factor", "lines[0].factor.id"),
        ("unit_mismatch", "lines[1].unit"),
    ]


def test_a_dataset_not_supplied_or_at_another_digest() -> None:
    doc = inventory()
    with pytest.raises(AccountingError) as caught:
        calculate(parse_inventory(doc), [])
    assert issues_of(caught.value) == [("dataset_missing", "factorDatasets[0]")]
    other = dataset()
    other["published"] = "2026-12-02"  # another document under the same name and version
    error = refused_inventory(doc, other)
    assert issues_of(error) == [("digest_mismatch", "factorDatasets[0].digest")]


def test_inventory_shape_faults() -> None:
    doc = inventory()
    doc["format"] = "tanji-inventory/9"
    assert issues_of(refused_inventory(doc)) == [("wrong_format", "format")]
    doc = inventory(allocation={"method": "mass"}, declaredUnit={"amount": "0", "unit": "piece"})
    doc["extra"] = 1
    del doc["gwp"]
    assert sorted(issues_of(refused_inventory(doc))) == [
        ("bad_number", "declaredUnit.amount"),
        ("missing_field", "allocation.share"),
        ("missing_field", "gwp"),
        ("unknown_field", "extra"),
    ]
    doc = inventory(allocation={"method": "economic", "share": "1.5"}, lines=[])
    assert sorted(issues_of(refused_inventory(doc))) == [
        ("bad_number", "allocation.share"),
        ("missing_field", "lines"),
    ]


def test_sub_inventory_faults_carry_their_path() -> None:
    sub = inventory([line("C1", "1", "kg", "nothing")], id="inv-test", gwp="AR5-100")
    doc = inventory([line("L1", "1", "kg", subInventory="inv-test")], subInventories=[sub])
    error = refused_inventory(doc)
    assert issues_of(error) == [
        ("duplicate_id", "subInventories[0].id"),
        ("gwp_mismatch", "subInventories[0].gwp"),
    ]


def test_limits() -> None:
    def nested(depth: int) -> dict[str, Any]:
        doc = inventory(
            [line("L1", "1", "piece", subInventory="s1")] if depth else None, id=f"s{depth}"
        )
        if depth:
            doc["subInventories"] = [nested(depth - 1)]
            doc["lines"][0]["subInventory"] = f"s{depth - 1}"
        return doc

    deep = nested(LIMITS["MAX_DEPTH"] + 1)
    assert (
        "too_deep",
        "subInventories[0].subInventories[0].subInventories[0].subInventories[0].subInventories",
    ) in issues_of(refused_inventory(deep))
    many = inventory([line(f"L{i}", "1", "kg", "steel") for i in range(LIMITS["MAX_LINES"] + 1)])
    assert issues_of(refused_inventory(many)) == [("too_many", "lines")]
    long_id = inventory([line("L" * 200, "1", "kg", "steel")])
    assert issues_of(refused_inventory(long_id)) == [("too_long", "lines[0].id")]
    long_number = inventory([line("L1", "1" * 41, "kg", "steel")])
    assert issues_of(refused_inventory(long_number)) == [("bad_number", "lines[0].amount")]


def test_inventory_text_faults() -> None:
    assert issues_of(refused_inventory(b"{not json")) == [("not_json", "")]
    assert issues_of(refused_inventory(b"a: [1\n")) == [("not_yaml", "")]
    assert issues_of(refused_inventory(b"id: a\nid: b\n")) == [("duplicate_key", "")]
    assert issues_of(refused_inventory(b"x: &a [1]\ny: *a\n")) == [("not_yaml", "")]
    text = json.dumps(inventory()).replace('"0.42"', "0.42")
    assert issues_of(refused_inventory(text)) == [("bad_number", "lines[0].amount")]


def test_a_ref_of_the_sample_dataset_is_its_digest() -> None:
    assert ref(dataset())["digest"] == parse_factor_dataset(dataset()).digest
