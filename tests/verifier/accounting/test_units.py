"""Units: the table's exact factors through pint (Decimal), expressions, and what is refused."""

from __future__ import annotations

from decimal import Decimal

import pytest

from verifier.protocol.accounting import UNIT_TABLE, UnitError, parse_emission_unit, parse_unit
from verifier.protocol.accounting.units import same_unit


@pytest.mark.parametrize(("symbol", "factor"), [(row[0], row[2]) for row in UNIT_TABLE])
def test_every_table_unit_has_its_exact_factor(symbol: str, factor: str) -> None:
    unit = parse_unit(symbol)
    assert (unit.numerator, unit.denominator) == (Decimal(factor), Decimal(1))


@pytest.mark.parametrize(
    ("text", "numerator", "denominator"),
    [
        ("t*km", "1000000", "1"),
        ("t km", "1000000", "1"),
        ("kWh / piece", "3600000", "1"),
        ("kg/kWh", "1", "3600000"),
        ("(kWh)**2/piece", "12960000000000", "1"),
        ("tonne", "1000", "1"),
        ("kilogram", "1", "1"),
        ("unit", "1", "1"),
    ],
)
def test_expressions_keep_an_exact_ratio(text: str, numerator: str, denominator: str) -> None:
    unit = parse_unit(text)
    assert (unit.numerator, unit.denominator) == (Decimal(numerator), Decimal(denominator))


def test_convertible_and_same_units() -> None:
    assert parse_unit("t*km").fits(parse_unit("tkm")) and parse_unit("MJ").fits(parse_unit("kWh"))
    assert not parse_unit("kg").fits(parse_unit("kWh"))
    assert not parse_unit("Nm3").fits(parse_unit("m3"))  # normal volume is its own quantity
    assert same_unit(parse_unit("piece"), parse_unit("unit"))
    assert same_unit(parse_unit("vehicle"), parse_unit("pcs"))
    assert not same_unit(parse_unit("kg"), parse_unit("t"))


@pytest.mark.parametrize(
    "text",
    ["kt", "year", "2 kg", "kg**0.5", "m**5", "kg**-2", "furlong", "", " ", "kg; drop", "x" * 65],
)
def test_refused_units(text: str) -> None:
    with pytest.raises(UnitError):
        parse_unit(text)


def test_emission_units() -> None:
    unit = parse_emission_unit("t CO2e / TJ")
    assert (unit.mass.numerator, unit.per.numerator) == (Decimal(1000), Decimal(10**12))
    assert parse_emission_unit("kgCO2e/kWh").per.canonical == "kilowatt_hour"
    for bad in ("kg CO2e", "kWh", "m CO2e / kWh", "kg CO2 / kWh"):
        with pytest.raises(UnitError):
            parse_emission_unit(bad)
