"""The footprint calculation: exact decimal line values, totals, breakdowns, data quality.

The arithmetic is normative (docs/PROTOCOL.md, "Footprint calculation"): every value is an exact
decimal, every rounding is :func:`~.decimals.divide_rounded` (one exact quotient rounded half to
even), so a verifier in any language reproduces the result to the digit.

A line's value is kept as parts, one per ``(gas, data source)``, each a multiple of 1e-9 kg:

- factor line: ``amount`` converted to the factor's denominator × the factor's CO2e (or, for a
  per-gas factor, one part per gas: mass of the gas × its GWP in the inventory's set), the
  numerator mass converted to kg; secondary data;
- component line: the same with the attestation's declared value; gas ``CO2e``; primary data;
- process line: ``amount`` converted to kg × the gas's GWP; primary data;
- sub-inventory line: ``amount`` converted to the sub-inventory's declared unit × each part of
  the sub-inventory's total × its allocation share ÷ its declared amount.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

from verifier.protocol.accounting.decimals import (
    CONTEXT,
    LINE_EXPONENT,
    PERCENT_EXPONENT,
    divide_rounded,
    fixed,
)
from verifier.protocol.accounting.errors import Issues
from verifier.protocol.accounting.factors import CO2E, Factor, FactorDataset, Uncertainty
from verifier.protocol.accounting.formats import (
    ENGINE_VERSION,
    PRIMARY,
    QUALITY_DIMENSIONS,
    SECONDARY,
    SOURCES,
    STAGES,
)
from verifier.protocol.accounting.gwp import GASES, GWP_SETS
from verifier.protocol.accounting.inventory import DatasetRef, Inventory, Line
from verifier.protocol.accounting.reader import join
from verifier.protocol.accounting.units import Unit

__all__ = ["Footprint", "LineResult", "calculate"]

_ZERO: Final = Decimal(0)
_HUNDRED: Final = Decimal(100)
_GAS_ORDER: Final = (*GASES, CO2E)
# (gas, source) -> kg CO2e
Parts = dict[tuple[str, str], Decimal]


@dataclass(frozen=True, slots=True)
class LineResult:
    """One line's value (kg CO2e for the inventory as written) and what it came from.

    ``coefficient`` (kg CO2e per unit of ``amount``, a float) and the uncertainties are for
    sampling (Monte Carlo); the point value never uses them.
    """

    id: str
    kind: str
    stage: str
    path: str
    kg_co2e: Decimal
    parts: Mapping[tuple[str, str], Decimal]
    amount: Decimal
    unit: str
    coefficient: float
    factor: str | None = None
    factor_value: Factor | None = None
    illustrative: bool = False
    amount_uncertainty: Uncertainty | None = None
    factor_uncertainty: Uncertainty | None = None
    sub: Footprint | None = None

    @property
    def gases(self) -> dict[str, Decimal]:
        """The value by gas."""
        return _sum_by(self.parts, 0)

    @property
    def sources(self) -> dict[str, Decimal]:
        """The value by data source (``primary``, ``secondary``)."""
        return _sum_by(self.parts, 1)

    @property
    def source(self) -> str:
        """``primary``, ``secondary`` or ``mixed`` (a sub-inventory with both)."""
        found = {source for (_, source), value in self.parts.items() if value}
        if not found:
            found = {source for _, source in self.parts}
        return found.pop() if len(found) == 1 else "mixed"

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (decimal strings)."""
        result: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "stage": self.stage,
            "source": self.source,
            "kg_co2e": fixed(self.kg_co2e, LINE_EXPONENT),
            "gases": {g: fixed(v, LINE_EXPONENT) for g, v in _ordered(self.gases, _GAS_ORDER)},
        }
        if self.factor is not None:
            result["factor"] = self.factor
        if self.sub is not None:
            result["subInventory"] = self.sub.inventory_id
        return result


@dataclass(frozen=True, slots=True)
class Footprint:
    """The result of :func:`calculate` (docs/ACCOUNTING.md, "The result")."""

    inventory_id: str
    inventory_digest: str
    category: str | None
    gwp: str
    declared_amount: Decimal
    declared_unit: str
    allocation_method: str
    share: Decimal
    kg_co2e_per_unit: Decimal
    kg_co2e_total: Decimal
    by_stage: Mapping[str, Decimal]
    by_gas: Mapping[str, Decimal]
    by_source: Mapping[str, Decimal]
    lines: tuple[LineResult, ...]
    primary_data_share: Decimal | None
    data_quality: Mapping[str, Decimal] | None
    quality_coverage: Decimal | None
    factor_datasets: tuple[DatasetRef, ...]
    illustrative_factors: tuple[str, ...]
    engine: str = ENGINE_VERSION
    #: The inventory's parts summed over its lines, before allocation (what a parent line uses).
    parts: Mapping[tuple[str, str], Decimal] = field(default_factory=dict, repr=False)
    #: Sum of line value × rating per dimension and sum of rated line values (exact).
    quality_sums: tuple[Mapping[str, Decimal], Decimal] = field(default=({}, _ZERO), repr=False)

    def line(self, line_id: str) -> LineResult | None:
        """The root line with ``line_id``, or ``None``."""
        return next((line for line in self.lines if line.id == line_id), None)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of the result (decimal strings; docs/ACCOUNTING.md)."""
        per_unit = {
            name: {k: fixed(v, LINE_EXPONENT) for k, v in values.items()}
            for name, values in (
                ("by_stage", self.by_stage),
                ("by_gas", self.by_gas),
                ("by_source", self.by_source),
            )
        }
        quality = None
        if self.data_quality is not None:
            quality = {k: fixed(v, PERCENT_EXPONENT) for k, v in self.data_quality.items()}
            quality["coverage"] = fixed(self.quality_coverage or _ZERO, PERCENT_EXPONENT)
        return {
            "engine": self.engine,
            "inventory": {"id": self.inventory_id, "digest": self.inventory_digest},
            "category": self.category,
            "gwp": self.gwp,
            "declared_unit": {"amount": str(self.declared_amount), "unit": self.declared_unit},
            "allocation": {"method": self.allocation_method, "share": str(self.share)},
            "kg_co2e_per_unit": fixed(self.kg_co2e_per_unit, LINE_EXPONENT),
            "kg_co2e_total": fixed(self.kg_co2e_total, LINE_EXPONENT),
            **per_unit,
            "lines": [line.to_dict() for line in self.lines],
            "primary_data_share": (
                None
                if self.primary_data_share is None
                else fixed(self.primary_data_share, PERCENT_EXPONENT)
            ),
            "data_quality": quality,
            "factor_datasets": [ref.to_dict() for ref in self.factor_datasets],
            "illustrative_factors": list(self.illustrative_factors),
        }


def _sum_by(parts: Mapping[tuple[str, str], Decimal], index: int) -> dict[str, Decimal]:
    sums: dict[str, Decimal] = {}
    for key, value in parts.items():
        sums[key[index]] = sums.get(key[index], _ZERO) + value
    return sums


def _ordered(values: Mapping[str, Decimal], order: Iterable[str]) -> list[tuple[str, Decimal]]:
    return [(name, values[name]) for name in order if name in values]


def _rounded(numerator: Decimal, denominator: Decimal) -> Decimal:
    return divide_rounded(numerator, denominator, LINE_EXPONENT)


def _mul(*values: Decimal) -> Decimal:
    result = values[0]
    for value in values[1:]:
        result = CONTEXT.multiply(result, value)
    return result


class _Resolver:
    """Finds each line's factor in the supplied datasets, recording every fault."""

    def __init__(self, inventory: Inventory, datasets: Iterable[FactorDataset]) -> None:
        self.issues = Issues()
        self.gwp = inventory.gwp
        supplied: dict[tuple[str, str], FactorDataset] = {}
        for given in datasets:
            supplied.setdefault((given.dataset, given.version), given)
        self.datasets: dict[tuple[str, str], FactorDataset] = {}
        for index, ref in enumerate(inventory.factor_datasets):
            path = join("factorDatasets", index)
            dataset = supplied.get((ref.dataset, ref.version))
            if dataset is None:
                self.issues.add(
                    "dataset_missing",
                    path,
                    f"the factor dataset {ref.ref} was not supplied",
                    dataset=ref.dataset,
                    version=ref.version,
                )
            elif dataset.digest != ref.digest:
                self.issues.add(
                    "digest_mismatch",
                    join(path, "digest"),
                    f"{ref.ref} supplied has the digest {dataset.digest}, the inventory names "
                    f"{ref.digest}",
                    dataset=ref.dataset,
                    version=ref.version,
                    digest=dataset.digest,
                    expected=ref.digest,
                )
            else:
                self.datasets[(ref.dataset, ref.version)] = dataset

    def factor(self, line: Line) -> Factor | None:
        ref = line.factor
        assert ref is not None
        dataset = self.datasets.get((ref.dataset, ref.version))
        if dataset is None:
            return None  # reported once for the dataset
        factor = dataset.factor(ref.id)
        path = join(line.path, "factor")
        if factor is None:
            self.issues.add(
                "unknown_factor",
                join(path, "id"),
                f"{dataset.ref} has no factor {ref.id!r}",
                factor=str(ref),
            )
            return None
        if not line.unit.fits(factor.unit.per):
            self.issues.add(
                "unit_mismatch",
                join(line.path, "unit"),
                f"{line.unit.text!r} does not convert to {factor.unit.per.text!r} "
                f"(the unit of {ref})",
                unit=line.unit.text,
                factorUnit=factor.unit.per.text,
                factor=str(ref),
            )
            return None
        if factor.gases is None and factor.gwp != self.gwp:
            self.issues.add(
                "gwp_mismatch",
                path,
                f"{ref} is CO2e under {factor.gwp}, the inventory uses {self.gwp}",
                gwp=factor.gwp,
                expected=self.gwp,
                factor=str(ref),
            )
            return None
        if factor.gases is not None:
            missing = [gas for gas in factor.gases if gas not in GWP_SETS[self.gwp].values]
            if missing:
                self.issues.add(
                    "unknown_gas",
                    path,
                    f"{self.gwp} has no value for {', '.join(missing)}",
                    gas=missing[0],
                    gwp=self.gwp,
                    factor=str(ref),
                )
                return None
        return factor


def _convert(amount: Decimal, unit: Unit, to: Unit) -> tuple[Decimal, Decimal]:
    """``amount`` in ``to`` as an exact ratio ``(numerator, denominator)``."""
    return _mul(amount, unit.numerator, to.denominator), _mul(unit.denominator, to.numerator)


# (line unit, factor denominator, numerator mass) -> (N, D, N/D as a float): the exact ratio
# that takes an amount in the line's unit to kg per the factor (units repeat across lines).
_RATIOS: Final[dict[tuple[str, str, str], tuple[Decimal, Decimal, float]]] = {}


def _ratio(unit: Unit, per: Unit, mass: Unit) -> tuple[Decimal, Decimal, float]:
    key = (unit.canonical, per.canonical, mass.canonical)
    found = _RATIOS.get(key)
    if found is None:
        numerator = _mul(unit.numerator, per.denominator, mass.numerator)
        denominator = _mul(unit.denominator, per.numerator, mass.denominator)
        found = (numerator, denominator, float(numerator) / float(denominator))
        if len(_RATIOS) < 100_000:
            _RATIOS[key] = found
    return found


def _weights(value: Decimal, gases: Mapping[str, Decimal] | None, gwp: str) -> dict[str, Decimal]:
    """CO2e per denominator of each gas of a factor (``CO2e`` alone for a CO2e factor)."""
    if gases is None:
        return {CO2E: value}
    table = GWP_SETS[gwp].values
    return {gas: _mul(mass_of_gas, table[gas]) for gas, mass_of_gas in gases.items()}


def _emission_parts(
    line: Line,
    value: Decimal,
    gases: Mapping[str, Decimal] | None,
    per: Unit,
    mass: Unit,
    gwp: str,
    source: str,
) -> tuple[Parts, float]:
    numerator, denominator, ratio = _ratio(line.unit, per, mass)
    scaled = CONTEXT.multiply(line.amount, numerator)
    weights = _weights(value, gases, gwp)
    parts = {
        (gas, source): _rounded(CONTEXT.multiply(scaled, weight), denominator)
        for gas, weight in weights.items()
    }
    return parts, ratio * float(sum(weights.values(), _ZERO))


def _line_result(
    line: Line, inventory: Inventory, resolver: _Resolver, subs: Mapping[str, Footprint]
) -> LineResult | None:
    common: dict[str, Any] = {
        "id": line.id,
        "kind": line.kind,
        "stage": line.stage,
        "path": line.path,
        "amount": line.amount,
        "unit": line.unit.text,
        "amount_uncertainty": line.uncertainty,
    }
    if line.factor is not None:
        factor = resolver.factor(line)
        if factor is None:
            return None
        parts, coefficient = _emission_parts(
            line,
            factor.value,
            factor.gases,
            factor.unit.per,
            factor.unit.mass,
            inventory.gwp,
            SECONDARY,
        )
        common |= {
            "factor": str(line.factor),
            "factor_value": factor,
            "illustrative": factor.illustrative,
            "factor_uncertainty": factor.uncertainty,
        }
    elif line.component is not None:
        unit = line.component.unit
        parts, coefficient = _emission_parts(
            line, line.component.value, None, unit.per, unit.mass, inventory.gwp, PRIMARY
        )
    elif line.gas is not None:
        weight = GWP_SETS[inventory.gwp].values[line.gas]
        num, den = _mul(line.amount, line.unit.numerator, weight), line.unit.denominator
        parts = {(line.gas, PRIMARY): _rounded(num, den)}
        coefficient = float(line.unit.numerator) / float(line.unit.denominator) * float(weight)
    else:
        assert line.sub_inventory is not None
        sub = subs.get(line.sub_inventory)
        if sub is None:
            return None  # the sub-inventory's own faults are reported
        target = inventory.sub_inventory(line.sub_inventory)
        assert target is not None
        num, den = _convert(line.amount, line.unit, target.declared_unit)
        num, den = _mul(num, target.share), _mul(den, target.declared_amount)
        parts = {key: _rounded(_mul(num, value), den) for key, value in sub.parts.items()}
        declared = target.declared_unit
        coefficient = float(_mul(line.unit.numerator, declared.denominator, target.share)) / float(
            _mul(line.unit.denominator, declared.numerator, target.declared_amount)
        )
        coefficient *= float(sub.kg_co2e_total)
        common |= {"sub": sub, "illustrative": bool(sub.illustrative_factors)}
    total = sum(parts.values(), _ZERO)
    return LineResult(kg_co2e=total, parts=parts, coefficient=coefficient, **common)


def _quality(lines: Iterable[LineResult]) -> tuple[dict[str, Decimal], Decimal]:
    """Per dimension, Σ line value × rating; and Σ rated line values (sub-inventory lines:
    the rated share of their value, rounded, × the sub-inventory's reported ratings)."""
    sums = dict.fromkeys(QUALITY_DIMENSIONS, _ZERO)
    weight = _ZERO
    for line in lines:
        ratings: Mapping[str, Decimal | int]
        if line.factor_value is not None:
            ratings = line.factor_value.quality
            rated = line.kg_co2e
        elif line.sub is not None and line.sub.data_quality is not None:
            ratings = line.sub.data_quality
            _, sub_weight = line.sub.quality_sums
            if not line.sub.kg_co2e_total:
                continue
            rated = _rounded(_mul(line.kg_co2e, sub_weight), line.sub.kg_co2e_total)
        else:
            continue
        weight += rated
        for name in QUALITY_DIMENSIONS:
            sums[name] += CONTEXT.multiply(rated, ratings[name])
    return sums, weight


def _footprint(
    inventory: Inventory, datasets: list[FactorDataset], resolver: _Resolver
) -> Footprint | None:
    subs: dict[str, Footprint] = {}
    for sub in inventory.sub_inventories:
        result = _footprint(sub, datasets, resolver)
        if result is not None:
            subs[sub.id] = result
    lines: list[LineResult] = []
    for item in inventory.lines:
        result_line = _line_result(item, inventory, resolver, subs)
        if result_line is not None:
            lines.append(result_line)
    if resolver.issues:
        return None
    parts: Parts = {}
    for line in lines:
        for key, value in line.parts.items():
            parts[key] = parts.get(key, _ZERO) + value
    total = sum(parts.values(), _ZERO)
    share, amount = inventory.share, inventory.declared_amount

    def per_unit(value: Decimal) -> Decimal:
        return _rounded(_mul(value, share), amount)

    by_stage: dict[str, Decimal] = {}
    for line in lines:
        by_stage[line.stage] = by_stage.get(line.stage, _ZERO) + line.kg_co2e
    by_gas, by_source = _sum_by(parts, 0), _sum_by(parts, 1)
    sums, weight = _quality(lines)
    primary = by_source.get(PRIMARY, _ZERO)
    illustrative = [line.factor for line in lines if line.illustrative and line.factor]
    for line in lines:
        if line.sub is not None:
            illustrative += line.sub.illustrative_factors
    return Footprint(
        inventory_id=inventory.id,
        inventory_digest=inventory.digest,
        category=inventory.category,
        gwp=inventory.gwp,
        declared_amount=amount,
        declared_unit=inventory.declared_unit.text,
        allocation_method=inventory.allocation_method,
        share=share,
        kg_co2e_per_unit=per_unit(total),
        kg_co2e_total=total,
        by_stage={s: per_unit(v) for s, v in _ordered(by_stage, STAGES)},
        by_gas={g: per_unit(v) for g, v in _ordered(by_gas, _GAS_ORDER)},
        by_source={s: per_unit(by_source.get(s, _ZERO)) for s in SOURCES},
        lines=tuple(lines),
        primary_data_share=divide_rounded(primary * _HUNDRED, total, PERCENT_EXPONENT)
        if total
        else None,
        data_quality={k: divide_rounded(v, weight, PERCENT_EXPONENT) for k, v in sums.items()}
        if weight
        else None,
        quality_coverage=divide_rounded(weight * _HUNDRED, total, PERCENT_EXPONENT)
        if total
        else None,
        factor_datasets=inventory.factor_datasets,
        illustrative_factors=tuple(dict.fromkeys(illustrative)),
        parts=parts,
        quality_sums=(sums, weight),
    )


def calculate(inventory: Inventory, datasets: Iterable[FactorDataset]) -> Footprint:
    """Compute ``inventory``'s footprint with the factor dataset versions ``datasets``.

    Every dataset version the inventory lists must be supplied with the digest it names. Raises
    :class:`~verifier.protocol.accounting.errors.AccountingError` listing every fault
    (``dataset_missing``, ``digest_mismatch``, ``unknown_factor``, ``unit_mismatch`` naming both
    units, ``gwp_mismatch``, ``unknown_gas``).
    """
    supplied = list(datasets)
    resolver = _Resolver(inventory, supplied)
    # Every operator below is exact or raises (CONTEXT traps Inexact): no silent rounding.
    with decimal.localcontext(CONTEXT):
        result = _footprint(inventory, supplied, resolver)
    resolver.issues.raise_if_any()
    assert result is not None
    return result
