"""The Monte Carlo run: seeded, reproducible, with stats_arrays' distributions as documented."""

from __future__ import annotations

import math

import numpy as np
import pytest
from stats_arrays import LognormalUncertainty

from registry.accounting.calculation import sampling_terms
from registry.accounting.datasets import StarterDatasets, resolve_datasets
from registry.accounting.uncertainty import (
    MAX_ITERATIONS,
    MAX_SAMPLES,
    Term,
    UncertaintyError,
    monte_carlo,
    uncertain,
)
from registry.errors import InvalidInputError
from tests.registry.calculations_data import example
from verifier.protocol.accounting import calculate, parse_inventory


def test_same_seed_same_interval_other_seed_another() -> None:
    quantities = {
        "f": uncertain(2.0, {"distribution": "lognormal", "gsd": "1.2"}, field="f"),
        "a": uncertain(5.0, {"distribution": "triangular", "min": "4", "max": "7"}, field="a"),
    }
    terms = [Term(10.0, ("f", "a")), Term(3.0)]
    first = monte_carlo(terms, quantities, iterations=2000, seed=42)
    assert monte_carlo(terms, quantities, iterations=2000, seed=42) == first
    assert monte_carlo(terms, quantities, iterations=2000, seed=43) != first
    assert first.low < 13.0 < first.high and first.iterations == 2000 and first.seed == 42


def test_a_normal_amount_gives_the_normal_interval() -> None:
    quantities = {"a": uncertain(100.0, {"distribution": "normal", "sd": "5"}, field="a")}
    # A line worth 200 at the amount's point value 100: 2 × N(100, 5), 95 % at 200 ± 1.96 × 10.
    result = monte_carlo([Term(200.0, ("a",))], quantities, iterations=MAX_ITERATIONS, seed=1)
    assert result.low == pytest.approx(200 - 19.6, abs=1.0)
    assert result.high == pytest.approx(200 + 19.6, abs=1.0)
    assert result.mean == pytest.approx(200, abs=0.5)


def test_lognormal_is_stats_arrays_with_the_point_value_as_median() -> None:
    gsd = 1.5
    quantity = uncertain(8.0, {"distribution": "lognormal", "gsd": str(gsd)}, field="f")
    params = dict(quantity.params)
    assert params["loc"] == pytest.approx(math.log(8.0))
    assert params["scale"] == pytest.approx(math.log(gsd))
    result = monte_carlo([Term(8.0, ("f",))], {"f": quantity}, iterations=MAX_ITERATIONS, seed=5)
    assert result.median == pytest.approx(8.0, rel=0.02)
    # The same draws as stats_arrays' own sampler on a generator with the same seed.
    array = LognormalUncertainty.from_dicts(params)
    draws = LognormalUncertainty.random_variables(array, MAX_ITERATIONS, np.random.default_rng(5))
    low, high = np.percentile(draws[0], (2.5, 97.5))
    assert (result.low, result.high) == (pytest.approx(low), pytest.approx(high))


def test_a_factor_cited_by_many_lines_is_sampled_once() -> None:
    quantity = {"f": uncertain(1.0, {"distribution": "lognormal", "gsd": "2"}, field="f")}
    shared = monte_carlo([Term(1.0, ("f",))] * 50, quantity, iterations=4000, seed=2)
    independent = monte_carlo(
        [Term(1.0, (f"f{i}",)) for i in range(50)],
        {f"f{i}": quantity["f"] for i in range(50)},
        iterations=4000,
        seed=2,
    )
    # Correlated through one factor, the spread does not average out as 50 separate ones do.
    assert shared.high - shared.low > 3 * (independent.high - independent.low)


def test_quantities_without_spread_are_their_point_value() -> None:
    quantities = {
        "none": uncertain(3.0, {"distribution": "none"}, field="x"),
        "zero": uncertain(0.0, {"distribution": "lognormal", "gsd": "2"}, field="x"),
        "absent": uncertain(3.0, None, field="x"),
    }
    result = monte_carlo([Term(4.0, tuple(quantities))], quantities, iterations=10, seed=0)
    assert result.low == result.high == 4.0


@pytest.mark.parametrize(
    ("member", "field"),
    [
        ({"distribution": "beta"}, "u.distribution"),
        ({"distribution": "normal"}, "u.sd"),
        ({"distribution": "normal", "sd": "-1"}, "u.sd"),
        ({"distribution": "lognormal", "gsd": "0.5"}, "u.gsd"),
        ({"distribution": "triangular", "min": "6", "max": "9"}, "u"),
        ({"distribution": "uniform", "min": "3", "max": "3"}, "u"),
    ],
)
def test_bad_uncertainty_is_refused_with_its_field(member: dict[str, str], field: str) -> None:
    with pytest.raises(UncertaintyError) as info:
        uncertain(5.0, member, field="u")
    assert info.value.code == "invalid_uncertainty" and info.value.field == field


def test_iterations_and_samples_are_bounded() -> None:
    with pytest.raises(InvalidInputError) as info:
        monte_carlo([], {}, iterations=MAX_ITERATIONS + 1)
    assert info.value.field == "monte_carlo.iterations"
    spread = uncertain(1.0, {"distribution": "normal", "sd": "0.1"}, field="x")
    many = {f"q{i}": spread for i in range(MAX_SAMPLES // MAX_ITERATIONS + 1)}
    with pytest.raises(InvalidInputError) as info:
        monte_carlo([Term(1.0, tuple(many))], many, iterations=MAX_ITERATIONS)
    assert info.value.code == "too_many_samples"


def test_sub_inventory_lines_are_terms_scaled_by_the_line_that_uses_them() -> None:
    inventory = parse_inventory(example("lfp-battery-pack.json"))
    footprint = calculate(inventory, resolve_datasets(inventory, [StarterDatasets()]))
    terms, quantities = sampling_terms(footprint)
    # 9 pack lines of their own + 8 lines of the cell used by the "cells" line.
    assert len(terms) == 9 + 8
    assert sum(t.value for t in terms) == pytest.approx(float(footprint.kg_co2e_per_unit))
    assert "amount:subInventories[0].lines[0]" in quantities  # the cathode's own spread
    cathode = next(t for t in terms if "amount:subInventories[0].lines[0]" in t.keys)
    assert cathode.value == pytest.approx(60 * 2.05 * 12 / 53.76)


def test_the_sparse_sum_is_the_sum_of_the_terms() -> None:
    from registry.accounting.uncertainty import _Sum

    index = {"a": 0, "b": 1, "c": 2, "d": 3}
    terms = [
        Term(2.0, ("a", "b")),
        Term(3.0, ("c", "b")),
        Term(5.0, ("d",)),
        Term(7.0),
        Term(11.0, ("a", "c", "d")),  # a sub-inventory line under an uncertain amount
        Term(13.0, ("b", "not-varying")),
    ]
    ratios = np.vstack([np.random.default_rng(3).uniform(0.5, 1.5, size=(4, 6)), np.ones(6)])
    a, b, c, d = ratios[:4]
    naive = 2 * a * b + 3 * c * b + 5 * d + 7 + 11 * a * c * d + 13 * b
    assert _Sum(terms, index).of(ratios) == pytest.approx(naive)
