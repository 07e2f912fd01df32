"""Footprint calculation: a 10,000-line inventory's exact point value, and ``verify --inventory``.

Prints, each the median of several runs in this process:

- parse + validate a 10,000-line inventory (JSON bytes), and ``calculate`` its point value (exact
  decimal, pint units, every line rounded by the rule of docs/PROTOCOL.md section 17);
- two baselines measured in the same run over the same lines: the bare sum of
  ``amount * conversion * value`` in binary floats, and in ``Decimal`` without units, rounding or
  validation; the ratio of the calculation to each;
- ``tanji verify BUNDLE --offline --inventory FILE --factors FILE`` on a 1,000-line inventory, in
  process (warm: pint's unit registry loaded), and as a fresh process (cold, Python start-up
  included).

Targets (issue 9): 10,000 lines, point value and 1,000-iteration Monte Carlo, under 1 s (the
Monte Carlo is registry/accounting's); verify --inventory on 1,000 lines under 200 ms.

    python bench/accounting_calc.py [--lines 10000] [--runs 5]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("ETH_HASH_BACKEND", "pysha3")

from bench.accounting_data import make_dataset, make_inventory, median_seconds  # noqa: E402
from verifier.cli import main as verify_main  # noqa: E402
from verifier.protocol.accounting import (  # noqa: E402
    ENGINE_VERSION,
    calculate,
    document_digest,
    parse_factor_dataset,
    parse_inventory,
    parse_unit,
)
from verifier.protocol.factor_dataset import (  # noqa: E402
    DOCUMENT_MEMBER,
    FACTOR_DATASET,
    factor_dataset_record,
)
from verifier.protocol.hashing import keccak  # noqa: E402
from verifier.protocol.leaf import record_leaf_value  # noqa: E402
from verifier.protocol.merkle import leaf_hash  # noqa: E402
from verifier.protocol.records import BUNDLE_FORMAT, LEAF_ENCODING  # noqa: E402

#: The bench publisher's signing key.
PUBLISHER_KEY = "0x" + keccak(b"tanji/bench/publisher").hex()
# (factor unit, line units): lines in the factor's unit and in others that convert to it.
KINDS = [
    ("kg CO2e / kWh", ["kWh", "MJ", "MWh"], "energy", "production"),
    ("t CO2e / t", ["kg", "t", "g"], "material", "raw_materials"),
    ("kg CO2e / (t*km)", ["t*km", "tkm", "kg*km"], "transport", "distribution"),
    ("kg CO2e / m3", ["L", "m3"], "material", "raw_materials"),
    ("kg CO2e / TJ", ["GJ", "MJ"], "energy", "production"),
]


def baselines(
    inventory: dict[str, Any], dataset: dict[str, Any]
) -> tuple[Callable[[], float], Callable[[], Decimal]]:
    """The same lines as bare float and bare Decimal sums (conversions precomputed)."""
    values = {f["id"]: f["value"] for f in dataset["factors"]}
    per = {f["id"]: parse_unit(f["unit"].split("/", 1)[1].strip()) for f in dataset["factors"]}
    rows = []
    for line in inventory["lines"]:
        if "factor" not in line:
            continue
        unit, to = parse_unit(line["unit"]), per[line["factor"]["id"]]
        ratio = (unit.numerator * to.denominator) / (unit.denominator * to.numerator)
        rows.append((line["amount"], str(ratio), values[line["factor"]["id"]]))
    floats = [(float(a), float(r), float(v)) for a, r, v in rows]
    decimals = [(Decimal(a), Decimal(r), Decimal(v)) for a, r, v in rows]

    def float_sum() -> float:
        return sum(a * r * v for a, r, v in floats)

    def decimal_sum() -> Decimal:
        return sum((a * r * v for a, r, v in decimals), Decimal(0))

    return float_sum, decimal_sum


def make_bundle(record: dict[str, Any]) -> dict[str, Any]:
    salt = b"\x07" * 32
    value = record_leaf_value(record, salt)
    return {
        "format": BUNDLE_FORMAT,
        "record": record,
        "salt": "0x" + salt.hex(),
        "leafEncoding": list(LEAF_ENCODING),
        "leafValue": value,
        "proof": [],
        "root": "0x" + leaf_hash(LEAF_ENCODING, value).hex(),
        "anchor": {
            "chainId": 31337,
            "contract": "0x" + "11" * 20,
            "txHash": "0x" + "22" * 32,
            "blockNumber": 1,
        },
    }


def version_bundle(dataset: dict[str, Any]) -> dict[str, Any]:
    """The dataset version's own bundle, signed by the bench publisher, with its ``document``
    (docs/PROTOCOL.md section 17.7): what ``--inventory`` proves a version with."""
    from eth_account import Account

    message = {"dataset": dataset["dataset"], "version": dataset["version"]}
    message["digest"] = document_digest(dataset)
    typed = FACTOR_DATASET.typed_data(message, chain_id=31337, contract="0x" + "11" * 20)
    signed = Account.sign_typed_data(PUBLISHER_KEY, full_message=typed)
    return make_bundle(factor_dataset_record(typed, bytes(signed.signature))) | {
        DOCUMENT_MEMBER: dataset
    }


def verify_files(directory: Path, lines: int) -> list[str]:
    """Write a 1,000-line inventory, its dataset version's bundle and a matching footprint
    bundle; the argv."""
    from eth_account import Account

    dataset = make_dataset(KINDS, value=lambda i: f"{0.1 + i * 0.0137:.4f}", gsd=lambda i: "1.1")
    dataset["publisher"]["address"] = Account.from_key(PUBLISHER_KEY).address
    inventory = make_inventory(lines, dataset, KINDS)
    result = calculate(parse_inventory(inventory), [parse_factor_dataset(dataset)]).to_dict()
    record = {
        "type": "footprint",
        "id": "fp-bench",
        "kg_co2e_per_unit": float(result["kg_co2e_per_unit"]),
        "calculation": {
            "engine": ENGINE_VERSION,
            "inventory_digest": result["inventory"]["digest"],
            "factor_datasets": result["factor_datasets"],
            "kg_co2e_per_unit": result["kg_co2e_per_unit"],
            "line_values": {x["id"]: x["kg_co2e"] for x in result["lines"]},
        },
    }
    paths = {
        "bundle": make_bundle(record),
        "inventory": inventory,
        "factors": version_bundle(dataset),
    }
    for name, doc in paths.items():
        (directory / f"{name}.json").write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    return [
        str(directory / "bundle.json"),
        "--offline",
        "--inventory",
        str(directory / "inventory.json"),
        "--factors",
        str(directory / "factors.json"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    dataset_doc = make_dataset(
        KINDS, value=lambda i: f"{0.1 + i * 0.0137:.4f}", gsd=lambda i: "1.1"
    )
    dataset = parse_factor_dataset(dataset_doc)
    inventory_doc = make_inventory(args.lines, dataset_doc, KINDS)
    data = json.dumps(inventory_doc).encode()
    inventory = parse_inventory(data)  # warms pint and the unit cache
    footprint = calculate(inventory, [dataset])

    parse_s = median_seconds(lambda: parse_inventory(data), args.runs)
    calc_s = median_seconds(lambda: calculate(inventory, [dataset]), args.runs)
    both_s = median_seconds(lambda: calculate(parse_inventory(data), [dataset]), args.runs)
    float_sum, decimal_sum = baselines(inventory_doc, dataset_doc)
    float_s = median_seconds(float_sum, max(args.runs, 20))
    decimal_s = median_seconds(decimal_sum, max(args.runs, 20))

    print(
        f"{args.lines:,}-line inventory ({len(inventory.lines):,} lines, "
        f"{footprint.kg_co2e_per_unit} kg CO2e per unit)"
    )
    print(f"  parse + validate          {parse_s * 1000:8.1f} ms")
    print(
        f"  calculate (point value)   {calc_s * 1000:8.1f} ms   "
        f"({calc_s / args.lines * 1e6:.1f} us per line)"
    )
    print(
        f"  parse + calculate         {both_s * 1000:8.1f} ms   target (with 1,000-iteration "
        "Monte Carlo): < 1000 ms"
    )
    print(
        f"  baseline float sum        {float_s * 1000:8.2f} ms   calculate is "
        f"{calc_s / float_s:,.0f}x"
    )
    print(
        f"  baseline Decimal sum      {decimal_s * 1000:8.2f} ms   calculate is "
        f"{calc_s / decimal_s:,.1f}x"
    )

    with tempfile.TemporaryDirectory() as tmp:
        argv = verify_files(Path(tmp), 1_000)
        out = io.StringIO()
        assert verify_main(argv, out=out) == 0, out.getvalue()
        warm = median_seconds(lambda: verify_main(argv, out=io.StringIO()), args.runs)
        cold = []
        for _ in range(3):
            start = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "verifier", *argv],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=False,
            )
            cold.append(time.perf_counter() - start)
            assert done.returncode == 0, done.stdout + done.stderr
    print("verify --offline --inventory, 1,000 lines")
    print(f"  in process (warm)         {warm * 1000:8.1f} ms   target < 200 ms")
    print(
        f"  fresh process (cold)      {statistics.median(cold) * 1000:8.1f} ms   "
        "(Python start-up and imports included)"
    )


if __name__ == "__main__":
    main()
