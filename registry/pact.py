"""WBCSD PACT v3 ProductFootprint export and import of a Tanji footprint (pure: no DB, no web).

PACT (the Partnership for Carbon Transparency's Technical Specifications, v3 data model) is how
footprints travel between companies' systems. It carries no proof, so Tanji's anchoring proof
travels as a PACT *Data Model Extension* (docs/ATTESTATIONS.md, "PACT extension")::

    "extensions": [{"specVersion": "2.0.0",
                    "dataSchema": "https://tanji.example/schemas/tanji-footprint-extension/1.json",
                    "data": {"footprint": {<the Tanji fields PACT cannot hold exactly>},
                             "bundle": <tanji-bundle/1, when anchored>}}]

Mapping (the one table to adapt when the footprint model changes; Tanji names are those of
``registry.models.footprints.FootprintCreate``, PACT names those of the v3 ``ProductFootprint``):

- record ``id`` -> ``id`` (UUID v4 form derived from the record id, or ``pf_id=``);
  record ``submitted_at`` -> ``created`` (or ``created=``; else now);
  record ``org`` -> ``companyIds`` ``urn:pact:company:customcode:supplier-id:<org>``
- ``company_name`` -> ``companyName``
- ``product_name.en`` -> ``productNameCompany`` (:data:`PACT_NAME_LANGUAGE`); every
  language's name, ``"zh / en"`` (``"zh / zh-Hant / en"``) -> ``productDescription``; the
  name by language itself only in the extension
- ``gtin`` -> ``productIds`` ``urn:gtin:<gtin>``; ``product_ids`` -> ``productIds`` (URNs kept,
  others as ``urn:pact:<domain>:product-id:<id>``)
- ``category`` -> ``productClassifications`` ``urn:pact:<domain>:category-id:<code>``
- ``declared_unit``, ``declared_amount`` -> ``pcf.declaredUnitOfMeasurement``,
  ``pcf.declaredUnitAmount`` through :data:`UNIT_TO_PACT` (``t`` -> 1000 ``kilogram``)
- ``kg_co2e_per_unit`` (fossil + biogenic *emissions*) -> ``pcf.pcfExcludingBiogenicUptake``;
  ``pcf.pcfIncludingBiogenicUptake`` = that + ``biogenicCO2Uptake`` from ``pcf_extra`` (absent:
  equal, the uptake left blank as PACT's "unknown")
- ``fossil_kg_co2e`` -> ``pcf.fossilGhgEmissions``; ``biogenic_kg_co2e`` -> extension (PACT
  splits it finer; a foreign document gives total - fossil)
- ``system_boundary`` -> extension and a ``comment`` sentence (a PACT PCF is cradle-to-gate)
- ``reference_period.start`` -> ``pcf.referencePeriodStart`` (00:00:00Z);
  ``reference_period.end`` (last day included) -> ``pcf.referencePeriodEnd`` = next day
  00:00:00Z (PACT's end is exclusive)
- ``geography.subdivision`` -> ``pcf.geographyCountrySubdivision``, else ``geography.country``
  -> ``pcf.geographyCountry`` (PACT allows one level only)
- ``standards`` -> ``pcf.crossSectoralStandards`` through :data:`STANDARD_TO_PACT` (others
  verbatim, as PACT asks hosts to accept); the exact list in the extension
- ``primary_data_share`` -> ``pcf.primaryDataShare``
- ``data_quality_rating`` -> ``pcf.dqi`` (all three DQRs; PACT's scale, 1 = best)
- ``notes`` -> ``comment`` (after the boundary sentence)

PACT requires some values Tanji does not record (``fossilCarbonContent``,
``ipccCharacterizationFactors``, ``exemptedEmissionsPercent``, and ``productMassPerDeclaredUnit``
for pieces): the caller passes them in ``pcf_extra``; a missing one is a ``missing_pact_field``
error rather than an invented value. Numbers are PACT decimal strings on the wire and floats on
the Tanji side (the model's type); a float is written as its shortest repr, so it reads back equal.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Final
from urllib.parse import quote, unquote

from registry.errors import InvalidInputError
from registry.i18n import NAME_KEYS, Language, by_language, localized
from verifier.protocol.canonical import canonicalize
from verifier.protocol.hashing import keccak
from verifier.protocol.records import BUNDLE_FORMAT, FOOTPRINT

PACT_SPEC_VERSION: Final = "3.0.0"
EXTENSION_SPEC_VERSION: Final = "2.0.0"
TANJI_EXTENSION_SCHEMA: Final = "https://tanji.example/schemas/tanji-footprint-extension/1.json"
TANJI_EXTENSION_DOCS: Final = "https://tanji.example/docs/ATTESTATIONS.md#pact-extension"
#: The language of ``productNameCompany``: the English name, else the best stand-in on export;
#: on import, a foreign document's name is taken as English (its Chinese name is filled in).
PACT_NAME_LANGUAGE: Final[Language] = "en"
# The domain in our own PACT URNs (urn:pact:<domain>:product-id:...). One place to change.
DEFAULT_DOMAIN: Final = "tanji.example"

# Tanji declared unit -> (PACT declaredUnitOfMeasurement, PACT amount per Tanji amount).
# Wp, kWp and km have no PACT unit: exporting them is an error, not a guess.
UNIT_TO_PACT: Final[dict[str, tuple[str, Decimal]]] = {
    "unit": ("piece", Decimal(1)),
    "vehicle": ("piece", Decimal(1)),
    "kWh": ("kilowatt hour", Decimal(1)),
    "kg": ("kilogram", Decimal(1)),
    "t": ("kilogram", Decimal(1000)),
}
# PACT unit -> Tanji unit, for documents without our extension.
PACT_TO_UNIT: Final[dict[str, str]] = {"piece": "unit", "kilowatt hour": "kWh", "kilogram": "kg"}
PACT_UNITS: Final = (
    "liter",
    "kilogram",
    "cubic meter",
    "kilowatt hour",
    "megajoule",
    "ton kilometer",
    "square meter",
    "piece",
    "hour",
    "megabit second",
)
# PACT fixes productMassPerDeclaredUnit for these units (0: mass is not relevant).
_MASS_IS_AMOUNT: Final = ("kilogram",)
_MASS_IS_ZERO: Final = ("kilowatt hour", "megajoule", "ton kilometer", "hour", "megabit second")

# Spellings of a standard (upper-case, spaces and year removed) -> PACT crossSectoralStandards.
STANDARD_TO_PACT: Final[dict[str, str]] = {
    "ISO14067": "ISO14067",
    "ISO14083": "ISO14083",
    "ISO14040-44": "ISO14040-44",
    "ISO14040/14044": "ISO14040-44",
    "ISO14040/44": "ISO14040-44",
    "ISO14044": "ISO14040-44",
    "GHGP-PRODUCT": "GHGP-Product",
    "GHGPROTOCOLPRODUCTSTANDARD": "GHGP-Product",
    "PEF": "PEF",
    "PACT-1.0": "PACT-1.0",
    "PACT-2.0": "PACT-2.0",
    "PACT-3.0": "PACT-3.0",
    "PAS2050": "PAS2050",
}
# PACT code -> the Tanji spelling used for documents without our extension.
PACT_TO_STANDARD: Final[dict[str, str]] = {
    "ISO14067": "ISO 14067",
    "ISO14083": "ISO 14083",
    "ISO14040-44": "ISO 14040/14044",
    "GHGP-Product": "GHG Protocol Product Standard",
    "PEF": "PEF",
    "PACT-1.0": "PACT 1.0",
    "PACT-2.0": "PACT 2.0",
    "PACT-3.0": "PACT 3.0",
    "PAS2050": "PAS 2050",
}

# CarbonFootprint properties this module derives itself; pcf_extra may not set them.
_DERIVED_PCF: Final = frozenset(
    {
        "declaredUnitOfMeasurement",
        "declaredUnitAmount",
        "referencePeriodStart",
        "referencePeriodEnd",
        "geographyRegionOrSubregion",
        "geographyCountry",
        "geographyCountrySubdivision",
        "pcfExcludingBiogenicUptake",
        "pcfIncludingBiogenicUptake",
        "fossilGhgEmissions",
        "crossSectoralStandards",
        "primaryDataShare",
        "dqi",
    }
)
# Other CarbonFootprint properties of PACT v3 (spec/v3/openapi.yaml), which pcf_extra may set.
PCF_EXTRA_FIELDS: Final = frozenset(
    {
        "productMassPerDeclaredUnit",
        "boundaryProcessesDescription",
        "fossilCarbonContent",
        "biogenicCarbonContent",
        "recycledCarbonContent",
        "landUseChangeGhgEmissions",
        "landCarbonLeakage",
        "landManagementFossilGhgEmissions",
        "landManagementBiogenicCO2Emissions",
        "landManagementBiogenicCO2Removals",
        "biogenicCO2Uptake",
        "biogenicNonCO2Emissions",
        "landAreaOccupation",
        "aircraftGhgEmissions",
        "packagingEmissionsIncluded",
        "packagingGhgEmissions",
        "packagingBiogenicCarbonContent",
        "outboundLogisticsGhgEmissions",
        "technologicalCO2CaptureOrigin",
        "technologicalCO2Removals",
        "ccsTechnologicalCO2CaptureIncluded",
        "ccsTechnologicalCO2Capture",
        "ccuCarbonContent",
        "ccuCalculationApproach",
        "ccuCreditCertification",
        "ipccCharacterizationFactors",
        "productOrSectorSpecificRules",
        "exemptedEmissionsPercent",
        "exemptedEmissionsDescription",
        "allocationRulesDescription",
        "secondaryEmissionFactorSources",
        "verification",
    }
)
REQUIRED_PF: Final = (
    "id",
    "specVersion",
    "created",
    "status",
    "companyName",
    "companyIds",
    "productDescription",
    "productIds",
    "productNameCompany",
    "pcf",
)
REQUIRED_PCF: Final = (
    "declaredUnitOfMeasurement",
    "declaredUnitAmount",
    "productMassPerDeclaredUnit",
    "referencePeriodStart",
    "referencePeriodEnd",
    "pcfExcludingBiogenicUptake",
    "pcfIncludingBiogenicUptake",
    "fossilGhgEmissions",
    "fossilCarbonContent",
    "ipccCharacterizationFactors",
    "crossSectoralStandards",
    "exemptedEmissionsPercent",
)
# Tanji fields only our extension carries exactly (see the table above).
EXTENSION_FIELDS: Final = (
    "product_name",
    "declared_unit",
    "declared_amount",
    "biogenic_kg_co2e",
    "system_boundary",
    "standards",
)

_DECIMAL: Final = re.compile(r"[+-]?\d+(\.\d+)?")
_UUID: Final = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
_SPEC_VERSION: Final = re.compile(r"3\.\d+\.\d+(-\d{8})?")
_SUBDIVISION: Final = re.compile(r"[A-Z]{2}-[A-Z0-9]{1,3}")
_COUNTRY: Final = re.compile(r"[A-Z]{2}")
_AR: Final = re.compile(r"AR\d+")
_BOUNDARY_LINE: Final = "System boundary: {}."
_ONE_MICROSECOND: Final = timedelta(microseconds=1)


class PactError(InvalidInputError, ValueError):
    """A footprint cannot be exported to PACT, or a PACT document cannot be imported.

    ``code`` is stable (``missing_field``, ``bad_decimal``, ``unit_not_in_pact``, ...); ``field`` is
    the Tanji field name on export and the PACT JSON path (``pcf.referencePeriodEnd``) on import.
    """

    code = "pact_invalid"


# --- export ----------------------------------------------------------------------------------


def footprint_to_pact(
    record: Mapping[str, Any],
    *,
    bundle: Mapping[str, Any] | None = None,
    pcf_extra: Mapping[str, Any] | None = None,
    pf_id: str | None = None,
    created: datetime | None = None,
    domain: str = DEFAULT_DOMAIN,
) -> dict[str, Any]:
    """A PACT v3 ProductFootprint of a Tanji footprint record (or its submitted data).

    ``bundle`` (a ``tanji-bundle/1``) travels in the Tanji extension; ``pcf_extra`` supplies PACT
    CarbonFootprint properties Tanji does not record (see the module docstring). Raises
    :class:`PactError` naming the Tanji field.
    """
    if not isinstance(record, Mapping):
        raise PactError("footprint must be an object", code="wrong_type", field=None)
    extra = _check_pcf_extra(pcf_extra or {})
    names = _export_name(record)
    company = _text(_need(record, "company_name"), "company_name")
    pcf = _export_pcf(record, extra)
    comment = _export_comment(record)
    extension = _export_extension(record, bundle)
    doc: dict[str, Any] = {
        "id": pf_id if pf_id is not None else _derived_pf_id(record),
        "specVersion": PACT_SPEC_VERSION,
        "created": _created(record, created),
        "status": "Active",
        "companyName": company,
        "companyIds": [_company_id(record, company)],
        # Every language's name, "zh / en" (in LANGUAGES order).
        "productDescription": " / ".join(names.values()),
        "productIds": _export_product_ids(record, domain),
        "productNameCompany": localized(names, PACT_NAME_LANGUAGE),
        "comment": comment,
        "pcf": pcf,
        "extensions": [extension],
    }
    category = record.get("category")
    if category:
        doc["productClassifications"] = [
            f"urn:pact:{domain}:category-id:{quote(_text(category, 'category'), safe='')}"
        ]
    if _UUID.fullmatch(doc["id"]) is None:
        raise PactError("pf_id must be a UUID", code="bad_uuid", field="id")
    return doc


def _export_pcf(record: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """The CarbonFootprint (``pcf``) of a footprint, ``extra`` merged in; every required one set."""
    unit, amount = _export_unit(record)
    total = _export_decimal(_need(record, "kg_co2e_per_unit"), "kg_co2e_per_unit")
    fossil = _export_decimal(_need(record, "fossil_kg_co2e"), "fossil_kg_co2e", minimum=0)
    biogenic = record.get("biogenic_kg_co2e")
    if biogenic is not None:
        _export_decimal(biogenic, "biogenic_kg_co2e", minimum=0)
    uptake = Decimal(extra["biogenicCO2Uptake"]) if "biogenicCO2Uptake" in extra else Decimal(0)
    _text(_need(record, "system_boundary"), "system_boundary")
    start, end = _export_period(record)
    pcf: dict[str, Any] = {
        "declaredUnitOfMeasurement": unit,
        "declaredUnitAmount": _pact_decimal(amount),
        "referencePeriodStart": _instant(start),
        # PACT's end is exclusive; a Tanji end date includes its whole day.
        "referencePeriodEnd": _instant(end + timedelta(days=1)),
        **_export_geography(record.get("geography")),
        "pcfExcludingBiogenicUptake": _pact_decimal(total),
        "pcfIncludingBiogenicUptake": _pact_decimal(total + uptake),
        "fossilGhgEmissions": _pact_decimal(fossil),
        "crossSectoralStandards": _export_standards(_need(record, "standards")),
    }
    if unit in _MASS_IS_AMOUNT:
        pcf["productMassPerDeclaredUnit"] = _pact_decimal(amount)
    elif unit in _MASS_IS_ZERO:
        pcf["productMassPerDeclaredUnit"] = "0"
    pcf.update(_export_quality(record))
    pcf.update(extra)
    missing = [f"pcf.{field}" for field in REQUIRED_PCF if field not in pcf]
    if missing:
        raise PactError(
            f"PACT requires {', '.join(missing)}, which Tanji does not record: "
            "pass it in pcf_extra",
            code="missing_pact_field",
            field=missing[0],
        )
    return pcf


def _export_period(record: Mapping[str, Any]) -> tuple[date, date]:
    period = _need(record, "reference_period")
    if not isinstance(period, Mapping):
        raise PactError(
            "reference_period must be an object", code="wrong_type", field="reference_period"
        )
    start = _export_date(_need(period, "start", "reference_period"), "reference_period.start")
    end = _export_date(_need(period, "end", "reference_period"), "reference_period.end")
    if end < start:
        raise PactError(
            "reference period ends before it starts",
            code="bad_period",
            field="reference_period.end",
        )
    return start, end


def _export_quality(record: Mapping[str, Any]) -> dict[str, Any]:
    """``primaryDataShare`` and ``dqi``, for those the footprint has."""
    quality: dict[str, Any] = {}
    share = record.get("primary_data_share")
    if share is not None:
        value = _export_decimal(share, "primary_data_share", minimum=0)
        if value > 100:
            raise PactError(
                "primary_data_share is a percentage (0-100)",
                code="out_of_range",
                field="primary_data_share",
            )
        quality["primaryDataShare"] = _pact_decimal(value)
    rating = record.get("data_quality_rating")
    if rating is not None:
        if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
            raise PactError(
                "data_quality_rating must be an integer 1-5",
                code="out_of_range",
                field="data_quality_rating",
            )
        dqr = str(rating)
        quality["dqi"] = {"technologicalDQR": dqr, "geographicalDQR": dqr, "temporalDQR": dqr}
    return quality


def _export_comment(record: Mapping[str, Any]) -> str:
    """The boundary sentence, then the footprint's notes."""
    comment = _BOUNDARY_LINE.format(_text(_need(record, "system_boundary"), "system_boundary"))
    notes = record.get("notes")
    if notes:
        comment += "\n" + _text(notes, "notes")
    return comment


def _export_extension(
    record: Mapping[str, Any], bundle: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The Tanji data model extension: what PACT cannot hold exactly, and the proof."""
    data: dict[str, Any] = {
        "footprint": {
            field: record[field] for field in EXTENSION_FIELDS if record.get(field) is not None
        }
    }
    if bundle is not None:
        data["bundle"] = _check_bundle(bundle, "bundle")
    _canonical(data, "bundle")
    return {
        "specVersion": EXTENSION_SPEC_VERSION,
        "dataSchema": TANJI_EXTENSION_SCHEMA,
        "documentation": TANJI_EXTENSION_DOCS,
        "data": data,
    }


def _need(mapping: Mapping[str, Any], name: str, parent: str | None = None) -> Any:
    value = mapping.get(name)
    if value is None:
        path = f"{parent}.{name}" if parent else name
        raise PactError(f"{path} is required", code="missing_field", field=path)
    return value


def _text(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise PactError(f"{field} must be a non-empty string", code="wrong_type", field=field)
    return value


def _export_name(record: Mapping[str, Any]) -> dict[Language, str]:
    """The product's name by language; it needs one in some language Tanji writes."""
    name = _need(record, "product_name")
    texts = by_language(name) if isinstance(name, Mapping) else {}
    if not texts:
        raise PactError(
            f"product_name needs a name in {', '.join(NAME_KEYS.values())}",
            code="missing_field",
            field=f"product_name.{NAME_KEYS[PACT_NAME_LANGUAGE]}",
        )
    return texts


def _export_unit(record: Mapping[str, Any]) -> tuple[str, Decimal]:
    unit = _text(_need(record, "declared_unit"), "declared_unit")
    amount = _export_decimal(record.get("declared_amount", 1), "declared_amount")
    if amount <= 0:
        raise PactError(
            "declared_amount must be positive", code="out_of_range", field="declared_amount"
        )
    if unit not in UNIT_TO_PACT:
        raise PactError(
            f"declared unit {unit!r} has no PACT equivalent ({', '.join(PACT_UNITS)})",
            code="unit_not_in_pact",
            field="declared_unit",
        )
    pact_unit, factor = UNIT_TO_PACT[unit]
    return pact_unit, amount * factor


def _export_decimal(value: Any, field: str, *, minimum: int | None = None) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise PactError(f"{field} must be a number", code="wrong_type", field=field)
    try:
        # repr of a float is its shortest round-tripping spelling: 0.1 stays "0.1".
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        raise PactError(f"{field} is not a number", code="bad_decimal", field=field) from None
    if not number.is_finite():
        raise PactError(f"{field} must be finite", code="bad_decimal", field=field)
    if minimum is not None and number < minimum:
        raise PactError(f"{field} must be at least {minimum}", code="out_of_range", field=field)
    return number


def _pact_decimal(number: Decimal) -> str:
    text = format(number.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _export_date(value: Any, field: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise PactError(f"{field} must be an ISO date (YYYY-MM-DD)", code="bad_date", field=field)


def _instant(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def _export_geography(geography: Any) -> dict[str, str]:
    if geography is None:
        return {}
    if not isinstance(geography, Mapping):
        raise PactError("geography must be an object", code="wrong_type", field="geography")
    country, subdivision = geography.get("country"), geography.get("subdivision")
    if subdivision:
        code = str(subdivision).upper()
        if _SUBDIVISION.fullmatch(code) is None or (country and code[:2] != str(country).upper()):
            raise PactError(
                f"{subdivision!r} is not an ISO 3166-2 subdivision of {country}",
                code="bad_geography",
                field="geography.subdivision",
            )
        return {"geographyCountrySubdivision": code}
    if country:
        code = str(country).upper()
        if _COUNTRY.fullmatch(code) is None:
            raise PactError(
                f"{country!r} is not ISO 3166-1 alpha-2",
                code="bad_geography",
                field="geography.country",
            )
        return {"geographyCountry": code}
    return {}


def _standard_key(name: str) -> str:
    compact = re.sub(r"\s+", "", name.upper())
    return re.sub(r"[:-](19|20)\d\d$", "", compact)


def _export_standards(standards: Any) -> list[str]:
    if not isinstance(standards, list) or not standards:
        raise PactError(
            "standards must be a non-empty list", code="missing_field", field="standards"
        )
    codes: list[str] = []
    for i, name in enumerate(standards):
        code = STANDARD_TO_PACT.get(_standard_key(_text(name, f"standards[{i}]")), name.strip())
        if code not in codes:
            codes.append(code)
    return codes


def _export_product_ids(record: Mapping[str, Any], domain: str) -> list[str]:
    ids: list[str] = []
    gtin = record.get("gtin")
    if gtin:
        ids.append(f"urn:gtin:{_text(gtin, 'gtin')}")
    product_ids = record.get("product_ids") or []
    if not isinstance(product_ids, list):
        raise PactError("product_ids must be a list", code="wrong_type", field="product_ids")
    for i, product_id in enumerate(product_ids):
        text = _text(product_id, f"product_ids[{i}]")
        urn = (
            text
            if text[:4].lower() == "urn:"
            else f"urn:pact:{domain}:product-id:{quote(text, safe='')}"
        )
        if urn not in ids:
            ids.append(urn)
    if not ids:
        raise PactError(
            "PACT needs a gtin or at least one product id",
            code="missing_field",
            field="product_ids",
        )
    return ids


def _company_id(record: Mapping[str, Any], company: str) -> str:
    org = record.get("org")
    code = quote(str(org), safe="") if org else "name-" + keccak(company.encode()).hex()[:16]
    return f"urn:pact:company:customcode:supplier-id:{code}"


def _derived_pf_id(record: Mapping[str, Any]) -> str:
    # PACT wants a UUID v4: 122 bits of the record id's hash in v4 form, so re-exports keep the id.
    seed = record.get("id")
    if seed:
        material = f"tanji-footprint:{seed}".encode()
    else:
        _canonical(dict(record), "record")
        material = canonicalize(dict(record))
    return str(uuid.UUID(bytes=keccak(material)[:16], version=4))


def _created(record: Mapping[str, Any], created: datetime | None) -> str:
    if created is None:
        submitted = record.get("submitted_at")
        created = (
            datetime.fromisoformat(submitted) if isinstance(submitted, str) else datetime.now(UTC)
        )
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _check_pcf_extra(extra: Mapping[str, Any]) -> dict[str, Any]:
    for name, value in extra.items():
        path = f"pcf.{name}"
        if name in _DERIVED_PCF:
            raise PactError(
                f"{path} is derived from the footprint", code="derived_field", field=path
            )
        if name not in PCF_EXTRA_FIELDS:
            raise PactError(
                f"{path} is not a PACT v3 CarbonFootprint property",
                code="unknown_field",
                field=path,
            )
        if name in (
            "fossilCarbonContent",
            "productMassPerDeclaredUnit",
            "exemptedEmissionsPercent",
        ):
            _pact_number(value, path, minimum=0)
        if name == "biogenicCO2Uptake" and _pact_number(value, path) > 0:
            raise PactError(
                f"{path} is an uptake: zero or negative", code="out_of_range", field=path
            )
        if name == "ipccCharacterizationFactors" and (
            not isinstance(value, list)
            or not value
            or not all(isinstance(v, str) and _AR.fullmatch(v) for v in value)
        ):
            raise PactError(
                f'{path} must be a non-empty list like ["AR6"]', code="bad_value", field=path
            )
    return dict(extra)


def _check_bundle(bundle: Any, field: str) -> dict[str, Any]:
    if not isinstance(bundle, Mapping) or bundle.get("format") != BUNDLE_FORMAT:
        raise PactError(f"{field} must be a {BUNDLE_FORMAT} object", code="bad_bundle", field=field)
    record = bundle.get("record")
    if not isinstance(record, Mapping) or record.get("type") != FOOTPRINT:
        raise PactError(
            f"{field}.record must be a footprint record", code="bad_bundle", field=f"{field}.record"
        )
    return dict(bundle)


def _canonical(value: Any, field: str) -> None:
    try:
        canonicalize(value)
    except ValueError as exc:
        raise PactError(str(exc), code="not_canonical", field=field) from exc


# --- import ----------------------------------------------------------------------------------


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
    _pact_number(pcf["fossilCarbonContent"], "pcf.fossilCarbonContent", minimum=0)
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
    if unit in PACT_TO_UNIT:
        out["declared_unit"], out["declared_amount"] = PACT_TO_UNIT[unit], float(amount)
    elif "declared_unit" not in tanji:
        raise PactError(
            f"PACT unit {unit!r} has no Tanji declared unit",
            code="unit_not_supported",
            field="pcf.declaredUnitOfMeasurement",
        )
    _pact_number(pcf["productMassPerDeclaredUnit"], "pcf.productMassPerDeclaredUnit", minimum=0)
    return out


def _import_emissions(pcf: Mapping[str, Any]) -> dict[str, float]:
    """Total, fossil and biogenic emissions per declared unit (the uptake checked, not kept)."""
    total = _pact_number(pcf["pcfExcludingBiogenicUptake"], "pcf.pcfExcludingBiogenicUptake")
    including = _pact_number(pcf["pcfIncludingBiogenicUptake"], "pcf.pcfIncludingBiogenicUptake")
    fossil = _pact_number(pcf["fossilGhgEmissions"], "pcf.fossilGhgEmissions", minimum=0)
    if "biogenicCO2Uptake" in pcf:
        uptake = _pact_number(pcf["biogenicCO2Uptake"], "pcf.biogenicCO2Uptake")
        if uptake > 0 or including != total + uptake:
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


def _pact_number(value: Any, field: str, *, minimum: int | None = None) -> Decimal:
    # PACT v3 decimals are JSON strings; a JSON number is a v2 habit and is refused.
    if not isinstance(value, str) or _DECIMAL.fullmatch(value) is None:
        raise PactError(
            f'{field} must be a decimal string such as "12.5"', code="bad_decimal", field=field
        )
    number = Decimal(value)
    if minimum is not None and number < minimum:
        raise PactError(f"{field} must be at least {minimum}", code="out_of_range", field=field)
    return number


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
        if urn.lower().startswith("urn:gtin:") and gtin is None:
            gtin = urn[len("urn:gtin:") :]
        elif urn.startswith(prefix):
            product_ids.append(unquote(urn[len(prefix) :]))
        elif urn.lower() != f"urn:uuid:{pf_id}".lower():
            product_ids.append(urn)
    return {"gtin": gtin, "product_ids": product_ids}


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
    return None  # global or a UN region: Tanji needs a country, the registry will say so


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
        if extension["dataSchema"] != TANJI_EXTENSION_SCHEMA:
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
    return footprint, None if bundle is None else _check_bundle(bundle, f"{path}.data.bundle")


def _apply_extension(out: dict[str, Any], tanji: Mapping[str, Any], pcf: Mapping[str, Any]) -> None:
    """Take the fields PACT cannot hold exactly from our extension, after checking they agree."""
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
