"""One calculation: an inventory's category rules, its exact footprint and its 95 % interval.

:func:`run_calculation` checks the inventory against its category's rules and computes it with
the verifier's engine (:func:`verifier.protocol.accounting.calculate`, exact decimals); every
fault of both is reported together (``rule_violated`` naming the rule, ``unit_mismatch`` naming
both units, …). Then the Monte Carlo run (:mod:`registry.accounting.uncertainty`) samples the
factors' and the lines' distributions.

Refusals are :class:`CalculationError` (a registry error, 422): its code and field are the first
fault's, its ``details`` every fault, each with its code, field (the path in the inventory) and
message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final

from registry.accounting.rules import category_rules
from registry.accounting.uncertainty import (
    DEFAULT_ITERATIONS,
    Interval,
    Term,
    Uncertain,
    monte_carlo,
    uncertain,
)
from registry.errors import InvalidInputError
from verifier.protocol.accounting import (
    LINE_EXPONENT,
    AccountingError,
    CategoryRules,
    FactorDataset,
    Footprint,
    Inventory,
    Issue,
    LineResult,
    Uncertainty,
    calculate,
    check_category_rules,
    fixed,
)

__all__ = [
    "Calculation",
    "CalculationError",
    "MonteCarlo",
    "factor_uses",
    "run_calculation",
    "sampling_terms",
]

#: The root lines whose values a computed footprint's record carries (``line_values``), at most:
#: enough for ``tanji verify --inventory`` to name the first line that differs, without making
#: the record of a very large inventory large.
MAX_RECORDED_LINES: Final = 1_000


class CalculationError(InvalidInputError):
    """An inventory (or its factors) refused: every fault, the first one's code and field."""

    code = "calculation_refused"

    def __init__(self, error: AccountingError, *, prefix: str = "") -> None:
        self.issues = error.issues
        first = error.issues[0]
        more = len(error.issues) - 1
        suffix = f" (and {more} more)" if more else ""
        super().__init__(
            first.message + suffix,
            code=first.code,
            field=prefix + first.path if first.path else prefix.rstrip(".") or None,
            details=[
                {
                    "code": issue.code,
                    "field": prefix + issue.path,
                    "message": issue.message,
                    "details": dict(issue.details),
                }
                for issue in error.issues
            ],
        )


@dataclass(frozen=True, slots=True)
class MonteCarlo:
    """How to sample: iterations (1 … 10,000) and the seed of the random generator."""

    iterations: int = DEFAULT_ITERATIONS
    seed: int = 0


@dataclass(frozen=True, slots=True)
class Calculation:
    """A calculation's inventory, rules, exact footprint and (if sampled) interval."""

    inventory: Inventory
    rules: CategoryRules
    footprint: Footprint
    interval: Interval | None

    def to_dict(self) -> dict[str, Any]:
        """The result as the API and ``tanji footprint calc --json`` give it: the engine's
        result (docs/ACCOUNTING.md, "The result") plus ``interval`` and ``rules``."""
        result = self.footprint.to_dict()
        result["interval"] = None if self.interval is None else self.interval.to_json()
        result["rules"] = {
            "category": self.rules.code,
            "system_boundary": self.rules.system_boundary,
            "standards": list(self.rules.standards),
            "illustrative": self.rules.illustrative,
        }
        return result

    def record_member(self) -> dict[str, Any]:
        """The ``calculation`` member of the footprint it becomes (docs/ACCOUNTING.md)."""
        member: dict[str, Any] = {
            "engine": self.footprint.engine,
            "inventory_digest": self.footprint.inventory_digest,
            "factor_datasets": [ref.to_dict() for ref in self.footprint.factor_datasets],
            "kg_co2e_per_unit": fixed(self.footprint.kg_co2e_per_unit, LINE_EXPONENT),
        }
        if len(self.footprint.lines) <= MAX_RECORDED_LINES:
            member["line_values"] = {
                line.id: fixed(line.kg_co2e, LINE_EXPONENT) for line in self.footprint.lines
            }
        return member


def factor_uses(inventory: Inventory) -> list[tuple[str, str, str]]:
    """Every ``(dataset, version, factor id)`` a line of the inventory tree cites, once."""
    uses = {
        (line.factor.dataset, line.factor.version, line.factor.id)
        for part in inventory.walk()
        for line in part.lines
        if line.factor is not None
    }
    return sorted(uses)


def sampling_terms(footprint: Footprint) -> tuple[list[Term], dict[str, Uncertain]]:
    """The Monte Carlo terms of a computed footprint, per declared unit, and their quantities.

    A line of a sub-inventory becomes a term of its own: its share of the line that brings the
    sub-assembly in, scaled by that line's amount (and the amounts above it). Quantities are keyed
    ``factor:<dataset@version:id>`` (one per factor, however many lines cite it) and
    ``amount:<path>`` (one per line, so a sub-inventory used twice samples its lines once).
    """
    terms: list[Term] = []
    quantities: dict[str, Uncertain] = {}

    def add(key: str, point: Any, spread: Uncertainty, field: str) -> None:
        member = {"distribution": spread.distribution, **spread.parameters}
        quantities[key] = uncertain(float(point), member, field=field)

    def visit(lines: Iterable[LineResult], scale: float, keys: tuple[str, ...]) -> None:
        for line in lines:
            own = keys
            spread = line.amount_uncertainty
            if spread is not None and spread.distribution != "none":
                key = f"amount:{line.path}"
                if key not in quantities:
                    add(key, line.amount, spread, f"{line.path}.uncertainty")
                own += (key,)
            if line.sub is not None:
                total = float(line.sub.kg_co2e_total)
                if total:
                    visit(line.sub.lines, scale * float(line.kg_co2e) / total, own)
                continue
            spread = line.factor_uncertainty
            if line.factor is not None and spread is not None and spread.distribution != "none":
                key = f"factor:{line.factor}"
                if key not in quantities:
                    assert line.factor_value is not None
                    add(key, line.factor_value.value, spread, f"{line.path}.factor")
                own += (key,)
            terms.append(Term(float(line.kg_co2e) * scale, own))

    visit(footprint.lines, float(footprint.share) / float(footprint.declared_amount), ())
    return terms, quantities


def _collect(*steps: Callable[[], Any]) -> Iterator[Any]:
    """Run each step; yield its result, gathering the issues of every step that refuses."""
    issues: list[Issue] = []
    for step in steps:
        try:
            yield step()
        except AccountingError as exc:
            issues.extend(exc.issues)
            yield None
    if issues:
        raise AccountingError(issues)


def run_calculation(
    inventory: Inventory,
    datasets: Sequence[FactorDataset],
    *,
    monte_carlo_run: MonteCarlo | None = MonteCarlo(),
    prefix: str = "",
) -> Calculation:
    """Check ``inventory`` against its category's rules and compute it with ``datasets``.

    ``monte_carlo_run`` None skips the sampling (no interval). Raises :class:`CalculationError`
    with every fault; ``prefix`` is put before each fault's path (``inventory.`` in the API).
    """
    try:
        rules = category_rules(inventory.category)
        _, footprint = list(
            _collect(
                lambda: check_category_rules(rules, inventory),
                lambda: calculate(inventory, datasets),
            )
        )
    except AccountingError as exc:
        raise CalculationError(exc, prefix=prefix) from None
    interval = None
    if monte_carlo_run is not None:
        terms, quantities = sampling_terms(footprint)
        interval = monte_carlo(
            terms,
            quantities,
            iterations=monte_carlo_run.iterations,
            seed=monte_carlo_run.seed,
        )
    return Calculation(inventory=inventory, rules=rules, footprint=footprint, interval=interval)
