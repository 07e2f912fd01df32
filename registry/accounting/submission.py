"""A calculation made into a footprint submission: API ``?submit=true``, CLI ``--submit``.

The footprint is the calculation's result with what an inventory does not say (the reference
period, the geography, product ids, notes) from :class:`FootprintDetails`:

- ``kg_co2e_per_unit`` the double nearest the exact result, ``declared_amount`` 1 and the
  catalogue's spelling of the inventory's declared unit (``piece`` is ``unit``);
- ``biogenic_kg_co2e`` the part of non-fossil methane (the only biogenic gas an inventory can
  name), ``fossil_kg_co2e`` the rest;
- ``system_boundary`` and ``standards`` the category rules';
- ``primary_data_share`` the calculation's (PACT's definition), ``data_quality_rating`` the mean
  of its data-quality indicators rounded half up (or the details' own);
- ``components`` the component lines of the whole inventory tree (sub-inventories' scaled to
  one root declared unit), each checked against its supplier attestation (so the label bundle
  carries each supplier's proof);
- ``calculation`` the engine, the inventory digest, the factor dataset versions, the exact result
  and (up to 1,000 root lines) the line values, so anyone can recompute it, and
  ``inventory_record``, the id of the anchored ``inventory`` record holding the inventory one line
  per field (docs/PROTOCOL.md section 17.6), stored and queued in the same transaction.

It is stored as any footprint is (anchored record, audit entry) and, in the same transaction, one
``footprint_factor`` row per factor used (:func:`registry.factors.crud.record_footprint_factors`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final

from pydantic import Field, ValidationError
from sqlmodel import Session

from registry.accounting.calculation import Calculation, factor_uses
from registry.catalogue import get_category
from registry.crud import footprints as footprints_crud
from registry.errors import InvalidInputError
from registry.factors.crud import record_footprint_factors
from registry.i18n import NAME_KEYS
from registry.models.attestations import ACTIVE, Attestation
from registry.models.common import StrictInput
from registry.models.footprints import (
    COMPUTED_CONTEXT,
    Footprint,
    FootprintCreate,
    Geography,
    ReferencePeriod,
)
from registry.models.orgs import Organisation
from registry.plaintext import MultilineText, PlainText
from registry.records.inventories import new_inventory_id, store_inventory
from registry.validation import validation_error_details
from verifier.protocol.accounting import Inventory, Line, parse_unit
from verifier.protocol.accounting.units import UnitError, same_unit

__all__ = [
    "FootprintDetails",
    "check_attestations",
    "footprint_input",
    "submit_calculation",
]

#: The gas whose part of a footprint is biogenic (docs/ACCOUNTING.md, GWP sets).
BIOGENIC_GASES: Final = ("CH4-non-fossil",)
#: Fields of a footprint that come from the inventory, and where they are in it.
_INVENTORY_FIELDS: Final = {
    "product_name": "inventory.product.names",
    "gtin": "inventory.product.gtin",
    "category": "inventory.category",
    "declared_unit": "inventory.declaredUnit.unit",
    "kg_co2e_per_unit": "inventory",
    "fossil_kg_co2e": "inventory",
    "biogenic_kg_co2e": "inventory",
    "components": "inventory.lines",
}


class FootprintDetails(StrictInput):
    """What a footprint says that its inventory does not (``footprint`` of the request)."""

    reference_period: ReferencePeriod
    geography: Geography
    product_ids: list[PlainText] = Field(default_factory=list, max_length=20)
    notes: MultilineText | None = Field(default=None, max_length=2000)
    company_name: PlainText | None = Field(
        default=None, min_length=1, max_length=200, description="default: the organisation's name"
    )
    data_quality_rating: int | None = Field(
        default=None, ge=1, le=5, description="default: the calculation's data quality, rounded"
    )


def _names(inventory: Inventory) -> dict[str, str]:
    product = inventory.document.get("product") or {}
    names: Mapping[str, str] = product.get("names") or {}
    return {NAME_KEYS[lang]: names[lang] for lang in NAME_KEYS if lang in names}


def _declared_unit(calculation: Calculation) -> str:
    """The catalogue's spelling of the inventory's declared unit (the rules matched it)."""
    unit = calculation.inventory.declared_unit
    for declared in get_category(calculation.rules.code).declared_units:
        try:
            if same_unit(parse_unit(declared), unit):
                return declared
        except UnitError:
            continue
    return unit.text  # refused by the footprint's own check (invalid_declared_unit)


def _rating(calculation: Calculation, details: FootprintDetails) -> int:
    if details.data_quality_rating is not None:
        return details.data_quality_rating
    quality = calculation.footprint.data_quality
    if not quality:
        raise InvalidInputError(
            "no line of the inventory carries a data-quality rating: give one",
            code="missing_field",
            field="footprint.data_quality_rating",
        )
    dimensions = [value for name, value in quality.items() if name != "coverage"]
    mean = sum(dimensions, Decimal(0)) / len(dimensions)
    return min(5, max(1, int(mean.quantize(Decimal(1), rounding=ROUND_HALF_UP))))


def _component_lines(
    inventory: Inventory, scale: Decimal = Decimal(1)
) -> Iterator[tuple[Line, Decimal]]:
    """Each component line of the inventory tree with how many of its inventory's declared
    amounts one root declared unit takes: 1 at the root; below a ``subInventory`` line, the
    line's amount in the sub-inventory's declared unit × its allocation share ÷ its declared
    amount (section 17.4's scaling), times the parent's."""
    for line in inventory.lines:
        if line.component is not None:
            yield line, scale
        elif line.sub_inventory is not None:
            sub = inventory.sub_inventory(line.sub_inventory)
            if sub is None:
                continue
            declared = sub.declared_unit
            factor = (line.amount * line.unit.numerator * declared.denominator * sub.share) / (
                line.unit.denominator * declared.numerator * sub.declared_amount
            )
            yield from _component_lines(sub, scale * factor)


def check_attestations(session: Session, inventory: Inventory) -> dict[str, Attestation]:
    """Check every component line of the inventory tree against its supplier attestation.

    The attestation must be in the registry (``unknown_attestation``), in force
    (``attestation_revoked``), declare the line's value (``component_value_mismatch``) per the
    line's unit (``component_unit_mismatch``). Returns the attestations by id.
    """
    found: dict[str, Attestation] = {}
    for part in inventory.walk():
        for line in part.lines:
            if line.component is not None:
                found[line.component.attestation] = _check_component(session, line)
    return found


def _check_component(session: Session, line: Line) -> Attestation:
    component = line.component
    assert component is not None
    field = f"inventory.{line.path}.component"
    attestation = session.get(Attestation, component.attestation.lower())
    if attestation is None:
        raise InvalidInputError(
            f"attestation {component.attestation} is not in the registry",
            code="unknown_attestation",
            field=f"{field}.attestation",
        )
    if attestation.status != ACTIVE:
        raise InvalidInputError(
            f"attestation {attestation.id} was revoked",
            code="attestation_revoked",
            field=f"{field}.attestation",
        )
    if Decimal(attestation.kg_co2e_per_unit) != component.value or component.unit.mass.text != "kg":
        raise InvalidInputError(
            f"attestation {attestation.id} declares {attestation.kg_co2e_per_unit} kg CO2e per "
            f"{attestation.declared_unit}, the line says {component.value} "
            f"{component.unit.mass.text} CO2e",
            code="component_value_mismatch",
            field=f"{field}.value",
        )
    try:
        fits = same_unit(parse_unit(attestation.declared_unit), component.unit.per)
    except UnitError:
        fits = False
    if not fits:
        raise InvalidInputError(
            f"attestation {attestation.id} is per {attestation.declared_unit!r}, the line's value "
            f"per {component.unit.per.text!r}",
            code="component_unit_mismatch",
            field=f"{field}.unit",
        )
    return attestation


def _components(
    inventory: Inventory, attestations: Mapping[str, Attestation]
) -> list[dict[str, Any]] | None:
    # A supplier's component used at several places of the tree is one component, summed.
    quantities: dict[str, Decimal] = {}
    for line, scale in _component_lines(inventory):
        assert line.component is not None
        per = line.component.unit.per
        quantity = (line.amount * line.unit.numerator * per.denominator * scale) / (
            line.unit.denominator * per.numerator
        )
        key = line.component.attestation
        quantities[key] = quantities.get(key, Decimal(0)) + quantity
    components = []
    for attestation_id, quantity in quantities.items():
        attestation = attestations[attestation_id]
        components.append(
            {
                "component_id": attestation.component_id,
                "quantity": float(quantity),
                "unit": attestation.declared_unit,
                "attestation_id": attestation.id,
            }
        )
    return components or None


def footprint_input(
    calculation: Calculation,
    details: FootprintDetails,
    *,
    company_name: str,
    attestations: Mapping[str, Attestation],
    inventory_record: str | None = None,
) -> FootprintCreate:
    """The footprint submission of ``calculation`` (validated as any footprint is);
    ``inventory_record`` is the id its inventory is stored under (``calculation.inventory_record``).
    """
    footprint = calculation.footprint
    per_unit = footprint.kg_co2e_per_unit
    biogenic = sum((footprint.by_gas.get(gas, Decimal(0)) for gas in BIOGENIC_GASES), Decimal(0))
    gtin = (calculation.inventory.document.get("product") or {}).get("gtin")
    data: dict[str, Any] = {
        "gtin": gtin,
        "product_ids": details.product_ids,
        "product_name": _names(calculation.inventory),
        "category": calculation.rules.code,
        "declared_unit": _declared_unit(calculation),
        "declared_amount": 1,
        "kg_co2e_per_unit": float(per_unit),
        "fossil_kg_co2e": float(per_unit - biogenic),
        "biogenic_kg_co2e": float(biogenic),
        "system_boundary": calculation.rules.system_boundary,
        "reference_period": details.reference_period.model_dump(mode="json"),
        "geography": details.geography.model_dump(mode="json", exclude_none=True),
        "standards": list(calculation.rules.standards),
        "primary_data_share": float(footprint.primary_data_share or 0),
        "data_quality_rating": _rating(calculation, details),
        "company_name": details.company_name or company_name,
        "notes": details.notes,
        "components": _components(calculation.inventory, attestations),
        "calculation": calculation.record_member(),
    }
    if inventory_record is not None:
        data["calculation"]["inventory_record"] = inventory_record
    try:
        return FootprintCreate.model_validate(data, context={COMPUTED_CONTEXT: True})
    except ValidationError as exc:
        errors = validation_error_details(exc.errors())
        for error in errors:
            field = error.get("field")
            name = (field or "").split(".")[0].split("[")[0]
            error["field"] = _INVENTORY_FIELDS.get(
                name, f"footprint.{field}" if field else "footprint"
            )
        first = errors[0]
        raise InvalidInputError(
            first["message"], code=first["code"], field=first["field"], details=errors
        ) from None


def submit_calculation(
    session: Session,
    *,
    org: Organisation,
    calculation: Calculation,
    details: FootprintDetails,
    attestations: Mapping[str, Attestation] | None = None,
) -> Footprint:
    """Store ``calculation`` as a footprint of ``org`` with its provenance rows (no commit).

    ``attestations`` are those :func:`check_attestations` returned (checked here when None).
    Raises what a footprint submission raises (``duplicate_footprint``, ``gtin_not_owned``, …).
    """
    if attestations is None:
        attestations = check_attestations(session, calculation.inventory)
    inventory_id = new_inventory_id()
    item = footprint_input(
        calculation,
        details,
        company_name=org.name,
        attestations=attestations,
        inventory_record=inventory_id,
    )
    footprint = footprints_crud.add_footprint(session, org=org, item=item)
    session.flush()  # the provenance rows refer to the footprint row
    record_footprint_factors(session, footprint.id, factor_uses(calculation.inventory))
    store_inventory(
        session,
        record_id=inventory_id,
        document=dict(calculation.inventory.document),
        digest=calculation.footprint.inventory_digest,
        footprint_id=footprint.id,
        org_id=org.id,
    )
    return footprint
