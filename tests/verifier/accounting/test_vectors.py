"""The calculation vectors of docs/PROTOCOL.md section 17 (tests/assets/calculation_vectors.json):
the file is what its generator makes, and the engine reproduces every case to the digit."""

from __future__ import annotations

import importlib.util
import json
import re
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from verifier.protocol.accounting import (
    ENGINE_VERSION,
    UNIT_TABLE,
    AccountingError,
    calculate,
    divide_rounded,
    parse_factor_dataset,
    parse_inventory,
)

ROOT = Path(__file__).resolve().parents[3]
FILE = ROOT / "tests" / "assets" / "calculation_vectors.json"
VECTORS: dict[str, Any] = json.loads(FILE.read_text("utf-8"))
DATASETS = [parse_factor_dataset(doc) for doc in VECTORS["datasets"]]


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_calculation_vectors", ROOT / "scripts" / "gen_calculation_vectors.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_file_is_what_the_generator_makes() -> None:
    assert _generator().render() == FILE.read_text("utf-8")
    assert VECTORS["engine"] == ENGINE_VERSION


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda c: c["name"])
def test_each_case_is_reproduced_to_the_digit(case: dict[str, Any]) -> None:
    result = calculate(parse_inventory(json.dumps(case["inventory"])), DATASETS)
    assert result.to_dict() == case["result"]


@pytest.mark.parametrize("case", VECTORS["refusals"], ids=lambda c: c["name"])
def test_each_refusal_is_reproduced(case: dict[str, Any]) -> None:
    with pytest.raises(AccountingError) as caught:
        calculate(parse_inventory(case["inventory"]), DATASETS)
    assert [{"code": i.code, "path": i.path} for i in caught.value.issues] == case["issues"]


@pytest.mark.parametrize(
    "case", VECTORS["roundings"], ids=lambda c: f"{c['numerator']}/{c['denominator']}"
)
def test_each_rounding(case: dict[str, Any]) -> None:
    result = divide_rounded(
        Decimal(case["numerator"]), Decimal(case["denominator"]), case["exponent"]
    )
    assert format(result, "f") == case["result"]


def test_the_unit_table_in_protocol_md_is_the_codes() -> None:
    doc = (ROOT / "docs" / "PROTOCOL.md").read_text("utf-8")
    found = re.search(r"<!-- unit-table:begin -->\n(.*?)<!-- unit-table:end -->", doc, re.S)
    assert found is not None
    rows = [line for line in found[1].splitlines() if line.startswith("| `")]
    assert rows == [f"| `{s}` | {q} | {f} | {b} |" for s, q, f, b in UNIT_TABLE]


def test_the_vectors_exercise_what_section_17_names() -> None:
    names = {case["name"] for case in VECTORS["cases"]}
    assert {"non-terminating", "ties", "allocation", "sub-inventory", "per-gas-ar5"} <= names
    ties = next(c for c in VECTORS["cases"] if c["name"] == "ties")["result"]["lines"]
    assert [line["kg_co2e"] for line in ties] == [
        "0.000000000",
        "0.000000002",
        "0.000000002",
        "0.000000004",
    ]
