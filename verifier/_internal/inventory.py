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
    MISMATCH,
    Comparison,
    Finding,
    compare_disclosed_lines,
    compare_with_record,
    footprint_section,
)
from verifier.protocol.accounting.documents import MAX_DOCUMENT_BYTES
from verifier.protocol.accounting.errors import AccountingError
from verifier.protocol.accounting.factors import FactorDataset, parse_factor_dataset
from verifier.protocol.accounting.inventory import parse_inventory
from verifier.protocol.accounting.inventory_record import disclosed_document
from verifier.protocol.leaf import (
    commitments_digest,
    field_commitment,
    leaf_value,
    record_commitments,
)
from verifier.protocol.records import BUNDLE_FORMAT

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


def is_bundle(data: bytes) -> bool:
    """True when ``data`` is a ``tanji-bundle/1`` (an inventory record's bundle)."""
    if data.lstrip()[:1] != b"{":
        return False
    from verifier._internal.bundle import load_json

    try:
        obj = load_json(data)
    except BundleFormatError:
        return False
    return isinstance(obj, Mapping) and obj.get("format") == BUNDLE_FORMAT


def _from_bundle(
    data: bytes, file: str, record: Mapping[str, Any]
) -> tuple[dict[str, Any] | None, list[str], list[Finding]]:
    """The inventory document of an ``inventory`` bundle's disclosed lines, the hidden lines' ids,
    and what is wrong (the record does not give the bundle's leaf, it is another inventory than
    the footprint names, its header is hidden)."""
    from verifier._internal.bundle import parse_bundle

    try:
        bundle = parse_bundle(data)
    except BundleFormatError as exc:
        return None, [], [Finding("unreadable", ERROR, {"file": file, "error": str(exc)})]
    if bundle.salt is not None:
        commitments = record_commitments(bundle.record, bundle.salt)
    else:
        assert bundle.disclosure is not None
        salts = bundle.disclosure.salts
        commitments = {n: field_commitment(n, v, salts[n]) for n, v in bundle.record.items()}
        commitments.update(bundle.disclosure.hidden)
    expected = leaf_value(bundle.record, commitments_digest(commitments))
    if [str(v).lower() for v in bundle.leaf_value] != [str(v).lower() for v in expected]:
        return None, [], [Finding("inventory_tampered", MISMATCH, {"file": file})]
    section = footprint_section(record)
    calculation = section.get("calculation") if section is not None else None
    named = calculation.get("inventory_record") if isinstance(calculation, Mapping) else None
    if named is not None and named != bundle.record.get("id"):
        data_ = {"expected": str(named), "given": str(bundle.record.get("id"))}
        return None, [], [Finding("inventory_record", MISMATCH, data_)]
    try:
        document, hidden = disclosed_document(bundle.record)
    except AccountingError as exc:
        return None, [], _refused(file, exc)
    return document, hidden, []


def _read_datasets(factor_files: Sequence[str]) -> tuple[list[FactorDataset], list[Finding]]:
    datasets: list[FactorDataset] = []
    findings: list[Finding] = []
    for file in factor_files:
        try:
            datasets.append(parse_factor_dataset(_read(file)))
        except OSError as exc:
            findings.append(Finding("unreadable", ERROR, {"file": file, "error": exc.strerror}))
        except AccountingError as exc:
            findings += _refused(file, exc)
    return datasets, findings


def check_inventory(
    record: Mapping[str, Any] | bytes,
    inventory_file: str,
    factor_files: Sequence[str] = (),
) -> InventoryCheck:
    """Recompute the footprint of ``inventory_file`` with the dataset documents
    ``factor_files`` and compare it with ``record`` (a bundle's record, or the bundle's bytes).

    ``inventory_file`` is an inventory document or an ``inventory`` record's bundle
    (docs/PROTOCOL.md section 17.6); a bundle hiding some lines has its disclosed lines checked
    one by one against the record's line values.
    """
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
    datasets, findings = _read_datasets(factor_files)
    document: Mapping[str, Any] | bytes = inventory_data
    hidden: list[str] = []
    if is_bundle(inventory_data):
        found, hidden, faults = _from_bundle(inventory_data, inventory_file, record)
        if found is None:
            status = max((f.status for f in faults), key=[MATCH, MISMATCH, ERROR].index)
            return InventoryCheck(status, tuple(faults))
        document = found
    try:
        inventory = parse_inventory(document)
    except AccountingError as exc:
        return _error(*findings, *_refused(inventory_file, exc))
    if findings:
        return _error(*findings)
    from verifier.protocol.accounting.calculation import calculate

    try:
        footprint = calculate(inventory, datasets)
    except AccountingError as exc:
        return _error(*_refused(inventory_file, exc))
    if hidden:
        comparison = compare_disclosed_lines(footprint, record, hidden)
    else:
        comparison = compare_with_record(footprint, record)
    return InventoryCheck(comparison.status, comparison.findings, comparison)
