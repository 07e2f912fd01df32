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
  -> ``pcf.geographyCountry``, else ``geography.region`` -> ``pcf.geographyRegionOrSubregion``
  (PACT allows one level only; a region-only footprint is stored and exported as a region)
- ``standards`` -> ``pcf.crossSectoralStandards`` through :data:`STANDARD_TO_PACT` (others
  verbatim, as PACT asks hosts to accept); the exact list in the extension
- ``primary_data_share`` -> ``pcf.primaryDataShare``
- ``data_quality_rating`` -> ``pcf.dqi`` (all three DQRs; PACT's scale, 1 = best)
- ``notes`` -> ``comment`` (after the boundary sentence)
- ``fossil_carbon_kg`` (optional) -> ``pcf.fossilCarbonContent``; ``product_mass_kg``
  (optional, for pieces) -> ``pcf.productMassPerDeclaredUnit``; both also in the extension, so
  a reader tells a recorded value from a declared default (:data:`RECORDED_PCF`)

PACT requires some values Tanji does not record (``fossilCarbonContent``,
``ipccCharacterizationFactors``, ``exemptedEmissionsPercent``, and ``productMassPerDeclaredUnit``
for pieces): the caller passes them in ``pcf_extra``; a missing one is a ``missing_pact_field``
error rather than an invented value. (Stored footprints are exported through
:mod:`registry.pact.documents`, which supplies its documented declared defaults.) Numbers
are PACT decimal strings on the wire and floats on
the Tanji side (the model's type); a float is written as its shortest repr, so it reads back equal.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any, Final

from registry.errors import InvalidInputError
from registry.i18n import Language

PACT_SPEC_VERSION: Final = "3.0.0"
EXTENSION_SPEC_VERSION: Final = "2.0.0"
#: Where a registry serves the extension's JSON Schema and its documentation (under its base
#: URL: each deployment's ``dataSchema`` resolves; registry.pact.routes serves them).
EXTENSION_SCHEMA_PATH: Final = "/pact/schemas/tanji-footprint-extension/1.json"
EXTENSION_DOCS_PATH: Final = "/pact/docs/tanji-footprint-extension"
#: The ``dataSchema`` of a document exported without a deployment (pure export); still ours.
TANJI_EXTENSION_SCHEMA: Final = "https://tanji.example" + EXTENSION_SCHEMA_PATH
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
#: ``pcf.geographyRegionOrSubregion``: the UN geographic regions and subregions PACT allows (a
#: Tanji footprint's ``geography.region``).
PACT_REGIONS: Final = frozenset(
    {
        "Africa",
        "Americas",
        "Asia",
        "Europe",
        "Oceania",
        "Australia and New Zealand",
        "Central Asia",
        "Eastern Asia",
        "Eastern Europe",
        "Latin America and the Caribbean",
        "Melanesia",
        "Micronesia",
        "Northern Africa",
        "Northern America",
        "Northern Europe",
        "Polynesia",
        "South-eastern Asia",
        "Southern Asia",
        "Southern Europe",
        "Sub-Saharan Africa",
        "Western Asia",
        "Western Europe",
    }
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
#: Optional Tanji fields -> the PACT values they record. Absent, a stored footprint's export
#: declares a default for them (registry.pact.documents.DECLARED_DEFAULTS); our extension lists
#: the ones recorded, so an import from Tanji keeps a default a default.
RECORDED_PCF: Final[dict[str, str]] = {
    "fossil_carbon_kg": "fossilCarbonContent",
    "product_mass_kg": "productMassPerDeclaredUnit",
}
# Tanji fields only our extension carries exactly (see the table above).
EXTENSION_FIELDS: Final = (
    "product_name",
    "declared_unit",
    "declared_amount",
    "biogenic_kg_co2e",
    "system_boundary",
    "standards",
    *RECORDED_PCF,
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


def is_tanji_extension_schema(url: Any) -> bool:
    """True when an extension's ``dataSchema`` is the Tanji extension's (any deployment's)."""
    return isinstance(url, str) and (
        url == TANJI_EXTENSION_SCHEMA
        or url == "https://tanji.example/schemas/tanji-footprint-extension/1.json"  # before 12
        or (url.startswith("https://") and url.endswith(EXTENSION_SCHEMA_PATH))
        or (url.startswith("http://") and url.endswith(EXTENSION_SCHEMA_PATH))
    )


class PactError(InvalidInputError, ValueError):
    """A footprint cannot be exported to PACT, or a PACT document cannot be imported.

    ``code`` is stable (``missing_field``, ``bad_decimal``, ``unit_not_in_pact``, ...); ``field`` is
    the Tanji field name on export and the PACT JSON path (``pcf.referencePeriodEnd``) on import.
    """

    code = "pact_invalid"


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
