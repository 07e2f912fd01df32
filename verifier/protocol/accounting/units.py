"""Units of inventories and factors, through ``pint`` with exact ``Decimal`` magnitudes.

Only the units of :data:`UNIT_TABLE` (and what ``pint`` spells the same way: ``kilogram`` for
``kg``) are accepted, each with an exact decimal factor to its SI base, so that a verifier in any
language converts with the same table (docs/PROTOCOL.md, "Footprint calculation"). A unit
expression combines them with ``*``, ``/``, ``**`` (integer powers) and parentheses; its factor is
kept as an exact ratio ``numerator / denominator`` (the product of the factors of the units with a
positive power over the product of those with a negative power), so converting never rounds.
"""

from __future__ import annotations

import decimal
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any, Final

from verifier.protocol.accounting.decimals import CONTEXT

if TYPE_CHECKING:
    import pint

__all__ = [
    "EXTRA_DEFINITIONS",
    "MAX_POWER",
    "MAX_UNIT_LENGTH",
    "UNIT_TABLE",
    "EmissionUnit",
    "Unit",
    "UnitError",
    "parse_emission_unit",
    "parse_unit",
    "registry",
    "same_unit",
]

#: Longest unit text accepted.
MAX_UNIT_LENGTH: Final = 64
#: Largest power of a unit in an expression (``m**3``).
MAX_POWER: Final = 4

#: Units ``pint`` does not define (or not as Tanji means them), added to its registry.
EXTRA_DEFINITIONS: Final[tuple[str, ...]] = (
    "piece = [piece] = pc = pcs = unit",
    "vehicle = piece",
    "person = [person]",
    "tkm = tonne * kilometer",
    "pkm = person * kilometer",
    "watt_peak = watt = Wp",
    "m2 = meter ** 2",
    "m3 = meter ** 3",
    "normal_cubic_meter = [normal_volume] = Nm3",
)

#: Every unit symbol accepted: ``(symbol, quantity, factor to the SI base unit, base unit)``.
#: Prefixed forms are accepted only where listed.
UNIT_TABLE: Final[tuple[tuple[str, str, str, str], ...]] = (
    ("mg", "mass", "0.000001", "kg"),
    ("g", "mass", "0.001", "kg"),
    ("kg", "mass", "1", "kg"),
    ("t", "mass", "1000", "kg"),
    ("mm", "length", "0.001", "m"),
    ("cm", "length", "0.01", "m"),
    ("m", "length", "1", "m"),
    ("km", "length", "1000", "m"),
    ("m2", "area", "1", "m**2"),
    ("ha", "area", "10000", "m**2"),
    ("mL", "volume", "0.000001", "m**3"),
    ("L", "volume", "0.001", "m**3"),
    ("m3", "volume", "1", "m**3"),
    ("Nm3", "gas volume at normal conditions", "1", "Nm3"),
    ("J", "energy", "1", "J"),
    ("kJ", "energy", "1000", "J"),
    ("MJ", "energy", "1000000", "J"),
    ("GJ", "energy", "1000000000", "J"),
    ("TJ", "energy", "1000000000000", "J"),
    ("Wh", "energy", "3600", "J"),
    ("kWh", "energy", "3600000", "J"),
    ("MWh", "energy", "3600000000", "J"),
    ("GWh", "energy", "3600000000000", "J"),
    ("W", "power", "1", "W"),
    ("kW", "power", "1000", "W"),
    ("MW", "power", "1000000", "W"),
    ("Wp", "peak power", "1", "W"),
    ("kWp", "peak power", "1000", "W"),
    ("MWp", "peak power", "1000000", "W"),
    ("s", "time", "1", "s"),
    ("h", "time", "3600", "s"),
    ("piece", "count (also: unit, pc, pcs)", "1", "piece"),
    ("vehicle", "count", "1", "piece"),
    ("person", "persons", "1", "person"),
    ("tkm", "transport (t*km)", "1000000", "kg*m"),
    ("pkm", "passenger transport (person*km)", "1000", "person*m"),
)

# "12 kg CO2e / kWh" is written "<mass> CO2e / <unit>" (also "kgCO2e/kWh").
_EMISSION_UNIT: Final = re.compile(r"\s*([A-Za-z]+?)\s*CO2e\s*/\s*(\S.*?)\s*")
# Characters a unit expression may hold (pint's parser is not a place for arbitrary text).
_UNIT_TEXT: Final = re.compile(r"[A-Za-z0-9_*/()^ .]+")


class UnitError(ValueError):
    """A unit is not in the table, not parseable, or not of the kind required (the message says
    which); the parsers of documents report it as ``bad_unit``."""


@dataclass(frozen=True, slots=True)
class Unit:
    """A parsed unit expression: its ``text``, ``pint``'s ``canonical`` spelling, its
    ``dimensionality`` (hashable; equal for convertible units), and its exact factor to the SI
    base as ``numerator / denominator``."""

    text: str
    canonical: str
    dimensionality: Any
    numerator: Decimal
    denominator: Decimal
    #: The dimensionality as sorted ``(dimension, power)`` pairs (compared fast).
    dimension: tuple[tuple[str, str], ...] = ()

    def fits(self, other: Unit) -> bool:
        """True when an amount in this unit converts to ``other`` (same dimensionality)."""
        return self.dimension == other.dimension


@dataclass(frozen=True, slots=True)
class EmissionUnit:
    """A factor's unit ``<mass> CO2e / <per>``: ``mass`` of CO2e (or of each gas) per ``per``."""

    text: str
    mass: Unit
    per: Unit


@cache
def registry() -> pint.UnitRegistry[Any]:
    """The one unit registry (``pint``, ``Decimal`` magnitudes, :data:`EXTRA_DEFINITIONS`)."""
    import pint

    ureg: pint.UnitRegistry[Any] = pint.UnitRegistry(non_int_type=Decimal, cache_folder=None)
    for definition in EXTRA_DEFINITIONS:
        ureg.define(definition)
    return ureg


@cache
def _allowed() -> dict[str, Decimal]:
    """Each allowed ``pint`` unit name and its exact factor (checked against the table)."""
    ureg = registry()
    allowed: dict[str, Decimal] = {}
    with decimal.localcontext(CONTEXT):
        for symbol, _, factor, _ in UNIT_TABLE:
            unit = ureg.Unit(symbol)
            ((name, power),) = unit._units.items()
            magnitude = ureg.Quantity(Decimal(1), unit).to_base_units().magnitude
            if power != 1 or magnitude != Decimal(factor):
                raise AssertionError(f"unit table: {symbol} is {magnitude} {unit}, not {factor}")
            allowed[name] = Decimal(factor)
    return allowed


@lru_cache(maxsize=4096)
def parse_unit(text: str) -> Unit:
    """Parse a unit expression of table units (``kg``, ``t*km``, ``kWh / piece``).

    Raises :class:`UnitError` for anything else (unknown or unlisted units, non-integer powers,
    numbers in the expression, over :data:`MAX_UNIT_LENGTH` characters).
    """
    if not isinstance(text, str) or not text.strip():
        raise UnitError("a unit is a non-empty string")
    if len(text) > MAX_UNIT_LENGTH:
        raise UnitError(f"a unit is at most {MAX_UNIT_LENGTH} characters")
    if _UNIT_TEXT.fullmatch(text) is None:
        raise UnitError(f"{text!r} is not a unit expression")
    import pint

    allowed = _allowed()
    try:
        with decimal.localcontext(CONTEXT):
            unit = registry().Unit(text)
    except (pint.errors.PintError, ValueError, TypeError, AttributeError, ArithmeticError) as exc:
        raise UnitError(f"{text!r} is not a unit Tanji knows ({type(exc).__name__})") from None
    numerator = Decimal(1)
    denominator = Decimal(1)
    for name, raw_power in unit._units.items():
        factor = allowed.get(name)
        if factor is None:
            raise UnitError(f"{name} (in {text!r}) is not in the unit table")
        power = Decimal(str(raw_power))
        if power != power.to_integral_value() or not power or abs(power) > MAX_POWER:
            raise UnitError(f"{text!r}: powers are whole numbers up to {MAX_POWER}")
        scaled = CONTEXT.power(factor, abs(int(power)))
        if power > 0:
            numerator = CONTEXT.multiply(numerator, scaled)
        else:
            denominator = CONTEXT.multiply(denominator, scaled)
    if not unit._units:
        raise UnitError(f"{text!r} has no unit")
    dimension = tuple(sorted((str(k), str(v)) for k, v in unit.dimensionality.items()))
    return Unit(text, str(unit), unit.dimensionality, numerator, denominator, dimension)


@lru_cache(maxsize=4096)
def parse_emission_unit(text: str) -> EmissionUnit:
    """Parse a factor's or component's unit ``<mass> CO2e / <unit>`` (``kg CO2e / kWh``).

    Raises :class:`UnitError` when it is not of that form, the numerator is not a mass, or the
    denominator is not a unit expression of the table.
    """
    if not isinstance(text, str) or len(text) > MAX_UNIT_LENGTH:
        raise UnitError(f"a unit is a string of at most {MAX_UNIT_LENGTH} characters")
    match = _EMISSION_UNIT.fullmatch(text)
    if match is None:
        raise UnitError(f"{text!r} is not '<mass> CO2e / <unit>' (e.g. 'kg CO2e / kWh')")
    mass = parse_unit(match[1])
    if not mass.fits(parse_unit("kg")):
        raise UnitError(f"{text!r}: {match[1]!r} is not a mass")
    return EmissionUnit(text, mass, parse_unit(match[2]))


def same_unit(a: Unit, b: Unit) -> bool:
    """True when ``a`` and ``b`` are the same unit (``piece``, ``unit``; not ``kg`` and ``t``)."""
    return a.fits(b) and a.numerator * b.denominator == b.numerator * a.denominator
