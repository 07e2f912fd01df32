"""The footprint calculation on small inventories, every expectation computed by hand."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from tests.verifier.accounting.samples import QUALITY, dataset, factor, inventory, line, ref
from verifier.protocol.accounting import (
    ENGINE_VERSION,
    AccountingError,
    Footprint,
    calculate,
    divide_rounded,
    document_digest,
    parse_factor_dataset,
    parse_inventory,
)


def compute(doc: dict[str, Any], *datasets: dict[str, Any]) -> Footprint:
    parsed = [parse_factor_dataset(d) for d in (datasets or (dataset(),))]
    return calculate(parse_inventory(doc), parsed)


def test_the_sample_inventory_line_by_line() -> None:
    result = compute(inventory()).to_dict()
    # L1 0.42 kg steel at 2.1 t/t = 0.882; L2 12 kWh at 0.5366 = 6.4392; L3 1.2 t*km at 0.05 =
    # 0.06; L4 0.003 kg fossil CH4 x 29.8 = 0.0894; L5 one attested piece at 12.5.
    assert [(x["id"], x["kg_co2e"], x["source"]) for x in result["lines"]] == [
        ("L1", "0.882000000", "secondary"),
        ("L2", "6.439200000", "secondary"),
        ("L3", "0.060000000", "secondary"),
        ("L4", "0.089400000", "primary"),
        ("L5", "12.500000000", "primary"),
    ]
    assert result["kg_co2e_per_unit"] == result["kg_co2e_total"] == "19.970600000"
    assert result["by_stage"] == {
        "raw_materials": "13.382000000",
        "production": "6.528600000",
        "distribution": "0.060000000",
    }
    assert result["by_gas"] == {"CH4-fossil": "0.089400000", "CO2e": "19.881200000"}
    assert result["by_source"] == {"primary": "12.589400000", "secondary": "7.381200000"}
    # 12.5894 / 19.9706 = 63.0386...%
    assert result["primary_data_share"] == "63.04"
    # reliability weighted by the factor lines: (0.882*3 + 6.4392 + 0.06) / 7.3812 = 1.2390
    assert result["data_quality"] == {
        "reliability": "1.24",
        "completeness": "2.00",
        "temporal": "1.00",
        "geographical": "1.00",
        "technological": "2.00",
        "coverage": "36.96",  # 7.3812 / 19.9706
    }
    assert result["engine"] == ENGINE_VERSION
    assert result["inventory"]["digest"] == document_digest(inventory())
    assert result["factor_datasets"] == [ref(dataset())]
    assert result["illustrative_factors"] == ["test-data@1:truck"]


def test_allocation_share_and_declared_amount() -> None:
    doc = inventory(
        allocation={"method": "mass", "share": "0.82"}, declaredUnit={"amount": "2", "unit": "unit"}
    )
    result = compute(doc).to_dict()
    # 19.9706 * 0.82 / 2 = 8.187946
    assert result["kg_co2e_per_unit"] == "8.187946000"
    assert result["kg_co2e_total"] == "19.970600000"
    assert result["by_source"] == {"primary": "5.161654000", "secondary": "3.026292000"}


def test_a_conversion_that_does_not_terminate_is_rounded_once() -> None:
    # 1 MJ = 1/3.6 kWh; x 0.5366 = 0.14905555... -> 0.149055556
    doc = inventory([line("L1", "1", "MJ", "grid", kind="energy", stage="production")])
    assert compute(doc).to_dict()["kg_co2e_per_unit"] == "0.149055556"
    # 7 MJ: 1.04338888... -> 1.043388889; three lines summed: 3 x 0.149055556, not R(3 x ...)
    doc = inventory(
        [line(f"L{i}", "1", "MJ", "grid", kind="energy", stage="production") for i in range(3)]
    )
    assert compute(doc).to_dict()["kg_co2e_per_unit"] == "0.447166668"


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("0.0000000005", "0.000000000"),  # a tie: to the even multiple (0)
        ("0.0000000015", "0.000000002"),  # a tie: to the even multiple (2)
        ("0.0000000025", "0.000000002"),
        ("0.00000000251", "0.000000003"),
    ],
)
def test_ties_round_half_to_even(amount: str, expected: str) -> None:
    doc = inventory([line("L1", amount, "kg", kind="process", stage="production", gas="CO2")])
    assert compute(doc).to_dict()["lines"][0]["kg_co2e"] == expected


def test_per_gas_factor_is_weighted_by_the_inventorys_set() -> None:
    doc = inventory([line("L1", "1", "GJ", "diesel", kind="energy", stage="production")])
    # 1 GJ = 0.001 TJ: 74.1 kg CO2, 0.003 kg CH4 x 29.8, 0.0006 kg N2O x 273
    result = compute(doc).to_dict()
    assert result["by_gas"] == {
        "CO2": "74.100000000",
        "CH4-fossil": "0.089400000",
        "N2O": "0.163800000",
    }
    assert result["kg_co2e_per_unit"] == "74.353200000"
    # The same factor under AR5: CH4 28, N2O 265 (0.084 + 0.159)
    ar5 = dict(doc, gwp="AR5-100")
    assert compute(ar5).to_dict()["kg_co2e_per_unit"] == "74.343000000"


def test_a_co2e_factor_of_another_gwp_set_is_refused() -> None:
    doc = inventory([line("L1", "1", "kWh", "grid", kind="energy", stage="production")])
    with pytest.raises(AccountingError) as caught:
        compute(dict(doc, gwp="AR5-100"))
    assert (caught.value.code, caught.value.path) == ("gwp_mismatch", "lines[0].factor")
    assert caught.value.details["gwp"] == "AR6-100"


def sub_inventory(**changes: Any) -> dict[str, Any]:
    sub = inventory(
        [
            line("C1", "1", "kg", "steel"),  # 2.1 kg, secondary
            line("C2", "0.01", "kg", kind="process", stage="production", gas="N2O"),  # 2.73
        ],
        id="inv-cell",
        declaredUnit={"amount": "1", "unit": "piece"},
    )
    for name in ("category", "factorDatasets", "product"):
        del sub[name]
    sub.update(changes)
    return sub


def test_a_sub_inventory_line_counts_its_parts() -> None:
    doc = inventory(
        [
            line("L1", "2", "piece", subInventory="inv-cell"),
            line("L2", "12", "kWh", "grid", kind="energy", stage="production"),
        ],
        subInventories=[sub_inventory()],
    )
    result = compute(doc)
    first = result.lines[0]
    # 2 cells x (2.1 secondary CO2e + 2.73 primary N2O)
    assert {k: str(v) for k, v in first.parts.items()} == {
        ("CO2e", "secondary"): "4.200000000",
        ("N2O", "primary"): "5.460000000",
    }
    assert first.source == "mixed" and first.sub is not None
    out = result.to_dict()
    assert out["kg_co2e_per_unit"] == "16.099200000"  # 9.66 + 6.4392
    assert out["lines"][0]["stage"] == "raw_materials"  # the parent line's stage
    assert out["primary_data_share"] == "33.91"  # 5.46 / 16.0992
    # Ratings: the cell is rated on 2.1 of 4.83 (reliability 3 -> 3.00); its line weighs
    # R9(9.66 x 2.1 / 4.83) = 4.2 at 3, the grid line 6.4392 at 1: 19.0392 / 10.6392 = 1.7895
    assert out["data_quality"]["reliability"] == "1.79"


def test_a_sub_inventory_is_divided_by_its_declared_amount_and_share() -> None:
    sub = sub_inventory(
        declaredUnit={"amount": "4", "unit": "piece"},
        allocation={"method": "economic", "share": "0.5"},
    )
    doc = inventory([line("L1", "1", "piece", subInventory="inv-cell")], subInventories=[sub])
    # one piece of four, half allocated: 4.83 / 8
    assert compute(doc).to_dict()["kg_co2e_per_unit"] == "0.603750000"


def test_yaml_and_json_inputs_are_one_document() -> None:
    doc = inventory(
        [
            line("L1", "0.42", "kg", "steel"),
            line("L2", "12", "kWh", "grid", kind="energy", stage="production"),
        ]
    )
    digest = doc["factorDatasets"][0]["digest"]
    yaml_text = f"""
format: tanji-inventory/1
id: inv-test
category: laptop
product:
  names: {{zh-Hans: 笔记本电脑, en: Laptop}}
declaredUnit: {{amount: 1, unit: piece}}
gwp: AR6-100
allocation: {{method: none}}
factorDatasets:
  - {{dataset: test-data, version: "1", digest: "{digest}"}}
lines:
  - {{id: L1, kind: material, stage: raw_materials, amount: 0.42, unit: kg,
      factor: {{dataset: test-data, version: "1", id: steel}}}}
  - id: L2
    kind: energy
    stage: production
    amount: 12
    unit: kWh
    factor: {{dataset: test-data, version: "1", id: grid}}
"""
    # Unquoted 1 and 12 are integers in YAML (accepted as decimals): the JSON twin writes them
    # as integers too. A version is a string: quoted.
    twin = json.loads(json.dumps(doc))
    twin["declaredUnit"]["amount"] = 1
    twin["lines"][1]["amount"] = 12
    from_yaml = parse_inventory(yaml_text.encode())
    from_json = parse_inventory(json.dumps(twin, ensure_ascii=False).encode())
    assert from_yaml.digest == from_json.digest == document_digest(twin)


def test_yaml_decimals_are_the_strings_json_writes() -> None:
    doc = inventory([line("L1", "0.42", "kg", "steel")])
    digest = doc["factorDatasets"][0]["digest"]
    yaml_text = (
        "format: tanji-inventory/1\nid: inv-test\ncategory: laptop\n"
        "product: {names: {zh-Hans: 笔记本电脑, en: Laptop}}\n"
        'declaredUnit: {amount: "1", unit: piece}\ngwp: AR6-100\nallocation: {method: none}\n'
        f'factorDatasets: [{{dataset: test-data, version: "1", digest: "{digest}"}}]\n'
        "lines:\n- {id: L1, kind: material, stage: raw_materials, amount: 0.42, unit: kg,\n"
        '   factor: {dataset: test-data, version: "1", id: steel}}\n'
    )
    parsed = parse_inventory(yaml_text)
    assert parsed.digest == document_digest(doc)
    assert calculate(parsed, [parse_factor_dataset(dataset())]).kg_co2e_per_unit == Decimal("0.882")


@pytest.mark.parametrize(
    ("numerator", "denominator", "exponent", "expected"),
    [
        ("1", "3", -9, "0.333333333"),
        ("2", "3", -9, "0.666666667"),
        ("-2", "3", -9, "-0.666666667"),
        ("-0.0000000025", "1", -9, "-2E-9"),
        ("-0.0000000035", "1", -9, "-4E-9"),
        ("125", "1", 1, "1.2E+2"),
        ("135", "1", 1, "1.4E+2"),
        ("1", "0.0003", -2, "3333.33"),
        ("0", "7", -9, "0E-9"),
    ],
)
def test_divide_rounded(numerator: str, denominator: str, exponent: int, expected: str) -> None:
    result = divide_rounded(Decimal(numerator), Decimal(denominator), exponent)
    assert result == Decimal(expected) and result.as_tuple().exponent == exponent


def test_quality_is_null_without_rated_lines() -> None:
    doc = inventory([line("L1", "1", "kg", kind="process", stage="production", gas="CO2")])
    result = compute(doc).to_dict()
    assert result["data_quality"] is None and result["primary_data_share"] == "100.00"


def test_factor_quality_dimensions_weigh_by_emissions() -> None:
    rated = {**QUALITY, "temporal": 5}
    data = dataset(
        factors=[factor("a", "1", "kg CO2e / kg", quality=rated), factor("b", "3", "kg CO2e / kg")]
    )
    doc = inventory(
        [line("L1", "1", "kg", "a"), line("L2", "1", "kg", "b")],
        factorDatasets=[ref(data)],
    )
    # temporal: (1 x 5 + 3 x 1) / 4 = 2
    assert compute(doc, data).to_dict()["data_quality"]["temporal"] == "2.00"
