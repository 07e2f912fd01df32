"""A computed footprint's full breakdown, recomputed from its inventory and the registry's datasets.

The footprint record carries only what anyone needs to recompute it (``calculation``: engine,
inventory digest, dataset versions, exact value, line values). The stage, gas, line and source
breakdowns, the primary data share and the data-quality indicators that the consumer page and the
certifier-facing API show are recomputed here with the engine, from the stored inventory document
and the dataset versions published in the registry's factor database, and are only returned when
the recomputation gives the digest and the value the footprint recorded. A page therefore never
shows a breakdown that does not add up to the anchored figure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from registry.accounting.calculation import Calculation, CalculationError, run_calculation
from registry.accounting.datasets import DatabaseDatasets, resolve_datasets
from registry.errors import ConflictError, NotFoundError, RegistryError
from registry.models.footprints import Footprint
from registry.records.inventories import InventoryRecord
from verifier.protocol.accounting import (
    LINE_EXPONENT,
    PERCENT_EXPONENT,
    STAGES,
    AccountingError,
    fixed,
    parse_inventory,
)
from verifier.protocol.accounting.inventory_record import inventory_document

__all__ = [
    "BreakdownMismatchError",
    "PageBreakdown",
    "footprint_calculation",
    "page_breakdown",
    "recompute",
]


class BreakdownMismatchError(ConflictError):
    """The stored inventory does not recompute to the footprint's recorded calculation."""

    code = "calculation_mismatch"


def _check(calculation: Calculation, recorded: Mapping[str, Any]) -> None:
    footprint = calculation.footprint
    if footprint.inventory_digest != recorded.get("inventory_digest"):
        raise BreakdownMismatchError(
            "the stored inventory is not the one the footprint was computed from",
            field="calculation.inventory_digest",
        )
    value = fixed(footprint.kg_co2e_per_unit, LINE_EXPONENT)
    if value != recorded.get("kg_co2e_per_unit"):
        raise BreakdownMismatchError(
            f"the inventory recomputes to {value}, the footprint recorded "
            f"{recorded.get('kg_co2e_per_unit')}",
            field="calculation.kg_co2e_per_unit",
        )


def recompute(
    session: Session, inventory_document: Mapping[str, Any], recorded: Mapping[str, Any]
) -> Calculation:
    """The calculation of ``inventory_document`` with the registry's published datasets.

    ``recorded`` is the footprint record's ``calculation`` member. No Monte Carlo run (the
    interval is not part of the breakdown). Raises :class:`CalculationError` when the inventory
    or a dataset version is refused, :class:`BreakdownMismatchError` when the result is not the
    recorded one.
    """
    try:
        inventory = parse_inventory(dict(inventory_document))
        datasets = resolve_datasets(inventory, [DatabaseDatasets(session)])
    except AccountingError as exc:
        raise CalculationError(exc, prefix="inventory.") from None
    calculation = run_calculation(inventory, datasets, monte_carlo_run=None, prefix="inventory.")
    _check(calculation, recorded)
    return calculation


def footprint_calculation(session: Session, footprint: Footprint) -> Calculation:
    """The calculation of a computed ``footprint``, recomputed from its stored inventory record.

    Raises :class:`NotFoundError` (``not_computed``) for a footprint entered as a number (or one
    whose inventory is not stored), and what :func:`recompute` raises.
    """
    recorded = footprint.data.get("calculation")
    row = session.exec(
        select(InventoryRecord).where(InventoryRecord.footprint_id == footprint.id)
    ).first()
    if not recorded or row is None:
        raise NotFoundError(
            f"footprint {footprint.id} was not computed from a stored inventory",
            code="not_computed",
        )
    return recompute(session, inventory_document(row.record), recorded)


@dataclass(frozen=True, slots=True)
class PageBreakdown:
    """What the consumer page shows of a computed footprint (values per declared unit)."""

    #: ``(stage, kg CO2e per declared unit as exact decimal text)`` in life-cycle order.
    stages: tuple[tuple[str, str], ...]
    #: PACT's primary data share, percent text, or None.
    primary_share: str | None
    #: Whether any factor the figure rests on is marked illustrative.
    illustrative: bool


def page_breakdown(session: Session, footprint_id: str) -> PageBreakdown | None:
    """The consumer page's breakdown of ``footprint_id``: None when it was not computed or its
    stored inventory does not reproduce the recorded value (the page then shows the total only).
    """
    footprint = session.get(Footprint, footprint_id)
    if footprint is None or not footprint.data.get("calculation"):
        return None
    try:
        result = footprint_calculation(session, footprint).footprint
    except RegistryError:
        return None
    stages = tuple(
        (stage, fixed(result.by_stage[stage], LINE_EXPONENT))
        for stage in STAGES
        if stage in result.by_stage
    )
    primary = result.primary_data_share
    return PageBreakdown(
        stages=stages,
        primary_share=None if primary is None else fixed(primary, PERCENT_EXPONENT),
        illustrative=bool(result.illustrative_factors),
    )
