"""A computed footprint's breakdown, recomputed from its inventory (accounting.breakdown)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from sqlmodel import Session

from registry.accounting.breakdown import BreakdownMismatchError, recompute
from registry.accounting.calculation import CalculationError, run_calculation
from registry.accounting.datasets import StarterDatasets, resolve_datasets
from tests.registry.calculations_data import example, publish_starter_datasets
from tests.registry.factories import Orgs
from verifier.protocol.accounting import parse_inventory

NAME = "cement.json"


@pytest.fixture
def published(app: FastAPI, orgs: Orgs) -> list[str]:
    return publish_starter_datasets(app.state.engine)


def recorded_of(document: dict[str, Any]) -> dict[str, Any]:
    """The ``calculation`` member a footprint of ``document`` records (starter files, offline)."""
    inventory = parse_inventory(document)
    datasets = resolve_datasets(inventory, [StarterDatasets()])
    return run_calculation(inventory, datasets, monte_carlo_run=None).record_member()


def test_recompute_gives_the_breakdowns_of_the_recorded_value(
    app: FastAPI, published: list[str]
) -> None:
    document = example(NAME)
    recorded = recorded_of(document)
    with Session(app.state.engine) as session:
        result = recompute(session, document, recorded).to_dict()
    assert result["kg_co2e_per_unit"] == recorded["kg_co2e_per_unit"]
    assert result["inventory"]["digest"] == recorded["inventory_digest"]
    assert result["by_stage"] and result["by_gas"] and result["by_source"]
    assert result["interval"] is None


def test_a_changed_inventory_or_value_is_a_mismatch(app: FastAPI, published: list[str]) -> None:
    document = example(NAME)
    recorded = recorded_of(document)
    with Session(app.state.engine) as session:
        with pytest.raises(BreakdownMismatchError) as digest:
            recompute(session, document, {**recorded, "inventory_digest": "0x" + "00" * 32})
        assert digest.value.field == "calculation.inventory_digest"
        with pytest.raises(BreakdownMismatchError) as value:
            recompute(session, document, {**recorded, "kg_co2e_per_unit": "1.000000"})
        assert value.value.field == "calculation.kg_co2e_per_unit"


def test_an_unpublished_dataset_is_refused(app: FastAPI, orgs: Orgs) -> None:
    document = example(NAME)
    with Session(app.state.engine) as session, pytest.raises(CalculationError):
        recompute(session, document, {})
