"""``POST /api/v1/calculations``: an enterprise's inventory computed into a footprint.

The body holds the ``tanji-inventory/1`` document (docs/ACCOUNTING.md), the Monte Carlo options
and, to submit the result as a footprint, what the inventory does not say. The factor dataset
versions the inventory names come from the registry's factor database (a version not published
is ``unknown_dataset`` at each line citing it); component lines must match their supplier
attestations. The answer is the result (kg CO2e per declared unit as an exact decimal string,
breakdowns by stage, gas, line and data source, primary data share, data quality, the 95 %
interval, engine, inventory digest, datasets). With ``?submit=true`` the result is also stored
as a footprint (201) that records how it was computed, with its factor provenance rows.

A refused inventory is 422 with the first fault's code and field (``inventory.lines[3].unit``)
and every fault in ``details``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from registry.accounting.calculation import CalculationError, MonteCarlo, run_calculation
from registry.accounting.datasets import DatabaseDatasets, resolve_datasets
from registry.accounting.submission import (
    FootprintDetails,
    check_attestations,
    submit_calculation,
)
from registry.accounting.uncertainty import DEFAULT_ITERATIONS, MAX_ITERATIONS
from registry.api.deps import IdempotencyKey, SessionDep, permit
from registry.api.idempotency import run_idempotent
from registry.crud import footprints as footprints_crud
from registry.errors import InvalidInputError
from registry.models.common import StrictInput
from registry.models.footprints import FootprintPublic
from registry.models.orgs import Organisation
from registry.permissions import Action
from verifier.protocol.accounting import AccountingError, load_document, parse_inventory

router = APIRouter(prefix="/api/v1/calculations", tags=["calculations"])

#: Who may call the routes that take it: the rule of ``footprint.submit``
#: (:mod:`registry.permissions`).
Submitter = Annotated[Organisation, Depends(permit(Action.FOOTPRINT_SUBMIT))]

#: Largest seed accepted (numpy's generators take any non-negative integer; JSON keeps 2**53).
MAX_SEED = 2**53 - 1


class MonteCarloOptions(StrictInput):
    """How to sample the 95 % interval."""

    iterations: int = Field(default=DEFAULT_ITERATIONS, ge=1, le=MAX_ITERATIONS)
    seed: int = Field(default=0, ge=0, le=MAX_SEED)


class CalculationRequest(StrictInput):
    """Body of ``POST /api/v1/calculations``."""

    inventory: dict[str, Any] = Field(
        description="a tanji-inventory/1 document (docs/ACCOUNTING.md): decimals as strings"
    )
    monte_carlo: MonteCarloOptions | None = Field(
        default_factory=MonteCarloOptions,
        description="the Monte Carlo run (default 1,000 iterations, seed 0); null: no interval",
    )
    footprint: FootprintDetails | None = Field(
        default=None, description="with ?submit=true: what the footprint says beyond the inventory"
    )


class CalculationPublic(BaseModel):
    """The result (docs/ACCOUNTING.md, "The result"), its interval and rules, and with
    ``?submit=true`` the footprint it was stored as."""

    model_config = ConfigDict(extra="allow")

    engine: str
    inventory: dict[str, str]
    kg_co2e_per_unit: str = Field(description="exact decimal string, kg CO2e per declared unit")
    by_stage: dict[str, str]
    by_gas: dict[str, str]
    by_source: dict[str, str]
    lines: list[dict[str, Any]]
    primary_data_share: str | None
    data_quality: dict[str, str] | None
    factor_datasets: list[dict[str, str]]
    interval: dict[str, Any] | None = Field(description="2.5th and 97.5th percentiles")
    rules: dict[str, Any]
    footprint: FootprintPublic | None = None


async def _raw_body(request: Request) -> bytes:
    return await request.body()


RawBody = Annotated[bytes, Depends(_raw_body)]


def _inventory(raw: bytes) -> Any:
    """The inventory as the verifier reads it: duplicate keys refused, numbers as I-JSON."""
    try:
        document = load_document(raw, yaml_allowed=False)
    except AccountingError as exc:
        raise CalculationError(exc, prefix="body.") from None
    try:
        return parse_inventory(document["inventory"])
    except AccountingError as exc:
        raise CalculationError(exc, prefix="inventory.") from None


@router.post(
    "",
    response_model=CalculationPublic,
    responses={
        201: {"description": "computed and submitted as a footprint (?submit=true)"},
        409: {"description": "the footprint was already submitted, or an idempotency conflict"},
        422: {"description": "the inventory is refused: every fault in error.details"},
    },
)
def create_calculation(
    body: CalculationRequest,
    raw: RawBody,
    request: Request,
    session: SessionDep,
    org: Submitter,
    idempotency_key: IdempotencyKey,
    submit: Annotated[
        bool, Query(description="also store the result as a footprint of the caller")
    ] = False,
) -> JSONResponse:
    """Compute an inventory's footprint from published factor datasets (and submit it)."""
    inventory = _inventory(raw)
    try:
        datasets = resolve_datasets(inventory, [DatabaseDatasets(session, refuse_revoked=True)])
    except AccountingError as exc:
        raise CalculationError(exc, prefix="inventory.") from None
    options = body.monte_carlo
    calculation = run_calculation(
        inventory,
        datasets,
        monte_carlo_run=None if options is None else MonteCarlo(options.iterations, options.seed),
        prefix="inventory.",
    )
    attestations = check_attestations(session, inventory)
    result = calculation.to_dict()
    if not submit:
        return JSONResponse(result)
    details = body.footprint
    if details is None:
        raise InvalidInputError(
            "?submit=true needs the footprint's details (reference_period, geography)",
            code="missing_field",
            field="footprint",
        )

    def create() -> tuple[int, Any]:
        footprint = submit_calculation(
            session, org=org, calculation=calculation, details=details, attestations=attestations
        )
        public = footprints_crud.to_public(session, footprint)
        return status.HTTP_201_CREATED, {**result, "footprint": public.model_dump(mode="json")}

    return run_idempotent(
        session,
        org=org,
        key=idempotency_key,
        method="POST",
        path=f"{request.url.path}?submit=true",
        body=body,
        create=create,
    )
