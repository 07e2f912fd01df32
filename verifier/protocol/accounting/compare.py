"""Comparing a recomputed footprint with an anchored record (``tanji verify --inventory``).

The record is a ``footprint`` record, or a ``label`` record whose ``footprint`` section holds the
same members. A footprint Tanji computed carries ``calculation`` (docs/ACCOUNTING.md, "A computed
footprint's record"): the engine, the inventory digest, the factor dataset versions and the exact
result, optionally root line values. The comparison goes from the inputs to the result, so the
first finding says where a difference starts: a dataset version the record does not name (not
anchored with the footprint), the inventory digest, the first line whose value differs, the total.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from verifier.protocol.accounting.calculation import Footprint
from verifier.protocol.accounting.decimals import LINE_EXPONENT, fixed, read_decimal
from verifier.protocol.accounting.formats import ENGINE_VERSION

__all__ = [
    "ERROR",
    "MATCH",
    "MISMATCH",
    "Comparison",
    "Finding",
    "compare_disclosed_lines",
    "compare_with_record",
]

MATCH: Final = "MATCH"
MISMATCH: Final = "MISMATCH"
ERROR: Final = "ERROR"
_RANK: Final = {MATCH: 0, MISMATCH: 1, ERROR: 2}


@dataclass(frozen=True, slots=True)
class Finding:
    """One result of the comparison: ``key`` names its report message
    (``inventory.<key>`` in verifier/protocol/report_messages.json), filled from ``data``."""

    key: str
    status: str
    data: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """``{"key", "status", "data"}``."""
        return {"key": self.key, "status": self.status, "data": dict(self.data)}


@dataclass(frozen=True, slots=True)
class Comparison:
    """The outcome: ``status`` is the worst finding's (MATCH, MISMATCH, ERROR)."""

    status: str
    findings: tuple[Finding, ...]
    footprint: Footprint

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: status, findings, and the recomputed result."""
        return {
            "status": self.status,
            "findings": [f.to_dict() for f in self.findings],
            "computed": {
                "engine": self.footprint.engine,
                "inventory_digest": self.footprint.inventory_digest,
                "kg_co2e_per_unit": fixed(self.footprint.kg_co2e_per_unit, LINE_EXPONENT),
                "factor_datasets": [r.to_dict() for r in self.footprint.factor_datasets],
            },
        }


def footprint_section(record: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The members of a footprint in ``record``: the record itself for a ``footprint`` record,
    its ``footprint`` section for a ``label`` record; ``None`` otherwise."""
    if record.get("type") == "footprint":
        return record
    section = record.get("footprint")
    return section if isinstance(section, Mapping) else None


def _datasets(footprint: Footprint, calculation: Mapping[str, Any]) -> list[Finding]:
    named = calculation.get("factor_datasets")
    if not isinstance(named, list):
        return [Finding("no_datasets", ERROR)]
    anchored = {
        (d.get("dataset"), d.get("version")): d.get("digest")
        for d in named
        if isinstance(d, Mapping)
    }
    findings = []
    for ref in footprint.factor_datasets:
        digest = anchored.get((ref.dataset, ref.version))
        if digest is None:
            findings.append(Finding("dataset_not_anchored", MISMATCH, {"dataset": ref.ref}))
        elif str(digest).lower() != ref.digest:
            findings.append(
                Finding(
                    "dataset_digest",
                    MISMATCH,
                    {"dataset": ref.ref, "expected": digest, "computed": ref.digest},
                )
            )
    used = {(ref.dataset, ref.version) for ref in footprint.factor_datasets}
    for dataset, version in anchored:
        if (dataset, version) not in used:
            findings.append(
                Finding("dataset_not_used", MISMATCH, {"dataset": f"{dataset}@{version}"})
            )
    return findings


def _lines(footprint: Footprint, values: Any) -> list[Finding]:
    if not isinstance(values, Mapping):
        return []
    for line in footprint.lines:
        expected = values.get(line.id)
        if expected is None:
            return [Finding("line_not_recorded", MISMATCH, {"line": line.id})]
        number = read_decimal(str(expected))
        if number is None or number != line.kg_co2e:
            return [
                Finding(
                    "line_mismatch",
                    MISMATCH,
                    {
                        "line": line.id,
                        "path": line.path,
                        "expected": str(expected),
                        "computed": fixed(line.kg_co2e, LINE_EXPONENT),
                    },
                )
            ]
    ids = {line.id for line in footprint.lines}
    extra = [name for name in values if str(name) not in ids]
    if extra:
        return [Finding("line_not_disclosed", MISMATCH, {"line": str(extra[0])})]
    return []


def _total(footprint: Footprint, section: Mapping[str, Any], exact: Any) -> list[Finding]:
    computed = footprint.kg_co2e_per_unit
    shown = fixed(computed, LINE_EXPONENT)
    if exact is not None:
        number = read_decimal(str(exact))
        if number is not None and number == computed:
            return [Finding("match", MATCH, {"value": shown, "engine": footprint.engine})]
        return [Finding("total_mismatch", MISMATCH, {"expected": str(exact), "computed": shown})]
    recorded = section.get("kg_co2e_per_unit")
    if isinstance(recorded, bool) or not isinstance(recorded, int | float):
        return [Finding("no_value", ERROR)]
    # A record without the exact result holds the double nearest it.
    if float(computed) == float(recorded):
        return [Finding("match", MATCH, {"value": shown, "engine": footprint.engine})]
    return [Finding("total_mismatch", MISMATCH, {"expected": repr(recorded), "computed": shown})]


def compare_with_record(footprint: Footprint, record: Mapping[str, Any]) -> Comparison:
    """Compare a recomputed ``footprint`` with a bundle's ``record`` (footprint or label)."""
    section = footprint_section(record)
    findings: list[Finding] = []
    if section is None:
        findings.append(Finding("no_footprint", ERROR, {"type": str(record.get("type"))}))
    else:
        calculation = section.get("calculation")
        exact = None
        if isinstance(calculation, Mapping):
            engine = calculation.get("engine")
            if engine != ENGINE_VERSION:
                findings.append(
                    Finding("engine", ERROR, {"engine": str(engine), "ours": ENGINE_VERSION})
                )
            findings += _datasets(footprint, calculation)
            digest = str(calculation.get("inventory_digest", "")).lower()
            if digest != footprint.inventory_digest:
                findings.append(
                    Finding(
                        "inventory_digest",
                        MISMATCH,
                        {"expected": digest, "computed": footprint.inventory_digest},
                    )
                )
            findings += _lines(footprint, calculation.get("line_values"))
            exact = calculation.get("kg_co2e_per_unit")
        findings += _total(footprint, section, exact)
    status = max((f.status for f in findings), key=_RANK.__getitem__, default=MATCH)
    return Comparison(status, tuple(findings), footprint)


def compare_disclosed_lines(
    footprint: Footprint, record: Mapping[str, Any], hidden: list[str]
) -> Comparison:
    """Compare the lines of a partly disclosed inventory (``footprint`` computed from its
    disclosed lines only) with the record's ``calculation.line_values``, one by one.

    The total and the inventory digest cannot be recomputed without every line: the findings are
    the first line that differs, or ``lines_match`` naming the lines checked and how many were not
    shown; a record without line values gives ``no_line_values`` (ERROR).
    """
    section = footprint_section(record)
    findings: list[Finding] = []
    if section is None:
        findings.append(Finding("no_footprint", ERROR, {"type": str(record.get("type"))}))
    else:
        calculation = section.get("calculation")
        values = calculation.get("line_values") if isinstance(calculation, Mapping) else None
        if not isinstance(values, Mapping):
            findings.append(Finding("no_line_values", ERROR))
        else:
            engine = calculation.get("engine") if isinstance(calculation, Mapping) else None
            if engine != ENGINE_VERSION:
                findings.append(
                    Finding("engine", ERROR, {"engine": str(engine), "ours": ENGINE_VERSION})
                )
            assert isinstance(calculation, Mapping)
            findings += _datasets_named(footprint, calculation)
            findings += _lines(footprint, {k: v for k, v in values.items() if k not in hidden})
            if not findings:
                checked = ", ".join(line.id for line in footprint.lines)
                data = {"lines": checked, "count": len(footprint.lines), "hidden": len(hidden)}
                findings.append(Finding("lines_match", MATCH, data))
    status = max((f.status for f in findings), key=_RANK.__getitem__, default=MATCH)
    return Comparison(status, tuple(findings), footprint)


def _datasets_named(footprint: Footprint, calculation: Mapping[str, Any]) -> list[Finding]:
    """:func:`_datasets` without ``dataset_not_used`` (hidden lines may use the others)."""
    return [f for f in _datasets(footprint, calculation) if f.key != "dataset_not_used"]
