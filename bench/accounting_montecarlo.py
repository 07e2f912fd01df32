"""A 10,000-line inventory calculated as ``POST /api/v1/calculations`` does: point value + 1,000-
iteration Monte Carlo.

Every line has a distribution of its own (normal, lognormal or triangular amounts) and cites one
of 50 factors with a lognormal distribution; 1 line in 50 is a direct N2O emission, 1 in 50 a
supplier component. Prints, each the median of several runs in this process:

- parse + validate the inventory (JSON bytes) and its factor dataset;
- the point value: the category's rules and the exact calculation (verifier.protocol.accounting);
- the Monte Carlo run (registry.accounting.uncertainty: stats_arrays on a seeded numpy Generator);
- the total, against the target (issue 9: under 1 s);
- the baseline measured in the same run: numpy alone drawing the same number of samples
  (lognormal, on a seeded Generator) and summing them, with no inventory behind them; and the
  Monte Carlo run's ratio to it.

    python bench/accounting_montecarlo.py [--lines 10000] [--iterations 1000] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("ETH_HASH_BACKEND", "pysha3")

import numpy as np  # noqa: E402

from bench.accounting_data import make_dataset, make_inventory, median_seconds  # noqa: E402
from registry.accounting.calculation import (  # noqa: E402
    MonteCarlo,
    run_calculation,
    sampling_terms,
)
from registry.accounting.uncertainty import monte_carlo  # noqa: E402
from verifier.protocol.accounting import (  # noqa: E402
    parse_factor_dataset,
    parse_inventory,
)

FACTORS = 50
# (factor unit, line units, kind, stage): the laptop's stages, cradle to grave.
KINDS = [
    ("kg CO2e / kg", ["kg", "g"], "material", "raw_materials"),
    ("kg CO2e / kWh", ["kWh", "MJ"], "energy", "production"),
    ("kg CO2e / (t*km)", ["t*km", "kg*km"], "transport", "distribution"),
    ("kg CO2e / kWh", ["kWh", "Wh"], "energy", "use"),
    ("kg CO2e / kg", ["kg", "g"], "waste", "end_of_life"),
]
SPREADS = [
    lambda amount: {"distribution": "normal", "sd": f"{amount * 0.05:.4f}"},
    lambda amount: {"distribution": "lognormal", "gsd": "1.2"},
    lambda amount: {
        "distribution": "triangular",
        "min": f"{amount * 0.8:.4f}",
        "max": f"{amount * 1.3:.4f}",
    },
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--iterations", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    dataset_doc = make_dataset(
        KINDS,
        factors=FACTORS,
        value=lambda i: f"{0.2 + i * 0.0311:.4f}",
        gsd=lambda i: f"{1.1 + (i % 5) * 0.1:.1f}",
    )
    inventory_bytes = json.dumps(
        make_inventory(
            args.lines, dataset_doc, KINDS, amount_digits=4, gas_unit="g", spreads=SPREADS
        )
    ).encode()
    dataset_bytes = json.dumps(dataset_doc).encode()
    inventory = parse_inventory(inventory_bytes)
    datasets = [parse_factor_dataset(dataset_bytes)]
    run = MonteCarlo(args.iterations, seed=1)

    def parse() -> object:
        return parse_inventory(inventory_bytes), parse_factor_dataset(dataset_bytes)

    def point() -> object:
        return run_calculation(inventory, datasets, monte_carlo_run=None)

    footprint = run_calculation(inventory, datasets, monte_carlo_run=None).footprint

    def sampling() -> object:
        terms, quantities = sampling_terms(footprint)
        return monte_carlo(terms, quantities, iterations=run.iterations, seed=run.seed)

    def whole() -> object:
        parsed = parse_inventory(inventory_bytes)
        return run_calculation(parsed, [parse_factor_dataset(dataset_bytes)], monte_carlo_run=run)

    terms, quantities = sampling_terms(footprint)
    draws = sum(1 for q in quantities.values() if q.varies)

    def numpy_alone() -> object:
        rng = np.random.default_rng(1)
        return rng.lognormal(0.0, 0.1, size=(args.iterations, draws)).sum(axis=1)

    whole()  # warm: pint's registry, caches
    t_parse = median_seconds(parse, args.runs)
    t_point = median_seconds(point, args.runs)
    t_mc = median_seconds(sampling, args.runs)
    t_whole = median_seconds(whole, args.runs)
    t_numpy = median_seconds(numpy_alone, args.runs)
    result = whole()
    interval = result.interval
    assert interval is not None
    print(f"inventory: {args.lines:,} lines, {len(terms):,} terms, {draws:,} uncertain quantities")
    print(f"  kg CO2e per unit {result.to_dict()['kg_co2e_per_unit']}")
    print(
        f"  95 % interval {interval.low:.3f} … {interval.high:.3f} ({args.iterations:,} iterations)"
    )
    print(f"parse + validate            {t_parse * 1000:8.1f} ms")
    print(f"point value (rules + exact) {t_point * 1000:8.1f} ms")
    print(f"Monte Carlo                 {t_mc * 1000:8.1f} ms")
    print(
        f"total (all three)           {t_whole * 1000:8.1f} ms   target < 1000 ms: "
        f"{'met' if t_whole < 1 else 'MISSED'}"
    )
    print(
        f"baseline: numpy alone, {draws * args.iterations:,} lognormal draws summed "
        f"{t_numpy * 1000:8.1f} ms"
    )
    print(f"Monte Carlo / baseline      {t_mc / t_numpy:8.2f}x")
    print(f"total / baseline            {t_whole / t_numpy:8.2f}x")


if __name__ == "__main__":
    main()
