import pytest

from registry.catalogue import (
    CATEGORIES,
    FOOTPRINT_CATEGORIES,
    GENERAL,
    GENERAL_CATEGORY,
    UNITS,
    CatalogueCategoryRequiredError,
    UnknownCategoryError,
    get_category,
    require_catalogue_category,
    unit_name,
)
from registry.i18n import LANGUAGES

PLAN_CATEGORIES = {
    "laptop",
    "lithium_battery_pack",
    "nev",
    "motorcycle",
    "mobile_phone",
    "steel_rebar",
    "cement",
    "aluminium_ingot",
    "pvc_resin",
    "tyre",
    "pv_module",
    "hotpot_seasoning",
}


def test_catalogue_holds_the_chongqing_key_products() -> None:
    assert set(CATEGORIES) >= PLAN_CATEGORIES


@pytest.mark.parametrize("code", sorted(CATEGORIES))
def test_every_category_is_complete(code: str) -> None:
    category = get_category(code)
    assert category.code == code
    assert all(category.names[lang] for lang in LANGUAGES)  # a name in every language
    assert all(category.piece[lang] for lang in LANGUAGES)
    assert category.typical_unit == category.declared_units[0]
    assert all(unit in UNITS for unit in category.declared_units)
    assert category.accepts_unit(category.typical_unit)


def test_declared_units_match_the_product() -> None:
    assert get_category("lithium_battery_pack").typical_unit == "kWh"
    assert get_category("steel_rebar").declared_units == ("t",)
    assert get_category("pv_module").typical_unit == "Wp"
    assert not get_category("cement").accepts_unit("unit")


def test_the_general_category_stores_what_the_catalogue_does_not_hold() -> None:
    # Not a catalogue category (no rules, no thresholds), but one a footprint may be stored under.
    assert GENERAL not in CATEGORIES and FOOTPRINT_CATEGORIES[GENERAL] is GENERAL_CATEGORY
    assert set(GENERAL_CATEGORY.names) == set(LANGUAGES)
    assert {"kg", "t", "unit", "kWh"} <= set(GENERAL_CATEGORY.declared_units) <= set(UNITS)
    with pytest.raises(CatalogueCategoryRequiredError) as info:
        require_catalogue_category(GENERAL, "a label")
    assert (info.value.code, info.value.field) == ("catalogue_category_required", "category")
    assert "a label needs a catalogue category" in info.value.message
    assert require_catalogue_category("cement", "a label") is CATEGORIES["cement"]
    with pytest.raises(UnknownCategoryError):
        get_category(GENERAL)


def test_unknown_category_has_a_code_and_field() -> None:
    with pytest.raises(UnknownCategoryError) as info:
        get_category("spaceship")
    assert info.value.code == "unknown_category"
    assert info.value.field == "category"
    assert isinstance(info.value, ValueError)


def test_unit_names_in_every_language() -> None:
    laptop = get_category("laptop")
    assert unit_name("unit", "zh", laptop) == "台"
    assert unit_name("unit", "en", laptop) == "unit"
    assert unit_name("t", "zh") == "吨"
    assert laptop.name("en") == "Laptop computer"
    # Hong Kong wording, not a character swap: 手提電腦, 部, 公噸, 電單車.
    assert laptop.name("zh-Hant") == laptop.name("zh-HK") == "手提電腦"
    assert unit_name("unit", "zh-Hant", laptop) == "部"
    assert unit_name("t", "zh-Hant") == "公噸"
    assert get_category("motorcycle").name("zh-Hant") == "電單車"
    assert all(names[lang] for names in UNITS.values() for lang in LANGUAGES)
