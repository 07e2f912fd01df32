"""Generate the footprint-calculation vectors into tests/assets/calculation_vectors.json.

docs/PROTOCOL.md section 17 ("Footprint calculation") is normative; these vectors let a verifier
in another language check its implementation against it digit for digit: factor dataset
documents, inventories and the results ``verifier.protocol.accounting`` computes from them
(``calculate(...).to_dict()``), refused inventories with the code and path of each fault, and
single roundings R_e(x / y). Every case is chosen to exercise a rule: a conversion that does not
terminate (MJ to kWh), ties rounded to even, allocation and the declared-amount division, per-gas
factors under both GWP sets, a sub-inventory, prefixed and compound units.
Run from the repository root: ``python scripts/gen_calculation_vectors.py`` (``--check`` exits 1
when the file is not what this script makes).
"""

from __future__ import annotations

import copy
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from verifier.protocol.accounting import (  # noqa: E402
    ENGINE_VERSION,
    FACTORS_FORMAT,
    INVENTORY_FORMAT,
    AccountingError,
    calculate,
    divide_rounded,
    document_digest,
    parse_factor_dataset,
    parse_inventory,
)

OUT = ROOT / "tests" / "assets" / "calculation_vectors.json"
QUALITY = {
    "reliability": 2,
    "completeness": 1,
    "temporal": 3,
    "geographical": 1,
    "technological": 2,
}


def _factor(factor_id: str, value: str, unit: str, **changes: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": factor_id,
        "names": {"zh-Hans": f"向量因子 {factor_id}", "en": f"vector factor {factor_id}"},
        "value": value,
        "unit": unit,
        "gases": "CO2e",
        "gwp": "AR6-100",
        "geography": "CN",
        "year": 2023,
        "source": {"document": "Tanji calculation vectors (not real data)", "table": "1"},
        "uncertainty": {"distribution": "lognormal", "gsd": "1.2"},
        "quality": dict(QUALITY),
        "illustrative": True,
    }
    item.update(changes)
    return item


DATASET: dict[str, Any] = {
    "format": FACTORS_FORMAT,
    "dataset": "vectors",
    "version": "1",
    "publisher": {"name": "Tanji vectors", "address": "0x" + "12" * 20},
    "published": "2026-12-01",
    "deprecates": [],
    "factors": [
        _factor("grid", "0.5703", "kg CO2e / kWh"),
        _factor("steel", "1.85", "t CO2e / t", quality={**QUALITY, "reliability": 4}),
        _factor("truck", "0.0497", "kg CO2e / (t*km)"),
        _factor("water", "0.344", "g CO2e / L"),
        _factor("glass", "1.1", "kg CO2e / kg", uncertainty={"distribution": "none"}),
        _factor(
            "gas-boiler",
            "56.1545",
            "t CO2e / TJ",
            gases={"CO2": "56.1", "CH4-fossil": "0.001", "N2O": "0.0001"},
            gwp="AR5-100",
        ),
    ],
}


def _ref() -> dict[str, str]:
    return {"dataset": "vectors", "version": "1", "digest": document_digest(DATASET)}


def _line(
    line_id: str, amount: str, unit: str, source: dict[str, Any], **kw: Any
) -> dict[str, Any]:
    return {
        "id": line_id,
        "kind": kw.get("kind", "material"),
        "stage": kw.get("stage", "raw_materials"),
        "amount": amount,
        "unit": unit,
        **source,
    }


def _f(factor_id: str) -> dict[str, Any]:
    return {"factor": {"dataset": "vectors", "version": "1", "id": factor_id}}


def _inventory(inv_id: str, lines: list[dict[str, Any]], **changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "format": INVENTORY_FORMAT,
        "id": inv_id,
        "category": "laptop",
        "declaredUnit": {"amount": "1", "unit": "piece"},
        "gwp": "AR6-100",
        "allocation": {"method": "none"},
        "factorDatasets": [_ref()],
        "lines": lines,
    }
    doc.update(changes)
    return doc


def _sub(inv_id: str, lines: list[dict[str, Any]], **changes: Any) -> dict[str, Any]:
    doc = _inventory(inv_id, lines, **changes)
    del doc["category"], doc["factorDatasets"]
    return doc


def cases() -> list[tuple[str, str, dict[str, Any]]]:
    """``(name, what it exercises, inventory)``."""
    energy = {"kind": "energy", "stage": "production"}
    return [
        (
            "mixed",
            "factor, transport, process and component lines; primary share; data quality",
            _inventory(
                "vec-mixed",
                [
                    _line("L1", "0.733", "kg", _f("steel")),
                    _line("L2", "18.25", "kWh", _f("grid"), **energy),
                    _line("L3", "0.0125", "t*km", _f("truck"), kind="transport"),
                    _line("L4", "0.0042", "kg", {"gas": "N2O"}, kind="process", stage="production"),
                    _line(
                        "L5",
                        "2",
                        "piece",
                        {
                            "component": {
                                "attestation": "0x" + "ab" * 32,
                                "value": "3.3333",
                                "unit": "kg CO2e / piece",
                            }
                        },
                    ),
                ],
            ),
        ),
        (
            "non-terminating",
            "MJ to kWh is 1/3.6: each line is rounded once, then summed",
            _inventory(
                "vec-mj",
                [
                    _line(f"L{i}", amount, "MJ", _f("grid"), **energy)
                    for i, amount in enumerate(("1", "7", "0.5", "13.37"), 1)
                ],
            ),
        ),
        (
            "ties",
            "exact halves of 1e-9 kg round to the even multiple",
            _inventory(
                "vec-ties",
                [
                    _line(f"L{i}", amount, "kg", {"gas": "CO2"}, kind="process", stage="production")
                    for i, amount in enumerate(
                        ("0.0000000005", "0.0000000015", "0.0000000025", "0.00000000350"), 1
                    )
                ],
            ),
        ),
        (
            "allocation",
            "allocation share and declared amount: R9(T x s / A)",
            _inventory(
                "vec-allocation",
                [
                    _line("L1", "1", "t", _f("steel")),
                    _line("L2", "10", "kWh", _f("grid"), **energy),
                ],
                allocation={"method": "economic", "share": "0.37"},
                declaredUnit={"amount": "3", "unit": "piece"},
            ),
        ),
        (
            "per-gas-ar6",
            "a per-gas factor published under AR5, weighted with AR6",
            _inventory("vec-gas6", [_line("L1", "2.5", "GJ", _f("gas-boiler"), **energy)]),
        ),
        (
            "per-gas-ar5",
            "the same under AR5 (CH4 28, N2O 265)",
            _inventory(
                "vec-gas5", [_line("L1", "2.5", "GJ", _f("gas-boiler"), **energy)], gwp="AR5-100"
            ),
        ),
        (
            "units",
            "g CO2e per L with mL; kg per kg with g; t*km with tkm",
            _inventory(
                "vec-units",
                [
                    _line("L1", "750", "mL", _f("water")),
                    _line("L2", "125", "g", _f("glass")),
                    _line("L3", "3.2", "tkm", _f("truck"), kind="transport"),
                ],
            ),
        ),
        (
            "sub-inventory",
            "a sub-assembly of 4 pieces at share 0.5, used 3 times; parts kept by gas and source",
            _inventory(
                "vec-parent",
                [
                    _line("P1", "3", "piece", {"subInventory": "vec-cell"}),
                    _line("P2", "1", "kWh", _f("grid"), **energy),
                ],
                subInventories=[
                    _sub(
                        "vec-cell",
                        [
                            _line("C1", "0.3", "kg", _f("steel")),
                            _line(
                                "C2",
                                "0.001",
                                "kg",
                                {"gas": "CH4-fossil"},
                                kind="process",
                                stage="production",
                            ),
                        ],
                        declaredUnit={"amount": "4", "unit": "piece"},
                        allocation={"method": "mass", "share": "0.5"},
                    )
                ],
            ),
        ),
    ]


def refusals() -> list[tuple[str, dict[str, Any]]]:
    """``(name, inventory)`` that :func:`calculate` refuses."""
    return [
        ("unit-mismatch", _inventory("vec-bad-unit", [_line("L1", "1", "kg", _f("grid"))])),
        (
            "gwp-mismatch",
            _inventory("vec-bad-gwp", [_line("L1", "1", "kWh", _f("grid"))], gwp="AR5-100"),
        ),
        ("unknown-factor", _inventory("vec-bad-factor", [_line("L1", "1", "kg", _f("copper"))])),
        (
            "plain-ch4-under-ar6",
            _inventory("vec-bad-gas", [_line("L1", "1", "kg", {"gas": "CH4"}, kind="process")]),
        ),
    ]


ROUNDINGS = [
    ("1", "3", -9),
    ("2", "3", -9),
    ("0.0000000005", "1", -9),
    ("0.0000000015", "1", -9),
    ("-0.0000000025", "1", -9),
    ("1", "0.0003", -2),
    ("125", "1", 1),
    ("5703", "36000", -9),
]


def build() -> dict[str, Any]:
    """The vectors file's content."""
    dataset = parse_factor_dataset(copy.deepcopy(DATASET))
    out_cases = []
    for name, note, doc in cases():
        result = calculate(parse_inventory(copy.deepcopy(doc)), [dataset]).to_dict()
        out_cases.append({"name": name, "note": note, "inventory": doc, "result": result})
    out_refusals = []
    for name, doc in refusals():
        try:
            calculate(parse_inventory(copy.deepcopy(doc)), [dataset])
        except AccountingError as exc:
            issues = [{"code": i.code, "path": i.path} for i in exc.issues]
        else:
            raise AssertionError(f"{name} was not refused")
        out_refusals.append({"name": name, "inventory": doc, "issues": issues})
    roundings = [
        {
            "numerator": n,
            "denominator": d,
            "exponent": e,
            "result": format(divide_rounded(Decimal(n), Decimal(d), e), "f"),
        }
        for n, d, e in ROUNDINGS
    ]
    return {
        "description": "Footprint calculation vectors (docs/PROTOCOL.md section 17); generated by "
        "scripts/gen_calculation_vectors.py",
        "engine": ENGINE_VERSION,
        "datasets": [DATASET],
        "cases": out_cases,
        "refusals": out_refusals,
        "roundings": roundings,
    }


def render() -> str:
    """The file's text."""
    return json.dumps(build(), ensure_ascii=False, indent=2) + "\n"


if __name__ == "__main__":
    text = render()
    if "--check" in sys.argv[1:]:
        sys.exit(0 if OUT.read_text("utf-8") == text else 1)
    OUT.write_text(text, "utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")
