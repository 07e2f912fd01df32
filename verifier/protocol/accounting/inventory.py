"""Inventories (``tanji-inventory/1``): parsing and validating one, every bad line reported.

Structural checks happen here (shape, decimals, units, which dataset version or sub-inventory a
line names, a line's unit against its component's or sub-inventory's); what needs the factor
datasets (the factor exists, its unit fits) happens in :mod:`.calculation`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final

from verifier.protocol.accounting.documents import load_document, validated_digest
from verifier.protocol.accounting.errors import Issues
from verifier.protocol.accounting.factors import Uncertainty, read_uncertainty
from verifier.protocol.accounting.formats import (
    ALLOCATION_METHODS,
    DATASET_PATTERN,
    ID_PATTERN,
    INVENTORY_FORMAT,
    LIMITS,
    LINE_KINDS,
    STAGES,
    VERSION_PATTERN,
)
from verifier.protocol.accounting.gwp import GASES, GWP_SETS
from verifier.protocol.accounting.reader import MISSING, Reader, join
from verifier.protocol.accounting.units import (
    EmissionUnit,
    Unit,
    UnitError,
    parse_emission_unit,
    parse_unit,
)

__all__ = [
    "Component",
    "DatasetRef",
    "FactorRef",
    "Inventory",
    "Line",
    "parse_inventory",
]

_DIGEST: Final = re.compile(r"0x[0-9a-f]{64}")
_GTIN: Final = re.compile(r"[0-9]{8,14}")
_SOURCES: Final = ("factor", "component", "subInventory", "gas")
_LINE_OPTIONAL: Final = (*_SOURCES, "uncertainty", "name", "notes")
_ROOT_REQUIRED: Final = (
    "format",
    "id",
    "category",
    "declaredUnit",
    "gwp",
    "allocation",
    "factorDatasets",
    "lines",
)
_SUB_REQUIRED: Final = ("format", "id", "declaredUnit", "gwp", "allocation", "lines")
_OPTIONAL: Final = ("product", "cutOff", "subInventories", "notes", "category", "factorDatasets")


@dataclass(frozen=True, slots=True)
class DatasetRef:
    """A factor dataset version an inventory uses, with the digest it was used at."""

    dataset: str
    version: str
    digest: str

    @property
    def ref(self) -> str:
        """``dataset@version``."""
        return f"{self.dataset}@{self.version}"

    def to_dict(self) -> dict[str, str]:
        """``{"dataset", "version", "digest"}``."""
        return {"dataset": self.dataset, "version": self.version, "digest": self.digest}


@dataclass(frozen=True, slots=True)
class FactorRef:
    """A line's factor: dataset, version and factor id."""

    dataset: str
    version: str
    id: str

    def __str__(self) -> str:
        return f"{self.dataset}@{self.version}:{self.id}"


@dataclass(frozen=True, slots=True)
class Component:
    """A line's verified supplier attestation (primary data): its declared value and unit."""

    attestation: str
    value: Decimal
    unit: EmissionUnit


@dataclass(frozen=True, slots=True)
class Line:
    """One inventory line; exactly one of ``factor``, ``component``, ``sub_inventory``, ``gas``."""

    id: str
    kind: str
    stage: str
    amount: Decimal
    unit: Unit
    path: str
    factor: FactorRef | None = None
    component: Component | None = None
    sub_inventory: str | None = None
    gas: str | None = None
    uncertainty: Uncertainty | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Inventory:
    """A parsed inventory (or sub-inventory); ``digest`` is keccak256(JCS(document))."""

    id: str
    category: str | None
    declared_amount: Decimal
    declared_unit: Unit
    gwp: str
    allocation_method: str
    share: Decimal
    excluded_share: Decimal
    factor_datasets: tuple[DatasetRef, ...]
    lines: tuple[Line, ...]
    sub_inventories: tuple[Inventory, ...]
    digest: str
    path: str
    document: Mapping[str, Any] = field(repr=False)

    def sub_inventory(self, inventory_id: str) -> Inventory | None:
        """The direct sub-inventory with ``inventory_id``, or ``None``."""
        return next((s for s in self.sub_inventories if s.id == inventory_id), None)

    def walk(self) -> Iterator[Inventory]:
        """This inventory and every sub-inventory below it, depth first."""
        yield self
        for sub in self.sub_inventories:
            yield from sub.walk()


@dataclass
class _Tree:
    """What the parse of a whole tree keeps track of across inventories."""

    reader: Reader
    datasets: dict[tuple[str, str], DatasetRef]
    gwp: str | None = None
    ids: dict[str, str] = field(default_factory=dict)
    #: Factor references already accepted, by their three strings (lines repeat them).
    refs: dict[tuple[str, str, str], FactorRef] = field(default_factory=dict)
    lines: int = 0
    subs: int = 0


def _unit(reader: Reader, value: Any, path: str) -> Unit | None:
    if value is MISSING:
        return None
    try:
        return parse_unit(value)
    except (UnitError, TypeError) as exc:
        reader.issues.add("bad_unit", path, str(exc))
        return None


def _mismatch(reader: Reader, path: str, unit: Unit, expected: str, what: str) -> None:
    reader.issues.add(
        "unit_mismatch",
        path,
        f"{unit.text!r} does not convert to {expected!r} ({what})",
        unit=unit.text,
        factorUnit=expected,
    )


def _dataset_refs(reader: Reader, value: Any, path: str) -> dict[tuple[str, str], DatasetRef]:
    refs: dict[tuple[str, str], DatasetRef] = {}
    for index, raw in enumerate(reader.items(value, path, limit=LIMITS["MAX_DATASETS"]) or ()):
        where = join(path, index)
        found = reader.mapping(raw, where, required=("dataset", "version", "digest"))
        if found is None:
            continue
        dataset = reader.string(
            found.get("dataset", MISSING), join(where, "dataset"), limit=63, pattern=DATASET_PATTERN
        )
        version = reader.string(
            found.get("version", MISSING), join(where, "version"), limit=32, pattern=VERSION_PATTERN
        )
        digest = reader.string(
            found.get("digest", MISSING), join(where, "digest"), limit=66, pattern=_DIGEST
        )
        if dataset is None or version is None or digest is None:
            continue
        if (dataset, version) in refs:
            reader.issues.add(
                "duplicate_id",
                where,
                f"{dataset}@{version} is listed twice",
                id=f"{dataset}@{version}",
            )
            continue
        refs[(dataset, version)] = DatasetRef(dataset, version, digest)
    return refs


def _factor_ref(tree: _Tree, value: Any, path: str) -> FactorRef | None:
    if type(value) is dict and len(value) == 3:
        key = (value.get("dataset"), value.get("version"), value.get("id"))
        known = tree.refs.get(key)  # type: ignore[arg-type]
        if known is not None:
            return known
    reader = tree.reader
    found = reader.mapping(value, path, required=("dataset", "version", "id"))
    if found is None:
        return None
    dataset = reader.string(found.get("dataset", MISSING), join(path, "dataset"), limit=63)
    version = reader.string(found.get("version", MISSING), join(path, "version"), limit=32)
    factor_id = reader.string(
        found.get("id", MISSING), join(path, "id"), limit=LIMITS["MAX_ID"], pattern=ID_PATTERN
    )
    if dataset is None or version is None or factor_id is None:
        return None
    if (dataset, version) not in tree.datasets:
        reader.issues.add(
            "unknown_dataset",
            path,
            f"{dataset}@{version} is not in the inventory's factorDatasets",
            dataset=dataset,
            version=version,
        )
        return None
    ref = FactorRef(dataset, version, factor_id)
    if len(found) == 3:
        tree.refs[(dataset, version, factor_id)] = ref
    return ref


def _component(reader: Reader, value: Any, path: str) -> Component | None:
    found = reader.mapping(value, path, required=("attestation", "value", "unit"))
    if found is None:
        return None
    attestation = reader.string(
        found.get("attestation", MISSING), join(path, "attestation"), limit=66, pattern=_DIGEST
    )
    number = reader.decimal(found.get("value", MISSING), join(path, "value"))
    unit: EmissionUnit | None = None
    if "unit" in found:
        try:
            unit = parse_emission_unit(found["unit"])
        except (UnitError, TypeError) as exc:
            reader.issues.add("bad_unit", join(path, "unit"), str(exc))
    if attestation is None or number is None or unit is None:
        return None
    return Component(attestation.lower(), number, unit)


def _line_source(
    tree: _Tree, found: Mapping[str, Any], path: str, *, kind: str | None, unit: Unit | None
) -> dict[str, Any] | None:
    """The line's source member as Line keyword arguments (``None`` after an issue)."""
    reader = tree.reader
    given = [name for name in _SOURCES if name in found]
    if len(given) != 1:
        reader.issues.add(
            "missing_field" if not given else "bad_value",
            path,
            "a line has exactly one of factor, component, subInventory, gas",
            given=given,
        )
        return None
    name = given[0]
    where = join(path, name)
    if name == "factor":
        ref = _factor_ref(tree, found[name], where)
        return None if ref is None else {"factor": ref}
    if name == "component":
        component = _component(reader, found[name], where)
        if component is None:
            return None
        if unit is not None and not unit.fits(component.unit.per):
            _mismatch(reader, join(path, "unit"), unit, component.unit.per.text, "the component")
            return None
        return {"component": component}
    if name == "subInventory":
        sub = reader.string(found[name], where, limit=LIMITS["MAX_ID"], pattern=ID_PATTERN)
        return None if sub is None else {"sub_inventory": sub}
    gas = reader.string(found[name], where, limit=32, choices=GASES)
    if gas is None:
        return None
    if kind != "process":
        reader.issues.add("bad_value", where, "only a process line has a gas")
        return None
    if tree.gwp is not None and gas not in GWP_SETS[tree.gwp].values:
        reader.issues.add(
            "unknown_gas", where, f"{tree.gwp} has no value for {gas}", gas=gas, gwp=tree.gwp
        )
        return None
    if unit is not None and not unit.fits(parse_unit("kg")):
        _mismatch(reader, join(path, "unit"), unit, "kg", f"a mass of {gas}")
        return None
    return {"gas": gas}


def _line(tree: _Tree, raw: Any, path: str) -> Line | None:
    reader = tree.reader
    before = len(reader.issues)
    found = reader.mapping(
        raw, path, required=("id", "kind", "stage", "amount", "unit"), optional=_LINE_OPTIONAL
    )
    if found is None:
        return None
    line_id = reader.string(
        found.get("id", MISSING), join(path, "id"), limit=LIMITS["MAX_ID"], pattern=ID_PATTERN
    )
    kind = reader.string(found.get("kind", MISSING), join(path, "kind"), choices=LINE_KINDS)
    stage = reader.string(found.get("stage", MISSING), join(path, "stage"), choices=STAGES)
    amount = reader.decimal(found.get("amount", MISSING), join(path, "amount"))
    unit = _unit(reader, found.get("unit", MISSING), join(path, "unit"))
    source = _line_source(tree, found, path, kind=kind, unit=unit)
    uncertainty = None
    if "uncertainty" in found:
        uncertainty = read_uncertainty(
            reader, found["uncertainty"], join(path, "uncertainty"), central=amount
        )
    name = None
    if "name" in found:
        name = reader.string(found["name"], join(path, "name"), limit=LIMITS["MAX_NAME"])
    if "notes" in found:
        reader.string(found["notes"], join(path, "notes"), limit=LIMITS["MAX_NOTES"])
    if len(reader.issues) != before:
        return None
    assert line_id and kind and stage and amount is not None and unit and source is not None
    return Line(
        line_id, kind, stage, amount, unit, path, uncertainty=uncertainty, name=name, **source
    )


def _lines(tree: _Tree, value: Any, path: str) -> list[Line]:
    reader = tree.reader
    items = reader.items(value, path, limit=LIMITS["MAX_LINES"], minimum=1)
    if items is None:
        return []
    tree.lines += len(items)
    if tree.lines > LIMITS["MAX_TREE_LINES"]:
        reader.issues.add(
            "too_many", path, f"at most {LIMITS['MAX_TREE_LINES']} lines in an inventory tree"
        )
        return []
    lines: list[Line] = []
    seen: dict[str, str] = {}
    for index, raw in enumerate(items):
        where = join(path, index)
        line_id = raw.get("id") if isinstance(raw, Mapping) else None
        if isinstance(line_id, str) and line_id in seen:
            reader.issues.add(
                "duplicate_id",
                join(where, "id"),
                f"{line_id!r} is already {seen[line_id]}",
                id=line_id,
                first=seen[line_id],
            )
        elif isinstance(line_id, str):
            seen[line_id] = where
        line = _line(tree, raw, where)
        if line is not None:
            lines.append(line)
    return lines


def _allocation(reader: Reader, value: Any, path: str) -> tuple[str, Decimal] | None:
    found = reader.mapping(value, path, required=("method",), optional=("share",))
    if found is None:
        return None
    method = reader.string(
        found.get("method", MISSING), join(path, "method"), choices=ALLOCATION_METHODS
    )
    if method is None:
        return None
    if "share" not in found:
        if method != "none":
            reader.issues.add(
                "missing_field", join(path, "share"), f"{method} allocation needs a share"
            )
            return None
        return method, Decimal(1)
    share = reader.decimal(found["share"], join(path, "share"), positive=True, maximum=Decimal(1))
    if share is None:
        return None
    if method == "none" and share != 1:
        reader.issues.add("bad_number", join(path, "share"), 'method "none" has share 1')
        return None
    return method, share


def _cut_off(reader: Reader, value: Any, path: str) -> Decimal | None:
    found = reader.mapping(value, path, required=("excludedShare",), optional=("notes",))
    if found is None:
        return None
    if "notes" in found:
        reader.string(found["notes"], join(path, "notes"), limit=LIMITS["MAX_NOTES"])
    return reader.decimal(
        found.get("excludedShare", MISSING), join(path, "excludedShare"), maximum=Decimal(1)
    )


def _product(reader: Reader, value: Any, path: str) -> None:
    found = reader.mapping(value, path, optional=("names", "gtin"))
    if found is None:
        return
    if "names" in found:
        reader.names(found["names"], join(path, "names"), required=())
    if "gtin" in found:
        reader.string(found["gtin"], join(path, "gtin"), limit=14, pattern=_GTIN)


def _check_ids(tree: _Tree, inventory_id: str | None, path: str) -> None:
    if inventory_id is None:
        return
    if inventory_id in tree.ids:
        tree.reader.issues.add(
            "duplicate_id",
            join(path, "id"),
            f"the inventory id {inventory_id!r} is already {tree.ids[inventory_id] or 'the root'}",
            id=inventory_id,
        )
    else:
        tree.ids[inventory_id] = path


def _sub_inventories(
    tree: _Tree, value: Any, path: str, depth: int
) -> tuple[list[Inventory], set[str]]:
    """The sub-inventories that parse, and the ids of those that do not (already reported)."""
    reader = tree.reader
    items = reader.items(value, path, limit=LIMITS["MAX_SUB_INVENTORIES"])
    if items is None:
        return [], set()
    if items and depth >= LIMITS["MAX_DEPTH"]:
        reader.issues.add(
            "too_deep", path, f"sub-inventories nest at most {LIMITS['MAX_DEPTH']} levels"
        )
        return [], set()
    tree.subs += len(items)
    if tree.subs > LIMITS["MAX_SUB_INVENTORIES"]:
        reader.issues.add(
            "too_many", path, f"at most {LIMITS['MAX_SUB_INVENTORIES']} sub-inventories"
        )
        return [], set()
    subs: list[Inventory] = []
    failed: set[str] = set()
    for index, raw in enumerate(items):
        sub = _inventory(tree, raw, join(path, index), depth + 1)
        if sub is not None:
            subs.append(sub)
        elif isinstance(raw, Mapping) and isinstance(raw.get("id"), str):
            failed.add(raw["id"])
    return subs, failed


def _link_subs(reader: Reader, lines: list[Line], subs: list[Inventory], failed: set[str]) -> None:
    """Each ``subInventory`` line names a direct sub-inventory whose declared unit it fits
    (a sub-inventory refused on its own is not reported again)."""
    by_id = {sub.id: sub for sub in subs}
    for line in lines:
        if line.sub_inventory is None or line.sub_inventory in failed:
            continue
        sub = by_id.get(line.sub_inventory)
        if sub is None:
            reader.issues.add(
                "unknown_sub_inventory",
                join(line.path, "subInventory"),
                f"no sub-inventory {line.sub_inventory!r} under this inventory",
                id=line.sub_inventory,
            )
        elif not line.unit.fits(sub.declared_unit):
            _mismatch(
                reader,
                join(line.path, "unit"),
                line.unit,
                sub.declared_unit.text,
                f"the declared unit of {sub.id}",
            )


def _gwp_and_datasets(tree: _Tree, found: Mapping[str, Any], path: str, root: bool) -> str | None:
    """The inventory's GWP set; the root's also sets the tree's, with its dataset versions."""
    reader = tree.reader
    gwp = reader.string(found.get("gwp", MISSING), join(path, "gwp"), choices=tuple(GWP_SETS))
    if root:
        tree.gwp = gwp
        tree.datasets = _dataset_refs(
            reader, found.get("factorDatasets", MISSING), join(path, "factorDatasets")
        )
        return gwp
    if gwp is not None and tree.gwp is not None and gwp != tree.gwp:
        reader.issues.add(
            "gwp_mismatch",
            join(path, "gwp"),
            f"a sub-inventory uses the root's GWP set {tree.gwp}, not {gwp}",
            gwp=gwp,
            expected=tree.gwp,
        )
    if "factorDatasets" in found:
        own = _dataset_refs(reader, found["factorDatasets"], join(path, "factorDatasets"))
        for key, ref in own.items():
            if tree.datasets.get(key) != ref:
                reader.issues.add(
                    "unknown_dataset",
                    join(path, "factorDatasets"),
                    f"{ref.ref} at {ref.digest} is not in the root's factorDatasets",
                    dataset=ref.dataset,
                    version=ref.version,
                )
    return gwp


def _declared(reader: Reader, value: Any, path: str) -> tuple[Decimal | None, Unit | None]:
    declared = reader.mapping(value, path, required=("amount", "unit"))
    if declared is None:
        return None, None
    amount = reader.decimal(declared.get("amount", MISSING), join(path, "amount"), positive=True)
    return amount, _unit(reader, declared.get("unit", MISSING), join(path, "unit"))


def _optional_members(reader: Reader, found: Mapping[str, Any], path: str) -> Decimal:
    """Check ``product`` and ``notes``; return ``cutOff.excludedShare`` (0 when absent)."""
    if "product" in found:
        _product(reader, found["product"], join(path, "product"))
    if "notes" in found:
        reader.string(found["notes"], join(path, "notes"), limit=LIMITS["MAX_NOTES"])
    if "cutOff" in found:
        return _cut_off(reader, found["cutOff"], join(path, "cutOff")) or Decimal(0)
    return Decimal(0)


def _inventory(tree: _Tree, raw: Any, path: str, depth: int) -> Inventory | None:
    reader = tree.reader
    before = len(reader.issues)
    root = depth == 0
    required = _ROOT_REQUIRED if root else _SUB_REQUIRED
    found = reader.mapping(raw, path, required=required, optional=_OPTIONAL)
    if found is None:
        return None
    if "format" in found and found["format"] != INVENTORY_FORMAT:
        reader.issues.add("wrong_format", join(path, "format"), f"format is {INVENTORY_FORMAT}")
        return None
    inventory_id = reader.string(
        found.get("id", MISSING), join(path, "id"), limit=LIMITS["MAX_ID"], pattern=ID_PATTERN
    )
    _check_ids(tree, inventory_id, path)
    category = None
    if "category" in found:
        category = reader.string(found["category"], join(path, "category"), limit=64)
    gwp = _gwp_and_datasets(tree, found, path, root)
    amount, unit = _declared(reader, found.get("declaredUnit", MISSING), join(path, "declaredUnit"))
    allocation = _allocation(reader, found.get("allocation", MISSING), join(path, "allocation"))
    excluded = _optional_members(reader, found, path)
    subs, failed = _sub_inventories(
        tree, found.get("subInventories", []), join(path, "subInventories"), depth
    )
    lines = _lines(tree, found.get("lines", MISSING), join(path, "lines"))
    _link_subs(reader, lines, subs, failed)
    if len(reader.issues) != before:
        return None
    assert inventory_id and gwp and amount and unit and allocation
    return Inventory(
        id=inventory_id,
        category=category,
        declared_amount=amount,
        declared_unit=unit,
        gwp=gwp,
        allocation_method=allocation[0],
        share=allocation[1],
        excluded_share=excluded,
        factor_datasets=tuple(tree.datasets.values()) if root else (),
        lines=tuple(lines),
        sub_inventories=tuple(subs),
        digest=validated_digest(found),
        path=path,
        document=MappingProxyType(dict(found)),
    )


def parse_inventory(data: bytes | str | Mapping[str, Any]) -> Inventory:
    """Parse and validate a ``tanji-inventory/1`` (JSON or YAML bytes/text, or decoded).

    Raises :class:`~verifier.protocol.accounting.errors.AccountingError` listing every fault
    (every bad line of every sub-inventory), each with its code and path.
    """
    document = data if isinstance(data, Mapping) else load_document(data)
    tree = _Tree(Reader(Issues()), {})
    inventory = _inventory(tree, document, "", 0)
    tree.reader.issues.raise_if_any()
    assert inventory is not None
    return inventory
