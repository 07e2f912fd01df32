"""The uncertainty of a footprint: a seeded Monte Carlo run over its factors' and lines' spread.

A calculation's point value is exact (decimal, :mod:`verifier.protocol.accounting`); its 95 %
interval comes from sampling. Each line contributes ``value × (amount sample / amount) × (factor
sample / factor)``: its point value scaled by the ratio of each uncertain quantity's sample to its
point value. A factor cited by many lines is **one** uncertain quantity, sampled once per iteration
for all of them (the lines are correlated through it, as they are in reality); each line's own
amount is another. The footprint of an iteration is the sum of its lines' contributions.

The distributions are Brightway's ``stats_arrays`` (the parameter arrays and each distribution's
``random_variables``), driven by one seeded :class:`numpy.random.Generator`, so the same inventory,
factors, iteration count and seed give the same interval on any machine with the same numpy:

======================  ==============================================================
``uncertainty``          stats_arrays distribution and parameters
======================  ==============================================================
``none`` (or absent)     none: the quantity is its point value
``normal``, ``sd``       ``NormalUncertainty``: loc = the point value, scale = sd
``lognormal``, ``gsd``   ``LognormalUncertainty``: loc = ln|point|, scale = ln(gsd) (the point
                         value is the median, as in ecoinvent); negative for a negative value
``triangular``           ``TriangularUncertainty``: minimum ``min``, mode = the point value,
                         maximum ``max``
``uniform``              ``UniformUncertainty``: ``min`` … ``max``
======================  ==============================================================

A quantity whose point value is 0 contributes 0 in every iteration (its ratio is undefined). The
interval is the 2.5th and 97.5th percentile of the iterations (numpy's linear interpolation).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final, cast

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix
from stats_arrays import (
    LognormalUncertainty,
    NormalUncertainty,
    TriangularUncertainty,
    UniformUncertainty,
)
from stats_arrays.distributions.base import UncertaintyBase

from registry.errors import InvalidInputError

__all__ = [
    "DEFAULT_ITERATIONS",
    "DISTRIBUTIONS",
    "MAX_ITERATIONS",
    "Interval",
    "Term",
    "Uncertain",
    "UncertaintyError",
    "monte_carlo",
    "uncertain",
]

#: Iterations of a Monte Carlo run when the caller does not say.
DEFAULT_ITERATIONS: Final = 1_000
#: The most iterations a caller may ask for.
MAX_ITERATIONS: Final = 10_000
#: The lower and upper percentiles of the reported interval (95 %).
PERCENTILES: Final = (2.5, 97.5)
#: Samples drawn at once (quantities × iterations of one chunk): bounds a run's memory.
CHUNK_SAMPLES: Final = 4_000_000
#: The most samples one run may draw (uncertain quantities × iterations): bounds a run's time
#: (10,000 uncertain lines × 5,000 iterations; about a second and a half here).
MAX_SAMPLES: Final = 50_000_000

#: ``uncertainty.distribution`` → the stats_arrays distribution and the parameters it needs.
DISTRIBUTIONS: Final[Mapping[str, tuple[type[UncertaintyBase] | None, tuple[str, ...]]]] = {
    "none": (None, ()),
    "normal": (NormalUncertainty, ("sd",)),
    "lognormal": (LognormalUncertainty, ("gsd",)),
    "triangular": (TriangularUncertainty, ("min", "max")),
    "uniform": (UniformUncertainty, ("min", "max")),
}


class UncertaintyError(InvalidInputError):
    """An ``uncertainty`` member that names no known distribution or lacks a parameter."""

    code = "invalid_uncertainty"


@dataclass(frozen=True, slots=True)
class Uncertain:
    """One uncertain quantity: its point value and its distribution's stats_arrays parameters."""

    point: float
    kind: str = "none"
    #: The stats_arrays parameter row (``loc``, ``scale``, ``minimum``, ``maximum``, ``negative``).
    params: tuple[tuple[str, float | bool], ...] = ()

    @property
    def varies(self) -> bool:
        """Whether sampling can give anything but the point value."""
        return self.kind != "none" and self.point != 0


@dataclass(frozen=True, slots=True)
class Term:
    """One line's contribution to the footprint at the point values, and what makes it vary."""

    #: kg CO2e per declared unit at the point values (the line's exact value, as a float).
    value: float
    #: The uncertain quantities it is proportional to, by key in the ``quantities`` of
    #: :func:`monte_carlo`: the factor it cites, its own amount, and for a line of a
    #: sub-inventory the amounts of the lines that bring the sub-assembly in.
    keys: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Interval:
    """The result of a Monte Carlo run, kg CO2e per declared unit."""

    low: float
    high: float
    mean: float
    median: float
    iterations: int
    seed: int

    def to_json(self) -> dict[str, Any]:
        """The interval as the API and the CLI print it."""
        return {
            "low": _significant(self.low),
            "high": _significant(self.high),
            "mean": _significant(self.mean),
            "median": _significant(self.median),
            "percentiles": list(PERCENTILES),
            "iterations": self.iterations,
            "seed": self.seed,
            "method": "monte-carlo/stats_arrays",
        }


def _significant(value: float, digits: int = 6) -> float:
    """``value`` to ``digits`` significant digits (a sampled figure has no more meaning)."""
    if value == 0 or not math.isfinite(value):
        return value
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))


def _number(member: Mapping[str, Any], name: str, field: str) -> float:
    raw = member.get(name)
    try:
        value = float(raw if isinstance(raw, Decimal) else str(raw))
    except ValueError:
        value = math.nan
    if raw is None or isinstance(raw, bool) or not math.isfinite(value):
        raise UncertaintyError(
            f"uncertainty parameter {name!r} must be a finite number", field=f"{field}.{name}"
        )
    return value


def uncertain(point: float, member: Mapping[str, Any] | None, *, field: str) -> Uncertain:
    """The uncertain quantity of ``point`` with the distribution of an ``uncertainty`` member.

    ``field`` names the member in errors (``lines[3].uncertainty``). Raises
    :class:`UncertaintyError` for an unknown distribution or a missing or impossible parameter.
    """
    if member is None:
        return Uncertain(point)
    kind = member.get("distribution", "none")
    if kind not in DISTRIBUTIONS:
        raise UncertaintyError(
            f"unknown distribution {kind!r}; known: {', '.join(DISTRIBUTIONS)}",
            field=f"{field}.distribution",
        )
    params: dict[str, float | bool]
    if kind == "none":
        return Uncertain(point)
    if kind == "normal":
        sd = _number(member, "sd", field)
        if sd < 0:
            raise UncertaintyError("sd must not be negative", field=f"{field}.sd")
        params = {"loc": point, "scale": sd}
        if sd == 0:
            return Uncertain(point)
    elif kind == "lognormal":
        gsd = _number(member, "gsd", field)
        if gsd < 1:
            raise UncertaintyError(
                "gsd (geometric standard deviation) must be at least 1", field=f"{field}.gsd"
            )
        if gsd == 1 or point == 0:
            return Uncertain(point)
        params = {"loc": math.log(abs(point)), "scale": math.log(gsd), "negative": point < 0}
    else:
        low, high = _number(member, "min", field), _number(member, "max", field)
        inside = low <= point <= high if kind == "triangular" else low <= high
        if not inside or low == high:
            what = "min ≤ the value ≤ max, min < max" if kind == "triangular" else "min < max"
            raise UncertaintyError(f"{kind} needs {what}", field=field)
        params = {"loc": point, "minimum": low, "maximum": high}
    return Uncertain(point, kind, tuple(params.items()))


class _Sampler:
    """Ratios sample ÷ point of uncertain quantities ordered by distribution (each a block)."""

    def __init__(self, quantities: Sequence[Uncertain]) -> None:
        self.count = len(quantities)
        self.blocks: list[tuple[type[UncertaintyBase], int, int, Any, npt.NDArray[np.float64]]]
        self.blocks = []
        start = 0
        while start < self.count:
            kind = quantities[start].kind
            stop = start
            while stop < self.count and quantities[stop].kind == kind:
                stop += 1
            distribution = DISTRIBUTIONS[kind][0]
            assert distribution is not None  # only quantities that vary are sampled
            block = quantities[start:stop]
            params = distribution.from_dicts(*(dict(q.params) for q in block))
            points = np.array([q.point for q in block], dtype=np.float64)
            self.blocks.append((distribution, start, stop, params, points[:, None]))
            start = stop

    def fill(self, rng: np.random.Generator, out: npt.NDArray[np.float64]) -> None:
        """Fill the first :attr:`count` rows of ``out`` (``size`` columns) with ratios."""
        size = out.shape[1]
        for distribution, start, stop, params, points in self.blocks:
            # stats_arrays draws through the generator's own methods (normal, lognormal,
            # triangular, uniform), which numpy's Generator has as RandomState has them.
            samples = distribution.random_variables(params, size, cast(Any, rng))
            np.divide(samples, points, out=out[start:stop])


def _order(quantities: Mapping[str, Uncertain]) -> list[str]:
    """The keys of the quantities that vary, by distribution (as listed), then by key."""
    rank = {kind: i for i, kind in enumerate(DISTRIBUTIONS)}
    varying = [key for key, quantity in quantities.items() if quantity.varies]
    return sorted(varying, key=lambda key: (rank[quantities[key].kind], key))


class _Sum:
    """Per iteration, Σ value × Π the ratios of a term's quantities.

    A term of one or two quantities (a line's factor and its own amount: nearly all of them) is
    an entry of a sparse matrix, row the quantity more terms share, column the other; the sum is
    then ``Σ_row ratio[row] × (matrix @ ratios)[row]`` with no per-term temporaries. Longer
    terms (lines of sub-inventories under uncertain amounts) multiply gathered rows.
    """

    def __init__(self, terms: Sequence[Term], index: Mapping[str, int]) -> None:
        ones = len(index)
        picked = [[index[k] for k in t.keys if k in index] for t in terms]
        uses = np.bincount([i for p in picked for i in p], minlength=ones + 1)
        self.constant = 0.0
        rows: list[int] = []
        columns: list[int] = []
        values: list[float] = []
        longer: list[tuple[float, list[int]]] = []
        for term, picks in zip(terms, picked, strict=True):
            if not picks:
                self.constant += term.value
            elif len(picks) <= 2:
                # The quantity more terms share (a factor) is the row; alone, the row of ones.
                own, shared = (
                    sorted(picks, key=lambda i: uses[i]) if picks[1:] else (picks[0], ones)
                )
                rows.append(shared)
                columns.append(own)
                values.append(term.value)
            else:
                longer.append((term.value, picks))
        self.outer = np.unique(np.array(rows, dtype=np.intp))
        position = np.searchsorted(self.outer, np.array(rows, dtype=np.intp))
        self.matrix = csr_matrix(
            (np.array(values, dtype=np.float64), (position, np.array(columns, dtype=np.intp))),
            shape=(len(self.outer), ones + 1),
        )
        depth = max((len(p) for _, p in longer), default=0)
        self.picks = np.full((len(longer), depth), ones, dtype=np.intp)
        for i, (_, p) in enumerate(longer):
            self.picks[i, : len(p)] = p
        self.weights = np.array([v for v, _ in longer], dtype=np.float64)
        #: Rows gathered per iteration (for sizing the chunks).
        self.gathered = len(longer) * depth

    def of(self, ratios: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """The footprint of each column (iteration) of ``ratios``."""
        inner = self.matrix @ ratios
        result: npt.NDArray[np.float64] = np.einsum("rs,rs->s", ratios[self.outer], inner)
        result += self.constant
        if len(self.weights):
            product = ratios[self.picks[:, 0]]
            for column in range(1, self.picks.shape[1]):
                product *= ratios[self.picks[:, column]]
            result += self.weights @ product
        return result


def monte_carlo(
    terms: Sequence[Term],
    quantities: Mapping[str, Uncertain],
    *,
    iterations: int = DEFAULT_ITERATIONS,
    seed: int = 0,
) -> Interval:
    """Sample the footprint ``iterations`` times with ``seed``; its 95 % interval.

    ``terms`` are the lines (of the inventory and its sub-inventories), ``quantities`` the
    uncertain quantities they name by key; each is sampled once per iteration, whatever the
    number of lines that name it. Raises :class:`registry.errors.InvalidInputError` for an
    iteration count outside 1 … :data:`MAX_ITERATIONS` or a run of more than
    :data:`MAX_SAMPLES` samples (``too_many_samples``), and ``KeyError`` for a key not given.
    """
    if not 1 <= iterations <= MAX_ITERATIONS:
        raise InvalidInputError(
            f"iterations must be between 1 and {MAX_ITERATIONS}", field="monte_carlo.iterations"
        )
    missing = {k for t in terms for k in t.keys} - quantities.keys()
    if missing:
        raise KeyError(f"no quantity for {sorted(missing)[:3]}")
    keys = _order(quantities)
    if len(keys) * iterations > MAX_SAMPLES:
        raise InvalidInputError(
            f"{len(keys):,} uncertain quantities × {iterations:,} iterations is more than "
            f"{MAX_SAMPLES:,} samples; ask for fewer iterations",
            code="too_many_samples",
            field="monte_carlo.iterations",
        )
    sampler = _Sampler([quantities[key] for key in keys])
    index = {key: i for i, key in enumerate(keys)}
    total = _Sum(terms, index)
    rng = np.random.default_rng(seed)
    chunk = max(1, min(iterations, CHUNK_SAMPLES // max(1, len(keys) + total.gathered)))
    totals = np.empty(iterations, dtype=np.float64)
    buffer = np.empty((len(keys) + 1, chunk), dtype=np.float64)
    buffer[len(keys)] = 1.0  # the row of ratios that are all 1
    for start in range(0, iterations, chunk):
        size = min(chunk, iterations - start)
        ratios = buffer[:, :size]
        sampler.fill(rng, ratios)
        totals[start : start + size] = total.of(ratios)
    low, high = np.percentile(totals, PERCENTILES)
    return Interval(
        low=float(low),
        high=float(high),
        mean=float(totals.mean()),
        median=float(np.median(totals)),
        iterations=iterations,
        seed=seed,
    )
