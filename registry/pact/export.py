"""PACT v3 export: a Tanji footprint record as a ProductFootprint (pure; the table is
:mod:`registry.pact.datamodel`)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

from registry.i18n import NAME_KEYS, Language, by_language, localized
from registry.pact.datamodel import (
    _AR,
    _BOUNDARY_LINE,
    _COUNTRY,
    _DERIVED_PCF,
    _MASS_IS_AMOUNT,
    _MASS_IS_ZERO,
    _SUBDIVISION,
    _UUID,
    DEFAULT_DOMAIN,
    EXTENSION_FIELDS,
    EXTENSION_SPEC_VERSION,
    PACT_NAME_LANGUAGE,
    PACT_REGIONS,
    PACT_SPEC_VERSION,
    PACT_UNITS,
    PCF_EXTRA_FIELDS,
    RECORDED_PCF,
    REQUIRED_PCF,
    STANDARD_TO_PACT,
    TANJI_EXTENSION_DOCS,
    TANJI_EXTENSION_SCHEMA,
    UNIT_TO_PACT,
    PactError,
    _pact_number,
)
from registry.pact.ids import pact_id_of
from verifier.protocol.canonical import canonicalize
from verifier.protocol.hashing import keccak
from verifier.protocol.records import BUNDLE_FORMAT, FOOTPRINT


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
    for name, pact_name in RECORDED_PCF.items():
        value = record.get(name)
        if value is not None:
            pcf[pact_name] = _pact_decimal(_export_decimal(value, name, minimum=0))
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
    region = geography.get("region")
    if region is not None and not country:
        if region not in PACT_REGIONS:
            raise PactError(
                f"{region!r} is not a UN region or subregion PACT allows",
                code="bad_geography",
                field="geography.region",
            )
        return {"geographyRegionOrSubregion": str(region)}
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
    # PACT wants a UUID v4. A stored footprint's id is encoded in it (registry.pact.ids), so it
    # reads back without a lookup table; anything else: 122 bits of its hash, stable as well.
    seed = record.get("id")
    derived = pact_id_of(seed) if isinstance(seed, str) else None
    if derived is not None:
        return derived
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
