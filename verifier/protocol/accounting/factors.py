"""Factor dataset versions (``tanji-factors/1``): parsing and validating one, every bad row
reported.

A version is refused as a whole when any factor is bad (nothing is half-imported): the
:class:`~verifier.protocol.accounting.errors.AccountingError` lists each fault with its path
(``factors[12].source``) and code (``missing_citation``, ``bad_unit``, ``duplicate_id`` ...).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final

from verifier.protocol.accounting.decimals import CONTEXT
from verifier.protocol.accounting.documents import load_document, validated_digest
from verifier.protocol.accounting.formats import (
    DATASET_PATTERN,
    DISTRIBUTIONS,
    FACTORS_FORMAT,
    ID_PATTERN,
    LIMITS,
    QUALITY_DIMENSIONS,
    VERSION_PATTERN,
)
from verifier.protocol.accounting.gwp import GASES, GWP_SETS
from verifier.protocol.accounting.reader import MISSING, Reader, join
from verifier.protocol.accounting.units import EmissionUnit, UnitError, parse_emission_unit

__all__ = [
    "CO2E",
    "Factor",
    "FactorDataset",
    "Uncertainty",
    "parse_factor_dataset",
    "read_uncertainty",
]

#: ``gases`` of a factor given as CO2e only (and the gas name of such values in breakdowns).
CO2E: Final = "CO2e"
_ADDRESS: Final = re.compile(r"0x[0-9a-fA-F]{40}")
_GEOGRAPHY: Final = re.compile(r"GLO|[A-Z]{2}(-[A-Z0-9]{1,3})?")
_SOURCE_FIELDS: Final = ("document", "table", "page", "url")
_FACTOR_REQUIRED: Final = (
    "id",
    "names",
    "value",
    "unit",
    "gases",
    "gwp",
    "geography",
    "year",
    "source",
    "uncertainty",
    "quality",
)
_FACTOR_OPTIONAL: Final = ("illustrative", "category", "notes")


@dataclass(frozen=True, slots=True)
class Uncertainty:
    """A distribution of Brightway's ``stats_arrays`` and its parameters (exact decimals):
    ``normal`` (``sd``), ``lognormal`` (``gsd``), ``triangular``/``uniform`` (``min``, ``max``),
    ``none``. Parameters are in the unit of the value they describe."""

    distribution: str
    parameters: Mapping[str, Decimal]

    def to_dict(self) -> dict[str, str]:
        """The JSON form: ``{"distribution": ..., <parameter>: "<decimal>"}``."""
        return {"distribution": self.distribution} | {k: str(v) for k, v in self.parameters.items()}


@dataclass(frozen=True, slots=True)
class Factor:
    """One emission factor of a dataset version (docs/ACCOUNTING.md)."""

    id: str
    names: Mapping[str, str]
    value: Decimal
    unit: EmissionUnit
    #: Per-gas values (mass of each gas per denominator), or ``None`` for a CO2e-only factor.
    gases: Mapping[str, Decimal] | None
    gwp: str
    geography: str
    year: int
    source: Mapping[str, str]
    uncertainty: Uncertainty
    quality: Mapping[str, int]
    illustrative: bool
    category: str | None = None
    notes: str | None = None


@dataclass(frozen=True, slots=True)
class FactorDataset:
    """A parsed factor dataset version; ``digest`` is keccak256(JCS(document))."""

    dataset: str
    version: str
    publisher: Mapping[str, str]
    published: str
    deprecates: tuple[str, ...]
    factors: tuple[Factor, ...]
    digest: str
    document: Mapping[str, Any] = field(repr=False)
    _by_id: Mapping[str, Factor] = field(repr=False, default_factory=dict)

    @property
    def ref(self) -> str:
        """``dataset@version``: the version's record id."""
        return f"{self.dataset}@{self.version}"

    def factor(self, factor_id: str) -> Factor | None:
        """The factor with ``factor_id``, or ``None``."""
        return self._by_id.get(factor_id)


def read_uncertainty(
    reader: Reader, value: Any, path: str, *, central: Decimal | None = None
) -> Uncertainty | None:
    """Read an ``uncertainty`` member. ``central`` (the value it describes) must lie within
    ``min``..``max`` of a triangular or uniform distribution."""
    found = reader.mapping(
        value, path, required=("distribution",), optional=("sd", "gsd", "min", "max")
    )
    if found is None:
        return None
    distribution = reader.string(
        found.get("distribution", MISSING), join(path, "distribution"), choices=tuple(DISTRIBUTIONS)
    )
    if distribution is None:
        return None
    wanted = DISTRIBUTIONS[distribution]
    parameters: dict[str, Decimal] = {}
    ok = True
    for name in ("sd", "gsd", "min", "max"):
        if name in found and name not in wanted:
            reader.issues.add(
                "unknown_field", join(path, name), f"{distribution} has no parameter {name}"
            )
            ok = False
        elif name in wanted:
            if name not in found:
                reader.issues.add("missing_field", join(path, name), f"{distribution} needs {name}")
                ok = False
                continue
            minimum = Decimal(1) if name == "gsd" else Decimal(0)
            number = reader.decimal(found[name], join(path, name), minimum=minimum)
            if number is None:
                ok = False
            else:
                parameters[name] = number
    if not ok:
        return None
    if "min" in parameters:
        low, high = parameters["min"], parameters["max"]
        inside = central is None or low <= central <= high
        if low > high or (distribution == "uniform" and low == high) or not inside:
            reader.issues.add(
                "bad_value", path, f"needs min <= value <= max (min {low}, max {high})"
            )
            return None
    return Uncertainty(distribution, MappingProxyType(parameters))


def _quality(reader: Reader, value: Any, path: str) -> Mapping[str, int] | None:
    found = reader.mapping(value, path, required=QUALITY_DIMENSIONS)
    if found is None:
        return None
    scores: dict[str, int] = {}
    for name in QUALITY_DIMENSIONS:
        score = reader.integer(found.get(name, MISSING), join(path, name), low=1, high=5)
        if score is not None:
            scores[name] = score
    return MappingProxyType(scores) if len(scores) == len(QUALITY_DIMENSIONS) else None


def _source(reader: Reader, value: Any, path: str, *, illustrative: bool) -> Mapping[str, str]:
    found = reader.mapping(value, path, optional=_SOURCE_FIELDS)
    if found is None:
        return MappingProxyType({})
    source: dict[str, str] = {}
    for name in _SOURCE_FIELDS:
        if name in found:
            limit = LIMITS["MAX_URL"] if name == "url" else LIMITS["MAX_TEXT"]
            text = reader.string(found[name], join(path, name), limit=limit)
            if text is not None:
                source[name] = text
    if "url" in source and not source["url"].startswith(("https://", "http://")):
        reader.issues.add("bad_value", join(path, "url"), "a url starts with https:// or http://")
    cited = "document" in found and any(name in found for name in ("table", "page", "url"))
    if not illustrative and not cited:
        reader.issues.add(
            "missing_citation",
            path,
            "a factor that is not illustrative cites source.document and one of table, page, "
            'url (or is marked "illustrative": true)',
        )
    return MappingProxyType(source)


def _gases(
    reader: Reader, value: Any, path: str, *, gwp: str | None, total: Decimal | None
) -> tuple[bool, Mapping[str, Decimal] | None]:
    """``(ok, per-gas values or None for CO2e)``."""
    if value == CO2E:
        return True, None
    found = reader.mapping(value, path, optional=GASES)
    if found is None:
        return False, None
    if not found:
        reader.issues.add("missing_field", path, 'at least one gas, or "CO2e"')
        return False, None
    gases: dict[str, Decimal] = {}
    for name in GASES:
        if name in found:
            number = reader.decimal(found[name], join(path, name))
            if number is not None:
                gases[name] = number
    if len(gases) != len(found):
        return False, None
    if gwp is None or total is None:
        return True, MappingProxyType(gases)
    if not _consistent(reader, path, gases, gwp=gwp, total=total):
        return False, None
    return True, MappingProxyType(gases)


def _consistent(
    reader: Reader, path: str, gases: Mapping[str, Decimal], *, gwp: str, total: Decimal
) -> bool:
    """Every gas has a GWP in the factor's set, and the CO2e of the gases is ``total`` to within
    one unit of its last decimal place."""
    weights = GWP_SETS[gwp].values
    missing = [name for name in gases if name not in weights]
    for name in missing:
        reader.issues.add(
            "unknown_gas", join(path, name), f"{gwp} has no value for {name}", gas=name, gwp=gwp
        )
    if missing:
        return False
    co2e = Decimal(0)
    for gas, mass in gases.items():
        co2e = CONTEXT.add(co2e, CONTEXT.multiply(mass, weights[gas]))
    exponent = total.as_tuple().exponent
    assert isinstance(exponent, int)
    if CONTEXT.abs(CONTEXT.subtract(co2e, total)) > Decimal((0, (1,), exponent)):
        reader.issues.add(
            "inconsistent_value",
            path,
            f"the gases give {co2e} CO2e under {gwp}, the factor's value is {total}",
            computed=str(co2e),
            value=str(total),
        )
        return False
    return True


def _factor(reader: Reader, raw: Any, path: str) -> Factor | None:
    before = len(reader.issues)
    found = reader.mapping(raw, path, required=_FACTOR_REQUIRED, optional=_FACTOR_OPTIONAL)
    if found is None:
        return None
    factor_id = reader.string(
        found.get("id", MISSING), join(path, "id"), limit=LIMITS["MAX_ID"], pattern=ID_PATTERN
    )
    names = reader.names(found.get("names", MISSING), join(path, "names"))
    value = reader.decimal(found.get("value", MISSING), join(path, "value"))
    unit: EmissionUnit | None = None
    if "unit" in found:
        try:
            unit = parse_emission_unit(found["unit"])
        except (UnitError, TypeError) as exc:
            reader.issues.add("bad_unit", join(path, "unit"), str(exc))
    gwp = reader.string(found.get("gwp", MISSING), join(path, "gwp"), choices=tuple(GWP_SETS))
    gases_ok, gases = (
        _gases(reader, found["gases"], join(path, "gases"), gwp=gwp, total=value)
        if "gases" in found
        else (False, None)
    )
    geography = reader.string(
        found.get("geography", MISSING), join(path, "geography"), limit=16, pattern=_GEOGRAPHY
    )
    year = reader.integer(found.get("year", MISSING), join(path, "year"), low=1900, high=2200)
    illustrative = False
    if "illustrative" in found:
        illustrative = bool(reader.boolean(found["illustrative"], join(path, "illustrative")))
    source = (
        _source(reader, found["source"], join(path, "source"), illustrative=illustrative)
        if "source" in found
        else None
    )
    uncertainty = read_uncertainty(
        reader, found.get("uncertainty", MISSING), join(path, "uncertainty"), central=value
    )
    quality = _quality(reader, found.get("quality", MISSING), join(path, "quality"))
    category = None
    if "category" in found:
        category = reader.string(found["category"], join(path, "category"), limit=64)
    notes = None
    if "notes" in found:
        notes = reader.string(found["notes"], join(path, "notes"), limit=LIMITS["MAX_NOTES"])
    if len(reader.issues) != before:
        return None
    assert factor_id and names is not None and value is not None and unit and gwp and gases_ok
    assert geography and year is not None and source is not None and uncertainty and quality
    return Factor(
        factor_id,
        MappingProxyType(names),
        value,
        unit,
        gases,
        gwp,
        geography,
        year,
        source,
        uncertainty,
        quality,
        illustrative,
        category,
        notes,
    )


def _published(reader: Reader, value: Any, path: str) -> str | None:
    text = reader.string(value, path, limit=10)
    if text is None:
        return None
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        reader.issues.add("bad_value", path, f"{text!r} is not a date YYYY-MM-DD")
        return None
    return text if len(text) == 10 else None


def _publisher(reader: Reader, value: Any, path: str) -> Mapping[str, str] | None:
    found = reader.mapping(value, path, required=("name", "address"))
    if found is None:
        return None
    name = reader.string(found.get("name", MISSING), join(path, "name"), limit=LIMITS["MAX_NAME"])
    address = reader.string(
        found.get("address", MISSING), join(path, "address"), limit=42, pattern=_ADDRESS
    )
    if name is None or address is None:
        return None
    return MappingProxyType({"name": name, "address": address})


def _deprecates(reader: Reader, value: Any, path: str) -> tuple[str, ...]:
    items = reader.items(value, path, limit=LIMITS["MAX_DEPRECATES"])
    ids: list[str] = []
    for index, item in enumerate(items or ()):
        text = reader.string(item, join(path, index), limit=LIMITS["MAX_ID"], pattern=ID_PATTERN)
        if text is not None:
            ids.append(text)
    return tuple(ids)


def _factors(reader: Reader, value: Any) -> dict[str, Factor]:
    by_id: dict[str, Factor] = {}
    items = reader.items(value, "factors", limit=LIMITS["MAX_FACTORS"], minimum=1)
    seen: dict[str, int] = {}
    for index, raw in enumerate(items or ()):
        path = join("factors", index)
        factor_id = raw.get("id") if isinstance(raw, Mapping) else None
        if isinstance(factor_id, str) and factor_id in seen:
            reader.issues.add(
                "duplicate_id",
                join(path, "id"),
                f"{factor_id!r} is already factors[{seen[factor_id]}]",
                id=factor_id,
                first=f"factors[{seen[factor_id]}]",
            )
        elif isinstance(factor_id, str):
            seen[factor_id] = index
        factor = _factor(reader, raw, path)
        if factor is not None and factor.id not in by_id:
            by_id[factor.id] = factor
    return by_id


def parse_factor_dataset(data: bytes | str | Mapping[str, Any]) -> FactorDataset:
    """Parse and validate a ``tanji-factors/1`` document (JSON bytes/text, or decoded).

    Raises :class:`~verifier.protocol.accounting.errors.AccountingError` listing every fault of
    the document (every bad factor, not only the first).
    """
    document = data if isinstance(data, Mapping) else load_document(data, yaml_allowed=False)
    reader = Reader()
    found = reader.mapping(
        document,
        "",
        required=("format", "dataset", "version", "publisher", "published", "factors"),
        optional=("deprecates",),
    )
    if found is None:
        reader.issues.raise_if_any()
    assert found is not None
    if "format" in found and found["format"] != FACTORS_FORMAT:
        reader.issues.add("wrong_format", "format", f"format is {FACTORS_FORMAT}")
        reader.issues.raise_if_any()
    get = found.get
    dataset = reader.string(get("dataset", MISSING), "dataset", limit=63, pattern=DATASET_PATTERN)
    version = reader.string(get("version", MISSING), "version", limit=32, pattern=VERSION_PATTERN)
    publisher = _publisher(reader, get("publisher", MISSING), "publisher")
    published = _published(reader, get("published", MISSING), "published")
    deprecates = _deprecates(reader, get("deprecates", []), "deprecates")
    by_id = _factors(reader, get("factors", MISSING))
    reader.issues.raise_if_any()
    assert dataset and version and publisher and published
    return FactorDataset(
        dataset=dataset,
        version=version,
        publisher=publisher,
        published=published,
        deprecates=deprecates,
        factors=tuple(by_id.values()),
        digest=validated_digest(document),
        document=document,
        _by_id=MappingProxyType(by_id),
    )
