"""``tanji verify BUNDLE --inventory FILE [--factors FILE ...]``: recompute a footprint and compare.

Reads the disclosed inventory and the factor dataset documents, recomputes the footprint
(:mod:`verifier.protocol.accounting`) and compares it with the bundle's record. Every outcome,
the failures to read or compute included, is a
:class:`~verifier.protocol.accounting.compare.Finding` whose key names its report message
(``inventory.<key>``), so the command line tells each in any language.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from verifier.errors import BundleFormatError
from verifier.protocol.accounting.compare import (
    ERROR,
    MATCH,
    Comparison,
    Finding,
    compare_with_record,
)
from verifier.protocol.accounting.documents import MAX_DOCUMENT_BYTES
from verifier.protocol.accounting.errors import AccountingError
from verifier.protocol.accounting.factors import FactorDataset, parse_factor_dataset
from verifier.protocol.accounting.inventory import parse_inventory

__all__ = ["InventoryCheck", "check_inventory"]

#: The status word a command line prints before an inventory check's first finding.
TAGS: Final = {MATCH: "MATCH", "MISMATCH": "MISMATCH", ERROR: "ERROR"}


@dataclass(frozen=True, slots=True)
class InventoryCheck:
    """The outcome of an inventory check: MATCH, MISMATCH or ERROR and its findings."""

    status: str
    findings: tuple[Finding, ...]
    comparison: Comparison | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON: the comparison's form when there is one, else status and findings."""
        if self.comparison is not None:
            return self.comparison.to_dict()
        return {"status": self.status, "findings": [f.to_dict() for f in self.findings]}


def _error(*findings: Finding) -> InventoryCheck:
    return InventoryCheck(ERROR, findings)


def _read(path: str) -> bytes:
    with open(path, "rb") as f:
        data = f.read(MAX_DOCUMENT_BYTES + 1)
    return data


def _refused(file: str, exc: AccountingError) -> list[Finding]:
    """One finding per fault; a dataset the calculation lacks is "not given"."""
    findings = []
    for issue in exc.issues:
        if issue.code == "dataset_missing":
            dataset = f"{issue.details.get('dataset')}@{issue.details.get('version')}"
            findings.append(Finding("dataset_not_given", ERROR, {"dataset": dataset}))
        else:
            data = {"file": file, "code": issue.code, "path": issue.path, "message": issue.message}
            findings.append(Finding("refused", ERROR, data))
    return findings


def check_inventory(
    record: Mapping[str, Any] | bytes,
    inventory_file: str,
    factor_files: Sequence[str] = (),
) -> InventoryCheck:
    """Recompute the footprint of ``inventory_file`` with the dataset documents
    ``factor_files`` and compare it with ``record`` (a bundle's record, or the bundle's bytes)."""
    if isinstance(record, bytes):
        from verifier._internal.bundle import parse_bundle

        try:
            record = parse_bundle(record).record
        except BundleFormatError as exc:
            return _error(Finding("bundle_unreadable", ERROR, {"error": str(exc)}))
    try:
        inventory_data = _read(inventory_file)
    except OSError as exc:
        return _error(Finding("unreadable", ERROR, {"file": inventory_file, "error": exc.strerror}))
    datasets: list[FactorDataset] = []
    findings: list[Finding] = []
    for file in factor_files:
        try:
            datasets.append(parse_factor_dataset(_read(file)))
        except OSError as exc:
            findings.append(Finding("unreadable", ERROR, {"file": file, "error": exc.strerror}))
        except AccountingError as exc:
            findings += _refused(file, exc)
    try:
        inventory = parse_inventory(inventory_data)
    except AccountingError as exc:
        return _error(*findings, *_refused(inventory_file, exc))
    if findings:
        return _error(*findings)
    from verifier.protocol.accounting.calculation import calculate

    try:
        footprint = calculate(inventory, datasets)
    except AccountingError as exc:
        return _error(*_refused(inventory_file, exc))
    comparison = compare_with_record(footprint, record)
    return InventoryCheck(comparison.status, comparison.findings, comparison)
