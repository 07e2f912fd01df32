import json
import math

import pytest

from registry.catalogue import CATEGORIES
from registry.grading import (
    GRADE_COLOURS,
    GRADES,
    THRESHOLDS_FILE,
    GradingError,
    grade_footprint,
    load_scheme,
)


def test_every_catalogue_category_has_sourced_thresholds() -> None:
    scheme = load_scheme()
    assert set(scheme.categories) == set(CATEGORIES)
    for code, spec in scheme.categories.items():
        assert spec.unit == CATEGORIES[code].typical_unit
        assert spec.source
        # Nothing here is an official benchmark; the data must say so rather than imply one.
        if spec.illustrative:
            assert spec.source.startswith("illustrative")
        bounds = [b for _, b in spec.bounds]
        assert bounds == sorted(bounds) and len(set(bounds)) == 4
        assert spec.boundary in ("cradle-to-gate", "cradle-to-grave", "gate-to-gate")


def test_thresholds_file_is_versioned() -> None:
    data = json.loads(THRESHOLDS_FILE.read_text(encoding="utf-8"))
    assert data["format"] == "tanji-grade-thresholds/1"
    assert data["grades"] == list(GRADES)
    assert all(v["version"] and v["published"] for v in data["versions"])


@pytest.mark.parametrize(
    ("value", "grade"),
    [(0, "A+"), (180, "A+"), (180.01, "A"), (250, "A"), (300, "B"), (420, "C"), (421, "D")],
)
def test_grade_boundaries_are_inclusive_upper_bounds(value: float, grade: str) -> None:
    result = grade_footprint(
        category="laptop",
        kg_co2e_per_unit=value,
        declared_unit="unit",
        system_boundary="cradle-to-grave",
    )
    assert result.grade == grade
    assert result.scheme == "tanji-illustrative"
    assert result.scheme_version == load_scheme().version
    assert result.illustrative is True
    assert result.thresholds == (("A+", 180.0), ("A", 250.0), ("B", 330.0), ("C", 420.0))
    assert result.as_dict()["thresholds"]["C"] == 420.0


def test_kwp_is_converted_to_wp_for_pv_modules() -> None:
    gate = "cradle-to-gate"
    per_wp = grade_footprint(
        category="pv_module", kg_co2e_per_unit=0.42, declared_unit="Wp", system_boundary=gate
    )
    per_kwp = grade_footprint(
        category="pv_module", kg_co2e_per_unit=420, declared_unit="kWp", system_boundary=gate
    )
    assert per_wp.grade == per_kwp.grade == "A"
    assert math.isclose(per_kwp.value, 0.42)


@pytest.mark.parametrize(
    ("kwargs", "code", "field"),
    [
        (
            {"category": "spaceship", "kg_co2e_per_unit": 1, "declared_unit": "unit"},
            "unknown_category",
            "category",
        ),
        # The general category (products outside the catalogue) has no thresholds to grade by.
        (
            {"category": "general", "kg_co2e_per_unit": 77, "declared_unit": "unit"},
            "catalogue_category_required",
            "category",
        ),
        (
            {"category": "cement", "kg_co2e_per_unit": 500, "declared_unit": "unit"},
            "unit_mismatch",
            "declared_unit",
        ),
        # A declared unit of the category, but not the one the thresholds use, with no conversion.
        (
            {"category": "lithium_battery_pack", "kg_co2e_per_unit": 5000, "declared_unit": "unit"},
            "unit_mismatch",
            "declared_unit",
        ),
        (
            {"category": "cement", "kg_co2e_per_unit": float("nan"), "declared_unit": "t"},
            "invalid_value",
            "kg_co2e_per_unit",
        ),
        (
            {"category": "cement", "kg_co2e_per_unit": -1, "declared_unit": "t"},
            "invalid_value",
            "kg_co2e_per_unit",
        ),
        (
            {
                "category": "cement",
                "kg_co2e_per_unit": 500,
                "declared_unit": "t",
                "scheme_version": "1999.0",
            },
            "unknown_scheme_version",
            "scheme_version",
        ),
    ],
)
def test_errors_carry_code_and_field(kwargs: dict, code: str, field: str) -> None:
    with pytest.raises(GradingError) as info:
        grade_footprint(**{"system_boundary": "cradle-to-gate", **kwargs})
    assert (info.value.code, info.value.field) == (code, field)


def test_every_grade_has_a_colour() -> None:
    assert set(GRADE_COLOURS) == set(GRADES)


def test_grading_error_is_a_registry_input_error() -> None:
    from registry.errors import InvalidInputError

    with pytest.raises(InvalidInputError) as info:
        grade_footprint(
            category="cement",
            kg_co2e_per_unit=500,
            declared_unit="kWh",
            system_boundary="cradle-to-gate",
        )
    assert info.value.status_code == 422
    assert info.value.to_body()["error"]["field"] == "declared_unit"


@pytest.mark.parametrize("category", sorted(CATEGORIES))
def test_only_footprints_of_the_thresholds_boundary_are_graded(category: str) -> None:
    spec = load_scheme().categories[category]
    unit = spec.unit
    graded = grade_footprint(
        category=category, kg_co2e_per_unit=1, declared_unit=unit, system_boundary=spec.boundary
    )
    assert graded.boundary == spec.boundary == graded.as_dict()["boundary"]
    for other in {"cradle-to-gate", "cradle-to-grave", "gate-to-gate"} - {spec.boundary}:
        with pytest.raises(GradingError) as info:
            grade_footprint(
                category=category, kg_co2e_per_unit=1, declared_unit=unit, system_boundary=other
            )
        assert (info.value.code, info.value.field) == ("boundary_mismatch", "system_boundary")
        assert info.value.status_code == 422
        assert spec.boundary in info.value.message and other in info.value.message
