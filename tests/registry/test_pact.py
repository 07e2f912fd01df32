"""registry.pact: Tanji footprint <-> WBCSD PACT v3 ProductFootprint, the proof as an extension."""

import copy
import json
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from registry.models.footprints import FootprintCreate
from registry.pact import (
    PACT_UNITS,
    REQUIRED_PCF,
    REQUIRED_PF,
    TANJI_EXTENSION_SCHEMA,
    PactError,
    footprint_to_pact,
    pact_to_footprint,
)
from registry.validation import validation_error_details

ASSETS = Path(__file__).resolve().parents[1] / "assets" / "pact"
DECIMAL = re.compile(r"^[+-]?\d+(\.\d+)?$")
# What a caller supplies for PACT-required values that Tanji does not record.
PCF_EXTRA = {
    "fossilCarbonContent": "0",
    "ipccCharacterizationFactors": ["AR6"],
    "exemptedEmissionsPercent": "0",
}


def footprint(**overrides: Any) -> dict[str, Any]:
    """Submitted footprint data as the registry stores it (validated, JSON mode)."""
    data: dict[str, Any] = {
        "gtin": "06901234567892",
        "product_ids": ["BSH-LT14-2026", "SKU 14/2026 «black»"],
        "product_name": {"zh": "璧山 14 英寸笔记本电脑", "en": "Bishan 14-inch laptop"},
        "category": "laptop",
        "declared_unit": "unit",
        "declared_amount": 1.0,
        "kg_co2e_per_unit": 312.4,
        "fossil_kg_co2e": 309.1,
        "biogenic_kg_co2e": 3.3,
        "system_boundary": "cradle-to-grave",
        "reference_period": {"start": "2025-01-01", "end": "2025-12-31"},
        "geography": {"country": "CN", "subdivision": "CN-CQ"},
        "standards": ["ISO 14067:2018", "GB/T 24067-2024"],
        "primary_data_share": 62.5,
        "data_quality_rating": 2,
        "company_name": "重庆璧山电子科技有限公司",
        "notes": "Use stage: 4 years, China grid 2025.\nEnd of life: take-back scheme.",
    }
    data.update(overrides)
    return FootprintCreate.model_validate(data).model_dump(mode="json")


def record(data: dict[str, Any]) -> dict[str, Any]:
    """The anchored record of a footprint (registry.crud.footprints.build_record's shape)."""
    return {
        "type": "footprint",
        "id": "fp_01JD5X7W3K9",
        "org": "org_bishan",
        **data,
        "submitted_at": "2026-03-01T09:30:00+00:00",
    }


def mass(kg: str) -> dict[str, Any]:
    return {**PCF_EXTRA, "productMassPerDeclaredUnit": kg}


ROUND_TRIP_CASES = [
    pytest.param(footprint(), mass("1.45"), id="laptop-piece"),
    pytest.param(
        footprint(
            gtin=None,
            product_ids=["CQ-REBAR-HRB400E"],
            product_name={"zh": "螺纹钢 HRB400E", "en": "Steel rebar HRB400E"},
            category="steel_rebar",
            declared_unit="t",
            kg_co2e_per_unit=1890.25,
            fossil_kg_co2e=1890.25,
            biogenic_kg_co2e=0.0,
            system_boundary="cradle-to-gate",
            geography={"country": "CN", "subdivision": None},
            standards=["ISO 14067", "PAS 2050"],
            notes=None,
        ),
        PCF_EXTRA,
        id="rebar-tonne",
    ),
    pytest.param(
        footprint(
            category="lithium_battery_pack",
            product_name={"zh": "动力电池包", "en": "EV battery pack"},
            declared_unit="kWh",
            declared_amount=56.5,
            kg_co2e_per_unit=4322.25,
            fossil_kg_co2e=4300.0,
            biogenic_kg_co2e=22.25,
            system_boundary="gate-to-gate",
            primary_data_share=0.0,
            data_quality_rating=5,
            standards=["GHG Protocol Product Standard", "PACT 3.0"],
        ),
        {**PCF_EXTRA, "biogenicCO2Uptake": "-0.5"},
        id="battery-kwh",
    ),
]


@pytest.mark.parametrize(("data", "extra"), ROUND_TRIP_CASES)
def test_round_trip_record_pact_record(data: dict[str, Any], extra: dict[str, Any]) -> None:
    doc = footprint_to_pact(record(data), pcf_extra=extra)
    json.dumps(doc, allow_nan=False)  # plain JSON all the way down
    back, bundle = pact_to_footprint(doc)
    assert bundle is None
    assert back == data
    assert FootprintCreate.model_validate(back).model_dump(mode="json") == data


def _walk(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [value] + [x for v in value.values() for x in _walk(v)]
    if isinstance(value, list):
        return [x for v in value for x in _walk(v)]
    return [value]


def test_export_is_a_pact_v3_product_footprint() -> None:
    doc = footprint_to_pact(record(footprint()), pcf_extra=mass("1.45"))
    for name in REQUIRED_PF:
        assert name in doc
    for name in REQUIRED_PCF:
        assert name in doc["pcf"]
    assert uuid.UUID(doc["id"]).version == 4
    assert doc["specVersion"] == "3.0.0" and doc["status"] == "Active"
    assert doc["created"] == "2026-03-01T09:30:00Z"
    assert doc["companyIds"] == ["urn:pact:company:customcode:supplier-id:org_bishan"]
    assert doc["productIds"] == [
        "urn:gtin:06901234567892",
        "urn:pact:tanji.example:product-id:BSH-LT14-2026",
        "urn:pact:tanji.example:product-id:SKU%2014%2F2026%20%C2%ABblack%C2%BB",
    ]
    assert doc["productClassifications"] == ["urn:pact:tanji.example:category-id:laptop"]
    assert doc["productNameCompany"] == "Bishan 14-inch laptop"
    pcf = doc["pcf"]
    assert pcf["declaredUnitOfMeasurement"] in PACT_UNITS
    assert (pcf["declaredUnitOfMeasurement"], pcf["declaredUnitAmount"]) == ("piece", "1")
    assert pcf["referencePeriodStart"] == "2025-01-01T00:00:00Z"
    assert pcf["referencePeriodEnd"] == "2026-01-01T00:00:00Z"  # exclusive end
    assert pcf["geographyCountrySubdivision"] == "CN-CQ"
    assert "geographyCountry" not in pcf and "geographyRegionOrSubregion" not in pcf
    assert pcf["pcfExcludingBiogenicUptake"] == pcf["pcfIncludingBiogenicUptake"] == "312.4"
    assert pcf["fossilGhgEmissions"] == "309.1"
    assert pcf["crossSectoralStandards"] == ["ISO14067", "GB/T 24067-2024"]
    assert pcf["primaryDataShare"] == "62.5"
    assert pcf["dqi"] == {"technologicalDQR": "2", "geographicalDQR": "2", "temporalDQR": "2"}
    for name in (
        "declaredUnitAmount",
        "productMassPerDeclaredUnit",
        "pcfExcludingBiogenicUptake",
        "pcfIncludingBiogenicUptake",
        "fossilGhgEmissions",
        "fossilCarbonContent",
        "exemptedEmissionsPercent",
        "primaryDataShare",
    ):
        assert isinstance(pcf[name], str) and DECIMAL.match(pcf[name]), name
    assert doc["comment"].startswith("System boundary: cradle-to-grave.\n")
    [extension] = doc["extensions"]
    assert extension["specVersion"] == "2.0.0"
    assert extension["dataSchema"] == TANJI_EXTENSION_SCHEMA
    assert extension["data"]["footprint"]["product_name"]["zh"] == "璧山 14 英寸笔记本电脑"
    assert "bundle" not in extension["data"]
    assert None not in _walk(doc)


def test_names_in_every_language_travel_and_come_back() -> None:
    plain = footprint_to_pact(record(footprint()), pcf_extra=mass("1.45"))
    assert plain["productDescription"] == "璧山 14 英寸笔记本电脑 / Bishan 14-inch laptop"
    name = {"zh": "璧山笔记本电脑", "zh-Hant": "璧山手提電腦", "en": "Bishan laptop"}
    doc = footprint_to_pact(record(footprint(product_name=name)), pcf_extra=mass("1.45"))
    assert doc["productNameCompany"] == "Bishan laptop"
    assert doc["productDescription"] == "璧山笔记本电脑 / 璧山手提電腦 / Bishan laptop"
    back, _ = pact_to_footprint(doc)
    assert back["product_name"] == name
    # Without an English name, productNameCompany takes the best stand-in.
    raw = {**record(footprint()), "product_name": {"zh-Hant": "璧山手提電腦"}}
    hant = footprint_to_pact(raw, pcf_extra=mass("1.45"))
    assert hant["productNameCompany"] == hant["productDescription"] == "璧山手提電腦"


def test_export_is_deterministic_for_the_same_record() -> None:
    rec = record(footprint())
    assert footprint_to_pact(rec, pcf_extra=mass("1.45")) == footprint_to_pact(
        rec, pcf_extra=mass("1.45")
    )
    data = footprint()  # submitted data, no record id: the id comes from the content
    first = footprint_to_pact(
        data, pcf_extra=mass("1.45"), created=datetime(2026, 3, 1, tzinfo=UTC)
    )
    assert uuid.UUID(first["id"]).version == 4 and first["created"] == "2026-03-01T00:00:00Z"
    assert footprint_to_pact(data, pcf_extra=mass("1.45"))["id"] == first["id"]
    other = footprint_to_pact({**rec, "id": "fp_other"}, pcf_extra=mass("1.45"))
    assert other["id"] != footprint_to_pact(rec, pcf_extra=mass("1.45"))["id"]


def test_tonnes_are_exported_as_kilograms_with_their_mass() -> None:
    data = footprint(
        category="cement",
        declared_unit="t",
        declared_amount=2.5,
        kg_co2e_per_unit=1500.0,
        fossil_kg_co2e=1500.0,
        biogenic_kg_co2e=0.0,
    )
    pcf = footprint_to_pact(record(data), pcf_extra=PCF_EXTRA)["pcf"]
    assert (pcf["declaredUnitOfMeasurement"], pcf["declaredUnitAmount"]) == ("kilogram", "2500")
    assert pcf["productMassPerDeclaredUnit"] == "2500"


def _bundle(rec: dict[str, Any]) -> dict[str, Any]:
    return {
        "format": "tanji-bundle/1",
        "record": rec,
        "salt": "0x" + "11" * 32,
        "leafEncoding": ["string", "string", "bytes32"],
        "leafValue": ["footprint", rec["id"], "0x" + "22" * 32],
        "proof": ["0x" + "33" * 32],
        "root": "0x" + "44" * 32,
        "anchor": {
            "chainId": 31337,
            "contract": "0x" + "55" * 20,
            "txHash": "0x" + "66" * 32,
            "blockNumber": 12,
            "timestamp": 1772357400,
        },
    }


def test_bundle_travels_in_the_extension_and_comes_back() -> None:
    rec = record(footprint())
    bundle = _bundle(rec)
    doc = footprint_to_pact(rec, bundle=bundle, pcf_extra=mass("1.45"))
    assert doc["extensions"][0]["data"]["bundle"] == bundle
    back, got = pact_to_footprint(doc)
    assert got == bundle
    assert back == footprint()


def test_a_bundle_about_another_footprint_is_refused() -> None:
    rec = record(footprint())
    doc = footprint_to_pact(rec, bundle=_bundle(rec), pcf_extra=mass("1.45"))
    doc["extensions"][0]["data"]["bundle"]["record"]["kg_co2e_per_unit"] = 31.24
    with pytest.raises(PactError) as err:
        pact_to_footprint(doc)
    assert err.value.code == "bundle_mismatch"
    assert err.value.field == "extensions.data.bundle.record.kg_co2e_per_unit"


def test_import_of_a_pact_v3_document_written_from_the_specification() -> None:
    _source = (
        "wbcsd/data-exchange-protocol spec/v3/openapi.yaml (components.schemas.ProductFootprint, "
        "CarbonFootprint, DataModelExtension, DataQualityIndicators, Verification; decimals as "
        "strings) and spec/v3/examples/example-1.json for the overall shape; company and product "
        "URNs after the data model's 'Custom Company Ids' and ProductClassification sections."
    )
    assert _source
    doc = json.loads((ASSETS / "example-v3.json").read_text(encoding="utf-8"))
    data, bundle = pact_to_footprint(doc)
    assert bundle is None  # the shipment extension is someone else's and is ignored
    assert data == {
        "company_name": "Lion City Cells Pte. Ltd.",
        "product_name": {"en": "LCC 21700-50E"},
        "gtin": "4006381333931",
        "product_ids": ["urn:pact:lioncitycells.example:product-id:LCC-21700-50E"],
        "declared_unit": "unit",
        "declared_amount": 1.0,
        "kg_co2e_per_unit": 1.482,
        "fossil_kg_co2e": 1.47,
        "biogenic_kg_co2e": 0.012,
        "system_boundary": "cradle-to-gate",
        "reference_period": {"start": "2025-01-01", "end": "2025-12-31"},
        "geography": {"country": "SG", "subdivision": None},
        "standards": ["ISO 14067", "PACT 3.0"],
        "primary_data_share": 56.3,
        "data_quality_rating": 2,  # mean of 1.6, 2.0, 1.4, rounded half up
        "notes": (
            "Cell-level PCF. Electricity: Singapore grid mix, supplier-specific factor for 2025."
        ),
        "fossil_carbon_kg": 0.004,  # recorded, so the export states it back
        "product_mass_kg": 0.069,  # a piece's mass
    }
    # A foreign document has no Tanji category and no Chinese name: the registry says so...
    with pytest.raises(ValidationError) as err:
        FootprintCreate.model_validate(data)
    details = validation_error_details(err.value.errors())
    missing = {d["field"] for d in details if d["code"] == "missing_field"}
    assert missing == {"category", "product_name.zh"}
    # ...and accepts it once a person supplies them.
    completed = {
        **data,
        "category": "lithium_battery_pack",
        "product_name": {"en": "LCC 21700-50E", "zh": "21700 锂离子电芯"},
    }
    assert FootprintCreate.model_validate(completed).gtin == "04006381333931"


def _example() -> dict[str, Any]:
    return json.loads((ASSETS / "example-v3.json").read_text(encoding="utf-8"))


def _set(doc: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    target = doc
    for name in parents:
        target = target[name]
    if value is _DELETE:
        del target[last]
    else:
        target[last] = value


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "code", "field"),
    [
        ("id", _DELETE, "missing_field", "id"),
        ("id", "not-a-uuid", "bad_uuid", "id"),
        ("specVersion", "2.3.0", "unsupported_version", "specVersion"),
        ("status", "Deprecated", "deprecated", "status"),
        ("status", "Draft", "bad_enum", "status"),
        ("pcf", [], "wrong_type", "pcf"),
        ("pcf.fossilCarbonContent", _DELETE, "missing_field", "pcf.fossilCarbonContent"),
        ("pcf.pcfExcludingBiogenicUptake", 1.482, "bad_decimal", "pcf.pcfExcludingBiogenicUptake"),
        (
            "pcf.pcfExcludingBiogenicUptake",
            "1.4e0",
            "bad_decimal",
            "pcf.pcfExcludingBiogenicUptake",
        ),
        ("pcf.fossilGhgEmissions", "-1", "out_of_range", "pcf.fossilGhgEmissions"),
        ("pcf.declaredUnitAmount", "0", "out_of_range", "pcf.declaredUnitAmount"),
        ("pcf.declaredUnitOfMeasurement", "gallon", "bad_enum", "pcf.declaredUnitOfMeasurement"),
        (
            "pcf.declaredUnitOfMeasurement",
            "ton kilometer",  # liters are declared by mass now; a ton-km cannot be
            "unit_not_supported",
            "pcf.declaredUnitOfMeasurement",
        ),
        ("pcf.referencePeriodEnd", "2024-01-01T00:00:00Z", "bad_period", "pcf.referencePeriodEnd"),
        ("pcf.referencePeriodStart", "2025-01-01", "bad_date", "pcf.referencePeriodStart"),
        ("pcf.referencePeriodStart", "yesterday", "bad_date", "pcf.referencePeriodStart"),
        (
            "pcf.geographyCountrySubdivision",
            "SG01",
            "bad_geography",
            "pcf.geographyCountrySubdivision",
        ),
        ("pcf.geographyCountry", "Singapore", "bad_geography", "pcf.geographyCountry"),
        ("pcf.biogenicCO2Uptake", "-0.2", "inconsistent", "pcf.pcfIncludingBiogenicUptake"),
        (
            "pcf.ipccCharacterizationFactors",
            ["IPCC6"],
            "bad_value",
            "pcf.ipccCharacterizationFactors",
        ),
        ("pcf.crossSectoralStandards", [], "wrong_type", "pcf.crossSectoralStandards"),
        ("pcf.primaryDataShare", "101", "out_of_range", "pcf.primaryDataShare"),
        ("pcf.dqi", {"technologicalDQR": "2"}, "missing_field", "pcf.dqi"),
        ("pcf.dqi.temporalDQR", "6", "out_of_range", "pcf.dqi.temporalDQR"),
        ("productIds", ["LCC-21700-50E"], "bad_urn", "productIds[0]"),
        ("productIds", ["urn:a:1", "urn:a:1"], "duplicate", "productIds"),
        ("companyIds", [], "wrong_type", "companyIds"),
        ("companyName", "", "wrong_type", "companyName"),
        ("comment", 7, "wrong_type", "comment"),
        (
            "extensions",
            [{"specVersion": "2.0.0", "data": {}}],
            "missing_field",
            "extensions[0].dataSchema",
        ),
    ],
)
def test_bad_documents_have_codes(path: str, value: Any, code: str, field: str) -> None:
    doc = _example()
    _set(doc, path, value)
    if path == "pcf.geographyCountrySubdivision":
        del doc["pcf"]["geographyCountry"]
    with pytest.raises(PactError) as err:
        pact_to_footprint(doc)
    assert (err.value.code, err.value.field) == (code, field)


def test_two_geographic_levels_are_refused() -> None:
    doc = _example()
    doc["pcf"]["geographyCountrySubdivision"] = "SG-01"
    with pytest.raises(PactError) as err:
        pact_to_footprint(doc)
    assert err.value.code == "bad_geography"


def test_not_an_object() -> None:
    with pytest.raises(PactError) as err:
        pact_to_footprint([])  # type: ignore[arg-type]
    assert err.value.code == "wrong_type"


def _exported() -> dict[str, Any]:
    return footprint_to_pact(record(footprint()), pcf_extra=mass("1.45"))


def test_tanji_extension_must_agree_with_the_pact_fields() -> None:
    doc = _exported()
    doc["pcf"]["declaredUnitAmount"] = "2"
    with pytest.raises(PactError) as err:
        pact_to_footprint(doc)
    assert (err.value.code, err.value.field) == ("extension_mismatch", "pcf.declaredUnitAmount")

    doc = _exported()
    doc["productNameCompany"] = "Another laptop"
    with pytest.raises(PactError) as err:
        pact_to_footprint(doc)
    assert (err.value.code, err.value.field) == ("extension_mismatch", "productNameCompany")

    doc = _exported()
    doc["pcf"]["crossSectoralStandards"] = ["PEF"]
    with pytest.raises(PactError) as err:
        pact_to_footprint(doc)
    assert err.value.code == "extension_mismatch"

    doc = _exported()
    doc["extensions"].append(copy.deepcopy(doc["extensions"][0]))
    with pytest.raises(PactError) as err:
        pact_to_footprint(doc)
    assert (err.value.code, err.value.field) == ("duplicate", "extensions[1]")

    doc = _exported()
    doc["extensions"][0]["data"]["footprint"]["kg_co2e_per_unit"] = 1.0
    with pytest.raises(PactError) as err:
        pact_to_footprint(doc)
    assert err.value.code == "unknown_field"

    doc = _exported()
    doc["extensions"][0]["data"]["bundle"] = {"format": "tanji-bundle/0"}
    with pytest.raises(PactError) as err:
        pact_to_footprint(doc)
    assert (err.value.code, err.value.field) == ("bad_bundle", "extensions[0].data.bundle")


@pytest.mark.parametrize(
    ("overrides", "extra", "code", "field"),
    [
        (
            {"declared_unit": "Wp", "category": "pv_module"},
            PCF_EXTRA,
            "unit_not_in_pact",
            "declared_unit",
        ),
        ({}, PCF_EXTRA, "missing_pact_field", "pcf.productMassPerDeclaredUnit"),
        (
            {},
            {"productMassPerDeclaredUnit": "1.45"},
            "missing_pact_field",
            "pcf.fossilCarbonContent",
        ),
        (
            {},
            {**mass("1.45"), "fossilGhgEmissions": "1"},
            "derived_field",
            "pcf.fossilGhgEmissions",
        ),
        ({}, {**mass("1.45"), "colour": "black"}, "unknown_field", "pcf.colour"),
        (
            {},
            {**mass("1.45"), "ipccCharacterizationFactors": "AR6"},
            "bad_value",
            "pcf.ipccCharacterizationFactors",
        ),
        ({}, {**mass("1.45"), "biogenicCO2Uptake": "0.3"}, "out_of_range", "pcf.biogenicCO2Uptake"),
        ({}, {**mass("-1")}, "out_of_range", "pcf.productMassPerDeclaredUnit"),
        ({"company_name": None}, mass("1.45"), "missing_field", "company_name"),
        ({"product_name": {"fr": "Portable"}}, mass("1.45"), "missing_field", "product_name.en"),
        ({"product_name": "Laptop"}, mass("1.45"), "missing_field", "product_name.en"),
        ({"gtin": None, "product_ids": []}, mass("1.45"), "missing_field", "product_ids"),
        (
            {"reference_period": {"start": "2025-13-01", "end": "2025-12-31"}},
            mass("1.45"),
            "bad_date",
            "reference_period.start",
        ),
        ({"kg_co2e_per_unit": "lots"}, mass("1.45"), "bad_decimal", "kg_co2e_per_unit"),
        ({"primary_data_share": 140}, mass("1.45"), "out_of_range", "primary_data_share"),
        ({"data_quality_rating": 0}, mass("1.45"), "out_of_range", "data_quality_rating"),
        (
            {"geography": {"country": "CN", "subdivision": "SG-01"}},
            mass("1.45"),
            "bad_geography",
            "geography.subdivision",
        ),
    ],
)
def test_export_errors_have_codes(
    overrides: dict[str, Any], extra: dict[str, Any], code: str, field: str
) -> None:
    # Raw data (not re-validated by the model), as a caller might pass a stored record.
    rec = {**record(footprint()), **overrides}
    with pytest.raises(PactError) as err:
        footprint_to_pact(rec, pcf_extra=extra)
    assert (err.value.code, err.value.field) == (code, field)
    assert err.value.to_body()["error"]["code"] == code


def test_export_refuses_a_bundle_of_something_else() -> None:
    rec = record(footprint())
    with pytest.raises(PactError) as err:
        footprint_to_pact(
            rec, bundle={**_bundle(rec), "record": {"type": "label"}}, pcf_extra=mass("1.45")
        )
    assert (err.value.code, err.value.field) == ("bad_bundle", "bundle.record")
