"""Key-product catalogue: the product categories a Chongqing footprint can be declared for.

The national plan (15 ministries' *Implementation Plan for Establishing a Carbon Footprint
Management System*) asks local governments to start footprint accounting with key products; the
Chongqing list leans on the city's industries: electronics (laptops, phones), vehicles (new-energy
cars, motorcycles) and their batteries, basic materials (steel, cement, aluminium, PVC), tyres,
photovoltaics and food (hotpot seasoning).

Each category names the declared units a footprint may use (ISO 14067 "declared unit"); the first
is the usual one and the one grade thresholds are expressed in.
"""

from __future__ import annotations

from dataclasses import dataclass

from registry.errors import InvalidInputError

__all__ = [
    "CATEGORIES",
    "UNITS",
    "Category",
    "UnknownCategoryError",
    "get_category",
    "unit_name",
]


class UnknownCategoryError(InvalidInputError, ValueError):
    """A category code not in the catalogue: code ``unknown_category``, field ``category``."""

    code = "unknown_category"

    def __init__(self, category: str) -> None:
        self.category = category
        super().__init__(
            f"unknown product category {category!r}; known: {', '.join(CATEGORIES)}",
            field="category",
        )


@dataclass(frozen=True, slots=True)
class Category:
    """One key-product category."""

    code: str
    name_zh: str
    name_en: str
    declared_units: tuple[str, ...]
    # The unit footprints are usually declared in, and the one grade thresholds use.
    typical_unit: str
    # Chinese measure word for a piece of this product ("台" laptop, "部" phone), used for "unit".
    measure_word_zh: str = "件"

    def name(self, lang: str) -> str:
        """The category name in ``lang`` ("zh" or "en")."""
        return self.name_zh if lang == "zh" else self.name_en

    def accepts_unit(self, unit: str) -> bool:
        """Whether ``unit`` is a declared unit of this category."""
        return unit in self.declared_units


# Declared units: symbol -> (Chinese name, English name). "unit" means one piece of the product.
UNITS: dict[str, tuple[str, str]] = {
    "unit": ("件", "unit"),
    "vehicle": ("辆", "vehicle"),
    "kWh": ("千瓦时", "kWh"),
    "t": ("吨", "t"),
    "kg": ("千克", "kg"),
    "Wp": ("瓦(峰值)", "Wp"),
    "kWp": ("千瓦(峰值)", "kWp"),
    "km": ("千米", "km"),
}


def unit_name(unit: str, lang: str, category: Category | None = None) -> str:
    """Human name of a declared unit in ``lang``; "unit" uses the category's measure word in zh."""
    if unit == "unit" and category is not None and lang == "zh":
        return category.measure_word_zh
    zh, en = UNITS.get(unit, (unit, unit))
    return zh if lang == "zh" else en


_CATEGORY_LIST = (
    Category("laptop", "笔记本电脑", "Laptop computer", ("unit",), "unit", "台"),
    Category(
        "lithium_battery_pack",
        "锂离子动力电池包",
        "Lithium-ion battery pack",
        ("kWh", "unit"),
        "kWh",
        "个",
    ),
    Category("nev", "新能源汽车", "New-energy vehicle", ("vehicle", "km"), "vehicle", "辆"),
    Category("motorcycle", "摩托车", "Motorcycle", ("vehicle",), "vehicle", "辆"),
    Category("mobile_phone", "手机", "Mobile phone", ("unit",), "unit", "部"),
    Category("steel_rebar", "螺纹钢", "Steel rebar", ("t",), "t"),
    Category("cement", "水泥", "Cement", ("t",), "t"),
    Category("aluminium_ingot", "电解铝锭", "Primary aluminium ingot", ("t",), "t"),
    Category("pvc_resin", "聚氯乙烯树脂", "PVC resin", ("t",), "t"),
    Category("tyre", "轮胎", "Tyre", ("unit", "kg"), "unit", "条"),
    Category("pv_module", "光伏组件", "Photovoltaic module", ("Wp", "kWp", "unit"), "Wp", "块"),
    Category("hotpot_seasoning", "火锅底料", "Hotpot seasoning", ("kg",), "kg", "袋"),
    Category("flat_glass", "平板玻璃", "Flat glass", ("t",), "t"),
)

CATEGORIES: dict[str, Category] = {c.code: c for c in _CATEGORY_LIST}


def get_category(code: str) -> Category:
    """The category with ``code``; raises :class:`UnknownCategoryError` when there is none."""
    try:
        return CATEGORIES[code]
    except KeyError:
        raise UnknownCategoryError(code) from None
