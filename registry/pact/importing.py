"""PACT v3 import: a ProductFootprint read as a Tanji footprint (pure; the table is
:mod:`registry.pact.datamodel`)."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final
from urllib.parse import unquote

from registry.i18n import NAME_KEYS
from registry.pact.datamodel import (
    _AR,
    _COUNTRY,
    _ONE_MICROSECOND,
    _SPEC_VERSION,
    _SUBDIVISION,
    _UUID,
    DEFAULT_DOMAIN,
    EXTENSION_FIELDS,
    PACT_NAME_LANGUAGE,
    PACT_REGIONS,
    PACT_TO_STANDARD,
    PACT_TO_UNIT,
    PACT_UNITS,
    RECORDED_PCF,
    REQUIRED_PCF,
    REQUIRED_PF,
    UNIT_TO_PACT,
    PactError,
    _pact_number,
    is_tanji_extension_schema,
)
from registry.pact.export import _check_bundle, _export_decimal, _export_standards

_CATEGORY_URN: Final = re.compile(r"urn:pact:([^:]+):category-id:[^:]+")


def pact_to_footprint(
    doc: Mapping[str, Any], *, domain: str = DEFAULT_DOMAIN
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Read a PACT v3 ProductFootprint as ``(footprint create dict, tanji bundle or None)``.

    The dict has ``FootprintCreate``'s fields; a value PACT cannot supply (a Chinese product name,
    a category, from a foreign document) is left out, so the registry reports it as missing.
    Raises :class:`PactError` with the PACT JSON path of the offending member.
    """
    pcf = _check_document(doc)
    tanji, bundle = _tanji_extension(doc.get("extensions"))

    if tanji or bundle is not None:
        # Written by a Tanji deployment: its own URNs use its domain, whatever that is.
        domain = _exporter_domain(doc.get("productClassifications"), domain)
    out = _import_product(doc, domain)
    out.update(_import_unit(pcf, tanji))
    out.update(_import_emissions(pcf))
    out["system_boundary"] = "cradle-to-gate"  # the PACT Methodology's boundary
    out["reference_period"] = _import_period(pcf)
    geography = _import_geography(pcf)
    if geography is not None:
        out["geography"] = geography
    out["standards"] = _import_standards(pcf["crossSectoralStandards"])
    _check_characterization(pcf["ipccCharacterizationFactors"])
    fossil_carbon = _pact_number(pcf["fossilCarbonContent"], "pcf.fossilCarbonContent", minimum=0)
    out["fossil_carbon_kg"] = float(fossil_carbon)
    _pact_number(pcf["exemptedEmissionsPercent"], "pcf.exemptedEmissionsPercent")
    out.update(_import_quality(pcf))
    out["notes"] = _import_notes(doc.get("comment"))

    _apply_extension(out, tanji, pcf)
    if bundle is not None:
        _check_bundle_matches(bundle, out)
    return out, bundle


def _check_document(doc: Any) -> Mapping[str, Any]:
    """The document's envelope (required members, version, id, status); returns its ``pcf``."""
    if not isinstance(doc, Mapping):
        raise PactError("a ProductFootprint must be a JSON object", code="wrong_type", field=None)
    for name in REQUIRED_PF:
        if name not in doc:
            raise PactError(f"{name} is required", code="missing_field", field=name)
    _check_identity(doc)
    pcf = doc["pcf"]
    if not isinstance(pcf, Mapping):
        raise PactError("pcf must be an object", code="wrong_type", field="pcf")
    for name in REQUIRED_PCF:
        if name not in pcf:
            raise PactError(f"pcf.{name} is required", code="missing_field", field=f"pcf.{name}")
    return pcf


def _check_identity(doc: Mapping[str, Any]) -> None:
    """A PACT 3.x document with a UUID id, active (a deprecated one is not imported)."""
    spec = doc["specVersion"]
    if not isinstance(spec, str) or _SPEC_VERSION.fullmatch(spec) is None:
        raise PactError(
            f"specVersion {spec!r} is not a PACT 3.x version",
            code="unsupported_version",
            field="specVersion",
        )
    if not isinstance(doc["id"], str) or _UUID.fullmatch(doc["id"]) is None:
        raise PactError("id must be a UUID", code="bad_uuid", field="id")
    if doc["status"] not in ("Active", "Deprecated"):
        raise PactError("status must be Active or Deprecated", code="bad_enum", field="status")
    if doc["status"] == "Deprecated":
        raise PactError("a deprecated footprint is not imported", code="deprecated", field="status")


def _exporter_domain(classifications: Any, default: str) -> str:
    """The domain of a Tanji exporter's ``urn:pact:<domain>:category-id:`` URN, else ``default``."""
    if isinstance(classifications, list):
        for urn in classifications:
            found = _CATEGORY_URN.fullmatch(urn) if isinstance(urn, str) else None
            if found is not None:
                return found.group(1)
    return default


def _import_product(doc: Mapping[str, Any], domain: str) -> dict[str, Any]:
    """Company name, product name (as :data:`PACT_NAME_LANGUAGE`), product ids and category."""
    out: dict[str, Any] = {"company_name": _pact_text(doc["companyName"], "companyName")}
    _pact_urns(doc["companyIds"], "companyIds")
    name = _pact_text(doc["productNameCompany"], "productNameCompany")
    out["product_name"] = {NAME_KEYS[PACT_NAME_LANGUAGE]: name}
    out.update(_import_product_ids(_pact_urns(doc["productIds"], "productIds"), doc["id"], domain))
    category = _import_category(doc.get("productClassifications"), domain)
    if category is not None:
        out["category"] = category
    return out


def _import_unit(pcf: Mapping[str, Any], tanji: Mapping[str, Any]) -> dict[str, Any]:
    """The declared unit and amount, when PACT's unit is a Tanji one (else the extension's)."""
    unit = pcf["declaredUnitOfMeasurement"]
    if unit not in PACT_UNITS:
        raise PactError(
            f"unknown declared unit {unit!r}",
            code="bad_enum",
            field="pcf.declaredUnitOfMeasurement",
        )
    amount = _pact_number(pcf["declaredUnitAmount"], "pcf.declaredUnitAmount")
    if amount <= 0:
        raise PactError(
            "declaredUnitAmount must be positive",
            code="out_of_range",
            field="pcf.declaredUnitAmount",
        )
    out: dict[str, Any] = {}
    mass = _pact_number(
        pcf["productMassPerDeclaredUnit"], "pcf.productMassPerDeclaredUnit", minimum=0
    )
    if unit in PACT_TO_UNIT:
        out["declared_unit"], out["declared_amount"] = PACT_TO_UNIT[unit], float(amount)
        if unit == "piece" and mass > 0:
            out["product_mass_kg"] = float(mass)  # kg and kWh fix the mass; a piece records it
    elif "declared_unit" not in tanji:
        converted = convert_declared_unit(unit, amount, mass)
        if converted is None:
            raise PactError(
                f"PACT unit {unit!r} has no Tanji declared unit, and no product mass to "
                "declare it by",
                code="unit_not_supported",
                field="pcf.declaredUnitOfMeasurement",
            )
        out["declared_unit"], out["declared_amount"] = converted
    return out


def convert_declared_unit(unit: str, amount: Decimal, mass: Decimal) -> tuple[str, float] | None:
    """A PACT declared unit without a Tanji twin as ``(Tanji unit, amount)``, through ``pint``.

    A unit of the same dimension as a Tanji unit converts (``megajoule`` -> ``kWh``); any other
    (``liter``, ``cubic meter``, ``square meter``) is declared by the product mass the document
    gives for it (``productMassPerDeclaredUnit`` kg -> ``kg``), the footprint per declared unit
    unchanged. ``None`` when neither works (``ton kilometer``, ``hour``).
    """
    quantity = _units().Quantity(float(amount), _PINT_NAMES[unit])
    for tanji_unit, name in _TANJI_PINT.items():
        target = _units().Quantity(1, name)
        if quantity.dimensionality == target.dimensionality:
            return tanji_unit, float(quantity.to(name).magnitude)
    if mass > 0 and unit in _MATERIAL_UNITS:
        return "kg", float(mass)
    return None


#: PACT declared units by their pint names; Tanji units pint can convert to.
_PINT_NAMES: Final = {
    "liter": "liter",
    "kilogram": "kilogram",
    "cubic meter": "meter ** 3",
    "kilowatt hour": "kilowatt_hour",
    "megajoule": "megajoule",
    "ton kilometer": "tonne * kilometer",
    "square meter": "meter ** 2",
    "piece": "dimensionless",
    "hour": "hour",
    "megabit second": "megabit * second",
}
#: Units of a material, which its mass can declare (for energy, logistics or time it cannot).
_MATERIAL_UNITS: Final = frozenset({"liter", "cubic meter", "square meter"})
_TANJI_PINT: Final = {"kWh": "kilowatt_hour", "kg": "kilogram", "km": "kilometer"}
#: Every Tanji declared unit pint can convert, for :func:`to_accepted_unit`.
_TANJI_UNITS_PINT: Final = {**_TANJI_PINT, "t": "tonne", "MWh": "megawatt_hour"}


def to_accepted_unit(
    unit: str, amount: float, accepted: tuple[str, ...]
) -> tuple[str, float] | None:
    """``(unit, amount)`` in the first of ``accepted`` it converts to (``kg`` 1 -> ``t`` 0.001).

    The footprint per declared unit is unchanged: the declared unit is the same quantity,
    written in a unit the category accepts. ``None`` when no accepted unit is of its dimension.
    """
    if unit in accepted:
        return unit, amount
    if unit not in _TANJI_UNITS_PINT:
        return None
    quantity = _units().Quantity(amount, _TANJI_UNITS_PINT[unit])
    for target in accepted:
        name = _TANJI_UNITS_PINT.get(target)
        if (
            name is not None
            and quantity.dimensionality == _units().Quantity(1, name).dimensionality
        ):
            return target, float(quantity.to(name).magnitude)
    return None


@functools.cache
def _units() -> Any:
    import pint  # a large import: only when a document needs it

    return pint.UnitRegistry()


def _import_emissions(pcf: Mapping[str, Any]) -> dict[str, float]:
    """Total, fossil and biogenic emissions per declared unit (the uptake checked, not kept)."""
    total = _pact_number(pcf["pcfExcludingBiogenicUptake"], "pcf.pcfExcludingBiogenicUptake")
    including = _pact_number(pcf["pcfIncludingBiogenicUptake"], "pcf.pcfIncludingBiogenicUptake")
    fossil = _pact_number(pcf["fossilGhgEmissions"], "pcf.fossilGhgEmissions", minimum=0)
    if "biogenicCO2Uptake" in pcf:
        uptake = _pact_number(pcf["biogenicCO2Uptake"], "pcf.biogenicCO2Uptake")
        if uptake > 0 or not _within_rounding(including, total + uptake):
            raise PactError(
                "pcfIncludingBiogenicUptake must be pcfExcludingBiogenicUptake + "
                "biogenicCO2Uptake (<= 0)",
                code="inconsistent",
                field="pcf.pcfIncludingBiogenicUptake",
            )
    return {
        "kg_co2e_per_unit": float(total),
        "fossil_kg_co2e": float(fossil),
        # Everything not fossil in the excluding-uptake total is biogenic (and land) emissions.
        "biogenic_kg_co2e": float(total - fossil),
    }


def _within_rounding(reported: Decimal, exact: Decimal) -> bool:
    """True when ``reported`` is ``exact`` rounded to ``reported``'s own decimal places.

    PACT values are decimal strings a tool rounds when it writes them (the spec's example 1:
    0.384 + -1.61 = -1.226, reported as -1.23): a sum is checked to within half a unit in the
    last place of the reported value.
    """
    exponent = reported.as_tuple().exponent
    places = max(-exponent, 0) if isinstance(exponent, int) else 0
    return abs(reported - exact) <= Decimal(5) * Decimal(10) ** -(places + 1)


def _import_period(pcf: Mapping[str, Any]) -> dict[str, str]:
    start = _pact_instant(pcf["referencePeriodStart"], "pcf.referencePeriodStart")
    end = _pact_instant(pcf["referencePeriodEnd"], "pcf.referencePeriodEnd")
    if end <= start:
        raise PactError(
            "referencePeriodEnd must be after its start",
            code="bad_period",
            field="pcf.referencePeriodEnd",
        )
    # PACT's end instant is exclusive; Tanji's end date is the last day included.
    return {
        "start": start.date().isoformat(),
        "end": (end - _ONE_MICROSECOND).date().isoformat(),
    }


def _import_quality(pcf: Mapping[str, Any]) -> dict[str, Any]:
    """``primary_data_share`` and ``data_quality_rating``, for those the document has."""
    out: dict[str, Any] = {}
    if "primaryDataShare" in pcf:
        share = _pact_number(pcf["primaryDataShare"], "pcf.primaryDataShare", minimum=0)
        if share > 100:
            raise PactError(
                "primaryDataShare is a percentage",
                code="out_of_range",
                field="pcf.primaryDataShare",
            )
        out["primary_data_share"] = float(share)
    if "dqi" in pcf:
        out["data_quality_rating"] = _import_dqi(pcf["dqi"])
    return out


def _pact_text(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value:
        raise PactError(f"{field} must be a non-empty string", code="wrong_type", field=field)
    return value


def _pact_urns(value: Any, field: str) -> list[str]:
    if not isinstance(value, list) or not value:
        raise PactError(f"{field} must be a non-empty list of URNs", code="wrong_type", field=field)
    for i, urn in enumerate(value):
        if not isinstance(urn, str) or urn[:4].lower() != "urn:":
            raise PactError(f"{field}[{i}] is not a URN", code="bad_urn", field=f"{field}[{i}]")
    if len(set(value)) != len(value):
        raise PactError(f"{field} has duplicates", code="duplicate", field=field)
    return value


def _pact_instant(value: Any, field: str) -> datetime:
    if isinstance(value, str):
        try:
            instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            instant = None
        if instant is not None and instant.tzinfo is not None:
            return instant.astimezone(UTC)
    raise PactError(f"{field} must be an ISO 8601 date-time in UTC", code="bad_date", field=field)


def _import_product_ids(urns: Iterable[str], pf_id: str, domain: str) -> dict[str, Any]:
    prefix = f"urn:pact:{domain}:product-id:"
    gtin: str | None = None
    product_ids: list[str] = []
    for urn in urns:
        if urn.lower().startswith("urn:gtin:") and gtin is None and _valid_gtin(urn[9:]):
            gtin = urn[len("urn:gtin:") :]
        elif urn.startswith(prefix):
            product_ids.append(unquote(urn[len(prefix) :]))
        elif urn.lower() != f"urn:uuid:{pf_id}".lower():
            product_ids.append(urn)
    return {"gtin": gtin, "product_ids": product_ids}


def _valid_gtin(digits: str) -> bool:
    """True for a GTIN whose check digit holds; another stays a product id (the spec's own
    example 1 carries ``urn:gtin:5695872369587``, whose check digit is wrong)."""
    from registry.errors import InvalidInputError
    from registry.qr import normalize_gtin

    try:
        normalize_gtin(digits)
    except InvalidInputError:
        return False
    return True


def _import_category(classifications: Any, domain: str) -> str | None:
    if classifications is None:
        return None
    prefix = f"urn:pact:{domain}:category-id:"
    for urn in _pact_urns(classifications, "productClassifications"):
        if urn.startswith(prefix):
            return unquote(urn[len(prefix) :])
    return None


def _import_geography(pcf: Mapping[str, Any]) -> dict[str, Any] | None:
    subdivision = pcf.get("geographyCountrySubdivision")
    country = pcf.get("geographyCountry")
    region = pcf.get("geographyRegionOrSubregion")
    if sum(value is not None for value in (subdivision, country, region)) > 1:
        raise PactError(
            "a CarbonFootprint has one geographic level only",
            code="bad_geography",
            field="pcf.geographyCountrySubdivision",
        )
    if subdivision is not None:
        if not isinstance(subdivision, str) or _SUBDIVISION.fullmatch(subdivision) is None:
            raise PactError(
                "not an ISO 3166-2 code",
                code="bad_geography",
                field="pcf.geographyCountrySubdivision",
            )
        return {"country": subdivision[:2], "subdivision": subdivision}
    if country is not None:
        if not isinstance(country, str) or _COUNTRY.fullmatch(country) is None:
            raise PactError(
                "not an ISO 3166-1 alpha-2 code", code="bad_geography", field="pcf.geographyCountry"
            )
        return {"country": country, "subdivision": None}
    if region is not None:
        if region not in PACT_REGIONS:
            raise PactError(
                f"{region!r} is not a UN region or subregion PACT allows",
                code="bad_geography",
                field="pcf.geographyRegionOrSubregion",
            )
        return {"region": region}  # stored as given; a label still needs a country
    return None  # global: Tanji needs a geography, the registry will say so


def _import_standards(value: Any) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise PactError(
            "crossSectoralStandards must be a non-empty list of strings",
            code="wrong_type",
            field="pcf.crossSectoralStandards",
        )
    return [str(PACT_TO_STANDARD.get(code, code)) for code in value]


def _check_characterization(value: Any) -> None:
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(v, str) and _AR.fullmatch(v) for v in value)
    ):
        raise PactError(
            'ipccCharacterizationFactors must be a non-empty list like ["AR6"]',
            code="bad_value",
            field="pcf.ipccCharacterizationFactors",
        )


def _import_dqi(dqi: Any) -> int:
    names = ("technologicalDQR", "geographicalDQR", "temporalDQR")
    if not isinstance(dqi, Mapping) or any(name not in dqi for name in names):
        raise PactError(f"dqi needs {', '.join(names)}", code="missing_field", field="pcf.dqi")
    ratings = []
    for name in names:
        rating = _pact_number(dqi[name], f"pcf.dqi.{name}")
        if not 1 <= rating <= 5:
            raise PactError(
                "a DQR is between 1 and 5", code="out_of_range", field=f"pcf.dqi.{name}"
            )
        ratings.append(rating)
    mean = sum(ratings, Decimal(0)) / len(ratings)
    return int(mean.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _import_notes(comment: Any) -> str | None:
    if comment is None:
        return None
    if not isinstance(comment, str):
        raise PactError("comment must be a string", code="wrong_type", field="comment")
    lines = comment.split("\n")
    # Drop the boundary sentence we write on export; the boundary itself comes from the extension.
    if lines and re.fullmatch(r"System boundary: [a-z-]+\.", lines[0]):
        lines = lines[1:]
    return "\n".join(lines) or None


def _tanji_extension(extensions: Any) -> tuple[dict[str, Any], dict[str, Any] | None]:
    if extensions is None:
        return {}, None
    if not isinstance(extensions, list) or not extensions:
        raise PactError(
            "extensions must be a non-empty list", code="wrong_type", field="extensions"
        )
    found: tuple[dict[str, Any], dict[str, Any] | None] | None = None
    for i, extension in enumerate(extensions):
        path = f"extensions[{i}]"
        if not isinstance(extension, Mapping):
            raise PactError(f"{path} must be an object", code="wrong_type", field=path)
        for name in ("specVersion", "dataSchema", "data"):
            if name not in extension:
                raise PactError(
                    f"{path}.{name} is required", code="missing_field", field=f"{path}.{name}"
                )
        if not is_tanji_extension_schema(extension["dataSchema"]):
            continue  # someone else's extension: not ours to judge
        if found is not None:
            raise PactError("more than one Tanji extension", code="duplicate", field=path)
        found = _read_extension_data(extension["data"], path)
    return found if found is not None else ({}, None)


def _read_extension_data(data: Any, path: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Our extension's ``data``: its footprint fields and its bundle (None without one)."""
    if not isinstance(data, Mapping) or not isinstance(data.get("footprint", {}), Mapping):
        raise PactError(
            f"{path}.data.footprint must be an object", code="wrong_type", field=f"{path}.data"
        )
    footprint = dict(data.get("footprint", {}))
    unknown = set(footprint) - set(EXTENSION_FIELDS)
    if unknown:
        field = f"{path}.data.footprint.{sorted(unknown)[0]}"
        raise PactError(
            f"{field} is not a Tanji extension field", code="unknown_field", field=field
        )
    bundle = data.get("bundle")
    # data.proof (root, anchor, link) restates the bundle: the bundle is what is checked.
    return footprint, None if bundle is None else _check_bundle(bundle, f"{path}.data.bundle")


def _apply_extension(out: dict[str, Any], tanji: Mapping[str, Any], pcf: Mapping[str, Any]) -> None:
    """Take the fields PACT cannot hold exactly from our extension, after checking they agree."""
    if tanji:
        # A Tanji exporter lists what it recorded; any other value in pcf is its declared default.
        for name in RECORDED_PCF:
            if name in tanji:
                out[name] = tanji[name]
            else:
                out.pop(name, None)
    if "product_name" in tanji:
        key = NAME_KEYS[PACT_NAME_LANGUAGE]
        name, own = tanji["product_name"], out["product_name"][key]
        if not isinstance(name, Mapping) or name.get(key, own) != own:
            raise PactError(
                f"extension product_name.{key} differs from productNameCompany",
                code="extension_mismatch",
                field="productNameCompany",
            )
        out["product_name"] = dict(name)
    if "declared_unit" in tanji:
        unit = tanji["declared_unit"]
        amount = _export_decimal(tanji.get("declared_amount", 1), "declared_amount")
        if unit not in UNIT_TO_PACT or (
            UNIT_TO_PACT[unit][0],
            amount * UNIT_TO_PACT[unit][1],
        ) != (pcf["declaredUnitOfMeasurement"], Decimal(pcf["declaredUnitAmount"])):
            raise PactError(
                "extension declared unit does not match the PACT declared unit",
                code="extension_mismatch",
                field="pcf.declaredUnitAmount",
            )
        out["declared_unit"] = unit
        out["declared_amount"] = tanji.get("declared_amount", 1.0)
    if "biogenic_kg_co2e" in tanji:
        out["biogenic_kg_co2e"] = tanji["biogenic_kg_co2e"]
    if "system_boundary" in tanji:
        out["system_boundary"] = tanji["system_boundary"]
    if "standards" in tanji:
        standards = tanji["standards"]
        if _export_standards(standards) != list(dict.fromkeys(pcf["crossSectoralStandards"])):
            raise PactError(
                "extension standards do not match crossSectoralStandards",
                code="extension_mismatch",
                field="pcf.crossSectoralStandards",
            )
        out["standards"] = list(standards)


def _check_bundle_matches(bundle: Mapping[str, Any], footprint: Mapping[str, Any]) -> None:
    """The proof must be about this footprint: every disclosed field present in both must agree."""
    record = bundle["record"]
    for name, value in footprint.items():
        if name in record and not _same(record[name], value):
            raise PactError(
                f"the bundle's record has a different {name}",
                code="bundle_mismatch",
                field=f"extensions.data.bundle.record.{name}",
            )


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        return Decimal(repr(a)) == Decimal(repr(b))
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return set(a) == set(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)
