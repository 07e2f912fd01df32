"""Product carbon footprints after ISO 14067 / GB/T 24067 and the PACT v3 ProductFootprint.

Input is validated strictly (unknown members are errors); each custom check raises a
``PydanticCustomError`` whose type is the machine code the API reports (``invalid_gtin``,
``unknown_category``, ...), located at the offending field.

Fossil / biogenic rule: both parts are required, non-negative, and must add up to
``kg_co2e_per_unit`` within ``max(1e-6, 0.1 % of the total)`` kg CO2e — the total is what is
labelled, so a split that does not explain it is rejected rather than silently rescaled.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Final, Literal

import pycountry
from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    SerializerFunctionWrapHandler,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic_core import PydanticCustomError
from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field as SQLField
from sqlmodel import SQLModel

from registry.catalogue import FOOTPRINT_CATEGORIES
from registry.errors import InvalidInputError
from registry.i18n import NAME_KEYS, REQUIRED_NAME_LANGUAGES
from registry.models.common import JsonFloat, StrictInput, UTCDateTime, utcnow
from registry.pact.datamodel import PACT_REGIONS
from registry.plaintext import MultilineText, PlainText
from registry.qr import normalize_gtin
from verifier.protocol.factor_dataset import DATASET_PATTERN, VERSION_PATTERN

SPLIT_RELATIVE_TOLERANCE: Final = 1e-3
SPLIT_ABSOLUTE_TOLERANCE: Final = 1e-6

SystemBoundary = Literal["cradle-to-gate", "cradle-to-grave", "gate-to-gate"]


#: Longest name text in any language.
NAME_MAX_LENGTH: Final = 200
_NAME_TEXT_SCHEMA: Final = {"type": "string", "minLength": 1, "maxLength": NAME_MAX_LENGTH}
#: One language's text of a name: bounded as a string (before :data:`PlainText`'s check, as a
#: model field's bounds are, so an overlong name is ``string_too_long``), then plain text.
NameText = Annotated[
    str, StringConstraints(min_length=1, max_length=NAME_MAX_LENGTH), *PlainText.__metadata__
]


def _name_languages(value: dict[str, str]) -> dict[str, str]:
    """Keys are the stored language tags (:data:`registry.i18n.NAME_KEYS`); some are required."""
    keys = set(NAME_KEYS.values())
    for key in value:
        if key not in keys:
            raise PydanticCustomError(
                "extra_forbidden",
                "'{key}' is not a name language; names are keyed by {keys}",
                {"key": key, "keys": ", ".join(NAME_KEYS.values()), "loc": key},
            )
    for lang in REQUIRED_NAME_LANGUAGES:
        if NAME_KEYS[lang] not in value:
            raise PydanticCustomError("missing", "Field required", {"loc": NAME_KEYS[lang]})
    return {key: value[key] for key in NAME_KEYS.values() if key in value}


#: A name a person reads, keyed by language tag: ``zh`` (Simplified Chinese) and ``en`` always,
#: ``zh-Hant`` (Traditional Chinese) when the enterprise gives it (registry.i18n.NAME_KEYS).
LocalizedName = Annotated[
    dict[str, NameText],
    AfterValidator(_name_languages),
    WithJsonSchema(
        {
            "type": "object",
            "properties": {key: _NAME_TEXT_SCHEMA for key in NAME_KEYS.values()},
            "required": [NAME_KEYS[lang] for lang in REQUIRED_NAME_LANGUAGES],
            "additionalProperties": False,
            "description": "The name by language tag: zh (Simplified Chinese), zh-Hant "
            "(Traditional Chinese, optional), en",
        }
    ),
]


class ReferencePeriod(StrictInput):
    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> ReferencePeriod:
        if self.start >= self.end:
            raise PydanticCustomError(
                "invalid_period", "reference period start must be before its end"
            )
        return self


class Geography(StrictInput):
    """Where the footprint applies: a country (and subdivision), or, for a PACT footprint that
    gives no more, a UN region (PACT's ``geographyRegionOrSubregion``). A label needs a country."""

    country: str | None = Field(default=None, description="ISO 3166-1 alpha-2, e.g. CN")
    subdivision: str | None = Field(default=None, description="ISO 3166-2, e.g. CN-CQ")
    region: str | None = Field(
        default=None,
        description="a UN region or subregion as PACT names it (e.g. Eastern Asia), instead of "
        "a country; such a footprint cannot be labelled",
    )

    @model_serializer(mode="wrap")
    def _omit_absent(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # A country footprint keeps exactly the members it always had (content hashes); a
        # region-only one is stored as {"region": ...}.
        data: dict[str, Any] = handler(self)
        if data.get("region") is None:
            data.pop("region", None)
        else:
            data.pop("country", None)
            data.pop("subdivision", None)
        return data

    @field_validator("region")
    @classmethod
    def _region(cls, value: str | None) -> str | None:
        if value is not None and value not in PACT_REGIONS:
            raise PydanticCustomError(
                "invalid_region",
                "'{value}' is not a UN region or subregion PACT allows: {known}",
                {"value": value, "known": ", ".join(sorted(PACT_REGIONS))},
            )
        return value

    @field_validator("country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if len(value) != 2 or pycountry.countries.get(alpha_2=value.upper()) is None:
            raise PydanticCustomError(
                "invalid_country", "'{value}' is not an ISO 3166-1 alpha-2 code", {"value": value}
            )
        return value.upper()

    @model_validator(mode="after")
    def _subdivision(self) -> Geography:
        if (self.country is None) == (self.region is None):
            raise PydanticCustomError(
                "invalid_geography",
                "a geography is a country (with an optional subdivision) or a region, "
                "exactly one of them",
            )
        if self.subdivision is None:
            return self
        if self.country is None:
            raise PydanticCustomError(
                "invalid_geography", "a subdivision is given with its country, not a region"
            )
        code = self.subdivision.upper()
        found = pycountry.subdivisions.get(code=code)
        if found is None or found.country_code != self.country:
            raise PydanticCustomError(
                "invalid_subdivision",
                "'{value}' is not an ISO 3166-2 subdivision of {country}",
                {"value": self.subdivision, "country": self.country},
            )
        self.subdivision = code
        return self


class FootprintComponent(StrictInput):
    """A component of a traceable footprint: how much of it, backed by a supplier attestation."""

    component_id: PlainText = Field(min_length=1, max_length=256)
    quantity: JsonFloat = Field(gt=0, allow_inf_nan=False)
    unit: PlainText = Field(min_length=1, max_length=32)
    attestation_id: str = Field(pattern=r"^0x[0-9a-fA-F]{64}$")

    @field_validator("attestation_id")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()


#: A 32-byte hash, 0x-hex (lower case after validation).
_HASH_PATTERN: Final = r"^0x[0-9a-fA-F]{64}$"


class CalculationDataset(StrictInput):
    """A factor-dataset version a computed footprint used (docs/ACCOUNTING.md)."""

    dataset: str = Field(pattern=f"^{DATASET_PATTERN.pattern}$")
    version: str = Field(pattern=f"^{VERSION_PATTERN.pattern}$")
    digest: str = Field(pattern=_HASH_PATTERN)

    @field_validator("digest")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()


class FootprintCalculation(StrictInput):
    """How a footprint computed by Tanji was computed, so that anyone can recompute it.

    Set by ``POST /api/v1/calculations?submit=true`` (``tanji footprint calc --submit``) only: a
    footprint submitted as a number may not claim one (``calculation_not_allowed``). Its
    members are docs/ACCOUNTING.md's "A computed footprint's record".
    """

    engine: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9./-]*$")
    inventory_digest: str = Field(pattern=_HASH_PATTERN)
    factor_datasets: list[CalculationDataset] = Field(max_length=64)
    #: The exact result, a decimal string; the footprint's number is the double nearest it.
    kg_co2e_per_unit: str = Field(max_length=64, pattern=r"^-?[0-9]+(\.[0-9]+)?$")
    #: The root lines' kg CO2e by line id; omitted when None.
    line_values: dict[str, str] | None = Field(default=None, max_length=20_000)
    #: The id of the anchored ``inventory`` record (docs/PROTOCOL.md section 17.6); omitted
    #: when None.
    inventory_record: str | None = Field(
        default=None, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$"
    )

    @model_serializer(mode="wrap")
    def _omit_absent_line_values(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        for member in ("line_values", "inventory_record"):
            if data.get(member) is None:
                data.pop(member, None)
        return data

    @field_validator("inventory_digest")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()


#: The validation context key that lets a footprint carry a ``calculation`` (the calculation
#: route sets it; a footprint submitted as a number may not claim to be computed).
COMPUTED_CONTEXT: Final = "computed_by_tanji"


class FootprintCreate(StrictInput):
    """A product carbon footprint as an enterprise submits it."""

    gtin: str | None = Field(default=None, description="GS1 GTIN-8/12/13/14, check digit verified")
    product_ids: list[PlainText] = Field(default_factory=list, max_length=20)
    product_name: LocalizedName
    category: str
    declared_unit: str
    declared_amount: JsonFloat = Field(default=1.0, gt=0, allow_inf_nan=False)
    kg_co2e_per_unit: JsonFloat = Field(gt=0, allow_inf_nan=False)
    fossil_kg_co2e: JsonFloat = Field(ge=0, allow_inf_nan=False)
    biogenic_kg_co2e: JsonFloat = Field(ge=0, allow_inf_nan=False)
    system_boundary: SystemBoundary
    reference_period: ReferencePeriod
    geography: Geography
    standards: list[PlainText] = Field(min_length=1, max_length=10)
    primary_data_share: float = Field(ge=0, le=100, allow_inf_nan=False)
    data_quality_rating: int = Field(ge=1, le=5)
    company_name: PlainText = Field(min_length=1, max_length=200)
    notes: MultilineText | None = Field(default=None, max_length=2000)
    #: kg of fossil carbon per declared amount (PACT ``fossilCarbonContent``); omitted when not
    #: known (a PACT export then declares "0", docs/PACT.md).
    fossil_carbon_kg: JsonFloat | None = Field(
        default=None,
        ge=0,
        allow_inf_nan=False,
        description="kg of fossil carbon per declared amount (PACT fossilCarbonContent); optional",
    )
    #: kg of product per declared amount (PACT ``productMassPerDeclaredUnit``) for a product
    #: declared by the piece; omitted when not known (a PACT export then declares "0").
    product_mass_kg: JsonFloat | None = Field(
        default=None,
        gt=0,
        allow_inf_nan=False,
        description="kg of product per declared amount (PACT productMassPerDeclaredUnit); optional",
    )
    #: Supplier components (registry.crud.attestations.check_components); omitted when None.
    components: list[FootprintComponent] | None = Field(default=None, max_length=200)
    #: How Tanji computed it (registry.accounting); omitted when None. Set by the calculation
    #: route only: a footprint submitted as a number is refused with one.
    calculation: FootprintCalculation | None = Field(
        default=None,
        description="set by POST /api/v1/calculations?submit=true; refused here",
    )

    @model_serializer(mode="wrap")
    def _omit_absent_components(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # A footprint without components (or a calculation) keeps exactly the members it had
        # before they existed (content hashes, records, PACT round trips).
        data: dict[str, Any] = handler(self)
        for member in ("components", "calculation", "fossil_carbon_kg", "product_mass_kg"):
            if data.get(member) is None:
                data.pop(member, None)
        return data

    @field_validator("calculation")
    @classmethod
    def _computed_only(
        cls, value: FootprintCalculation | None, info: ValidationInfo
    ) -> FootprintCalculation | None:
        if value is not None and not (info.context or {}).get(COMPUTED_CONTEXT):
            raise PydanticCustomError(
                "calculation_not_allowed",
                "only a footprint computed by Tanji carries a calculation "
                "(POST /api/v1/calculations?submit=true)",
            )
        return value

    @field_validator("gtin")
    @classmethod
    def _gtin(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            # The 14-digit form GS1 Digital Link uses; registry.qr holds the one GS1 check.
            return normalize_gtin(value)
        except InvalidInputError as exc:
            raise PydanticCustomError("invalid_gtin", exc.message) from None

    @field_validator("product_ids", "standards")
    @classmethod
    def _short_strings(cls, value: list[str]) -> list[str]:
        for item in value:
            if not item.strip() or len(item) > 200:
                raise PydanticCustomError("invalid_field", "entries must be 1-200 characters")
        return [item.strip() for item in value]

    @field_validator("category")
    @classmethod
    def _category(cls, value: str) -> str:
        if value not in FOOTPRINT_CATEGORIES:
            raise PydanticCustomError(
                "unknown_category",
                "unknown product category '{value}'",
                {"value": value, "known": sorted(FOOTPRINT_CATEGORIES)},
            )
        return value

    @model_validator(mode="after")
    def _unit_and_split(self) -> FootprintCreate:
        category = FOOTPRINT_CATEGORIES[self.category]
        if self.declared_unit not in category.declared_units:
            raise PydanticCustomError(
                "invalid_declared_unit",
                "declared unit '{unit}' is not allowed for {category}; allowed: {allowed}",
                {
                    "unit": self.declared_unit,
                    "category": self.category,
                    "allowed": ", ".join(category.declared_units),
                    "loc": "declared_unit",
                },
            )
        total = self.kg_co2e_per_unit
        tolerance = max(SPLIT_ABSOLUTE_TOLERANCE, SPLIT_RELATIVE_TOLERANCE * total)
        if abs(self.fossil_kg_co2e + self.biogenic_kg_co2e - total) > tolerance:
            raise PydanticCustomError(
                "split_mismatch",
                "fossil ({fossil}) + biogenic ({biogenic}) must equal kg_co2e_per_unit ({total})",
                {
                    "fossil": self.fossil_kg_co2e,
                    "biogenic": self.biogenic_kg_co2e,
                    "total": total,
                    "loc": "fossil_kg_co2e",
                },
            )
        return self

    @model_validator(mode="after")
    def _number_of_the_calculation(self) -> FootprintCreate:
        # The number labelled is the double nearest the exact result (docs/ACCOUNTING.md).
        if self.calculation is not None:
            exact = self.calculation.kg_co2e_per_unit
            if self.kg_co2e_per_unit != float(exact):
                raise PydanticCustomError(
                    "calculation_mismatch",
                    "kg_co2e_per_unit ({value}) is not the calculation's result ({exact})",
                    {"value": self.kg_co2e_per_unit, "exact": exact, "loc": "kg_co2e_per_unit"},
                )
        return self


class Footprint(SQLModel, table=True):
    """A submitted footprint: the validated input, its anchored record and master salt."""

    __tablename__ = "footprint"
    __table_args__ = (
        UniqueConstraint("org_id", "content_hash"),
        # The city's aggregates (registry.city.stats): a month range, grouped by category or by
        # the organisation's district, read from the index alone.
        Index("ix_footprint_stats", "created_at", "category", "org_id"),
        # Labels by their footprint's category: the category read from the index alone.
        Index("ix_footprint_category_of", "id", "category"),
    )
    id: str = SQLField(primary_key=True)
    org_id: str = SQLField(foreign_key="organisation.id", index=True)
    status: str = SQLField(default="submitted")  # submitted | certified
    #: SHA-256 of the canonical input: the same footprint submitted twice is a duplicate.
    content_hash: str
    category: str = SQLField(index=True)
    gtin: str | None = SQLField(default=None, index=True)
    data: dict[str, Any] = SQLField(sa_column=Column(JSON, nullable=False))
    record: dict[str, Any] = SQLField(sa_column=Column(JSON, nullable=False))
    master_salt: str  # 0x-hex, 32 bytes; never leaves the server except in a full bundle
    created_at: datetime = SQLField(default_factory=utcnow, index=True, sa_type=UTCDateTime)


class FootprintPublic(BaseModel):
    id: str
    org_id: str
    status: str
    anchor_status: str | None
    data: dict[str, Any]
    record_digest: str
    created_at: datetime


class FootprintsPublic(BaseModel):
    data: list[FootprintPublic]
    count: int


class BulkFootprints(StrictInput):
    """Body of ``POST /api/v1/footprints/bulk``: raw items, each validated on its own."""

    items: list[Any] = Field(min_length=1, max_length=5000)


class BulkItemResult(BaseModel):
    index: int
    status: Literal["created", "duplicate", "error"]
    id: str | None = None
    error: dict[str, Any] | None = None


class BulkResult(BaseModel):
    created: int
    duplicates: int
    errors: int
    results: list[BulkItemResult]
