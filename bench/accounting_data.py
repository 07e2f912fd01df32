"""Synthetic factor datasets and inventories for the accounting benches (accounting_calc.py,
accounting_montecarlo.py), and the median timer they share.

A dataset of ``factors`` illustrative factors cycling through ``kinds`` (factor unit, the line
units that convert to it, line kind, stage); an inventory of ``lines`` lines citing them in turn,
1 line in 50 a direct N2O emission and 1 in 50 a supplier component; with ``spreads``, every line
also carries an amount distribution of its own.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

from verifier.protocol.accounting import FACTORS_FORMAT, INVENTORY_FORMAT, document_digest

Kind = tuple[str, Sequence[str], str, str]
Spread = Callable[[float], dict[str, str]]
QUALITY = {
    "reliability": 2,
    "completeness": 2,
    "temporal": 1,
    "geographical": 1,
    "technological": 3,
}


def make_dataset(
    kinds: Sequence[Kind],
    *,
    factors: int = 50,
    value: Callable[[int], str],
    gsd: Callable[[int], str],
) -> dict[str, Any]:
    """A ``tanji-factors/1`` document ``bench@1``: factor ``i`` has ``value(i)`` and ``gsd(i)``."""
    return {
        "format": FACTORS_FORMAT,
        "dataset": "bench",
        "version": "1",
        "publisher": {"name": "bench", "address": "0x" + "11" * 20},
        "published": "2026-12-01",
        "factors": [
            {
                "id": f"f{i}",
                "names": {"zh-Hans": f"因子{i}", "en": f"factor {i}"},
                "value": value(i),
                "unit": kinds[i % len(kinds)][0],
                "gases": "CO2e",
                "gwp": "AR6-100",
                "geography": "CN",
                "year": 2023,
                "source": {},
                "illustrative": True,
                "uncertainty": {"distribution": "lognormal", "gsd": gsd(i)},
                "quality": QUALITY,
            }
            for i in range(factors)
        ],
    }


def make_inventory(
    lines: int,
    dataset: dict[str, Any],
    kinds: Sequence[Kind],
    *,
    amount_digits: int = 3,
    gas_unit: str = "kg",
    spreads: Sequence[Spread] = (),
) -> dict[str, Any]:
    """A ``tanji-inventory/1`` laptop inventory of ``lines`` lines citing ``dataset``."""
    factors = len(dataset["factors"])
    items: list[dict[str, Any]] = []
    for i in range(lines):
        factor = i % factors
        _, units, kind, stage = kinds[factor % len(kinds)]
        amount = (i % 997) * 0.013 + 0.5
        line: dict[str, Any] = {
            "id": f"L{i}",
            "kind": kind,
            "stage": stage,
            "amount": f"{amount:.{amount_digits}f}",
            "unit": units[i % len(units)],
        }
        if spreads:
            line["uncertainty"] = spreads[i % len(spreads)](amount)
        if i % 50 == 7:
            line.update(kind="process", stage="production", unit=gas_unit, gas="N2O")
        elif i % 50 == 13:
            line.update(
                unit="piece",
                component={
                    "attestation": "0x" + "ab" * 32,
                    "value": "3.25",
                    "unit": "kg CO2e / piece",
                },
            )
        else:
            line["factor"] = {"dataset": "bench", "version": "1", "id": f"f{factor}"}
        items.append(line)
    return {
        "format": INVENTORY_FORMAT,
        "id": f"bench-{lines}",
        "category": "laptop",
        "declaredUnit": {"amount": "1", "unit": "piece"},
        "gwp": "AR6-100",
        "allocation": {"method": "none"},
        "factorDatasets": [
            {"dataset": "bench", "version": "1", "digest": document_digest(dataset)}
        ],
        "lines": items,
    }


def median_seconds(run: Callable[[], object], runs: int) -> float:
    """The median wall time of ``runs`` calls of ``run``."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
