"""``tanji verify BUNDLE --inventory FILE [--factors FILE ...]``: recompute a footprint and compare.

Reads the disclosed inventory and the factor dataset versions it cites (from the inventory
bundle's ``factorDatasets``, or files given with ``--factors``), proves each version anchored and
signed by its publisher (:mod:`verifier._internal.datasets`), recomputes the footprint
(:mod:`verifier.protocol.accounting`) and compares it with the bundle's record. Every outcome,
the failures to read or compute included, is a
:class:`~verifier.protocol.accounting.compare.Finding` whose key names its report message
(``inventory.<key>``), so the command line tells each in any language.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from verifier._internal.datasets import (
    DATASETS_MEMBER,
    DatasetFiles,
    Verify,
    read_dataset_file,
    verify_datasets,
)
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
from verifier.protocol.accounting.errors import AccountingError, Issue
from verifier.protocol.accounting.inventory import parse_inventory
from verifier.protocol.accounting.inventory_record import disclosed_document
from verifier.protocol.languages import LANGUAGES
from verifier.protocol.leaf import (
    commitments_digest,
    field_commitment,
    leaf_value,
    record_commitments,
)
from verifier.protocol.messages import placeholders, report_entries, report_message
from verifier.protocol.records import BUNDLE_FORMAT

if TYPE_CHECKING:
    from verifier._internal.trust import TrustConfig

__all__ = ["InventoryCheck", "check_inventory"]

#: The report catalogue's keys of accounting faults: ``accounting.<issue code>``.
ACCOUNTING_PREFIX: Final = "accounting."
#: The status word a command line prints before an inventory check's first finding.
TAGS: Final = {MATCH: "MATCH", "MISMATCH": "MISMATCH", ERROR: "ERROR"}


@dataclass(frozen=True, slots=True)
class InventoryCheck:
    """The outcome of an inventory check: MATCH, MISMATCH or ERROR and its findings."""

    status: str
    findings: tuple[Finding, ...]
    comparison: Comparison | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON: status and findings, and the recomputed result when there is one."""
        found = {"status": self.status, "findings": [f.to_dict() for f in self.findings]}
        if self.comparison is not None:
            return self.comparison.to_dict() | found
        return found


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
            findings.append(Finding("dataset_not_given", ERROR, {"dataset": dataset, "url": None}))
        else:
            data = {
                "file": file,
                "code": issue.code,
                "path": issue.path,
                "message": issue.message,
                "reason": reasons(issue),
            }
            findings.append(Finding("refused", ERROR, data))
    return findings


def format_reasons(exc: BundleFormatError) -> dict[str, str]:
    """A malformed bundle told in every language: its format code's catalogue message."""
    from verifier.protocol.codes import Code
    from verifier.protocol.messages import message

    code = Code(exc.code) if exc.code is not None else Code.FORMAT_BAD_VALUE
    data = {"field": exc.field, "detail": str(exc)}
    return {lang: message(code, lang, data, check="format") for lang in LANGUAGES}


def reasons(issue: Issue) -> dict[str, str]:
    """An accounting fault told in every language, from the report catalogue's
    ``accounting.<code>`` filled from its details (its own English message if the catalogue has
    no entry for the code)."""
    key = f"{ACCOUNTING_PREFIX}{issue.code}"
    if key not in report_entries():
        return {lang: issue.message for lang in LANGUAGES}
    # A detail some raisers of the code do not give reads as nothing, not "?".
    absent = dict.fromkeys(placeholders(report_entries()[key]["en"]))
    data = {**absent, **issue.details, "path": issue.path}
    return {lang: report_message(key, lang, data) for lang in LANGUAGES}


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
        unreadable = {"file": file, "error": format_reasons(exc)}
        return None, [], [Finding("unreadable", ERROR, unreadable)]
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


def _read_datasets(factor_files: Sequence[str], embedded: Any) -> DatasetFiles:
    """The versions' bundles and documents: the inventory bundle's ``factorDatasets`` first,
    then each ``--factors`` file (a document given there replaces an embedded copy)."""
    files = DatasetFiles()
    if isinstance(embedded, list):
        for index, item in enumerate(embedded):
            files.add_bundle(item, f"{DATASETS_MEMBER}[{index}]")
    for file in factor_files:
        try:
            read_dataset_file(files, _read(file), file)
        except OSError as exc:
            files.findings.append(
                Finding("unreadable", ERROR, {"file": file, "error": exc.strerror})
            )
    return files


def _embedded_datasets(data: bytes) -> Any:
    """The ``factorDatasets`` member of an inventory bundle's JSON (``None`` without one)."""
    from verifier._internal.bundle import load_json

    try:
        obj = load_json(data)
    except BundleFormatError:
        return None
    return obj.get(DATASETS_MEMBER) if isinstance(obj, Mapping) else None


def _worst(findings: Sequence[Finding]) -> str:
    return max((f.status for f in findings), key=[MATCH, MISMATCH, ERROR].index, default=MATCH)


def _verdict(faults: Sequence[Finding], findings: Sequence[Finding]) -> str:
    """MISMATCH when a dataset version is proven wrong (tampered, revoked, badly signed), as an
    INVALID check outranks an ERROR; else the worst finding's status."""
    if any(f.status == MISMATCH for f in faults):
        return MISMATCH
    return _worst(findings)


def check_inventory(
    record: Mapping[str, Any] | bytes,
    inventory_file: str,
    factor_files: Sequence[str] = (),
    *,
    verify: Verify | None = None,
    trust: TrustConfig | None = None,
) -> InventoryCheck:
    """Recompute the footprint of ``inventory_file`` and compare it with ``record`` (a bundle's
    record, or the bundle's bytes).

    ``inventory_file`` is an inventory document or an ``inventory`` record's bundle
    (docs/PROTOCOL.md section 17.6); a bundle hiding some lines has its disclosed lines checked
    one by one against the record's line values. The factor-dataset versions come from the
    bundle's ``factorDatasets`` and from ``factor_files`` (version bundles or documents); each
    is proven with ``verify`` (``Verifier.verify``; offline checks when ``None``) and ``trust``
    (section 17.7) before it is computed with.
    """
    if isinstance(record, bytes):
        from verifier._internal.bundle import parse_bundle

        try:
            record = parse_bundle(record).record
        except BundleFormatError as exc:
            return _error(Finding("bundle_unreadable", ERROR, {"error": format_reasons(exc)}))
    try:
        inventory_data = _read(inventory_file)
    except OSError as exc:
        return _error(Finding("unreadable", ERROR, {"file": inventory_file, "error": exc.strerror}))
    document: Mapping[str, Any] | bytes = inventory_data
    hidden: list[str] = []
    embedded = None
    if is_bundle(inventory_data):
        found, hidden, faults = _from_bundle(inventory_data, inventory_file, record)
        if found is None:
            return InventoryCheck(_worst(faults), tuple(faults))
        document = found
        embedded = _embedded_datasets(inventory_data)
    files = _read_datasets(factor_files, embedded)
    try:
        inventory = parse_inventory(document)
    except AccountingError as exc:
        return _error(*files.findings, *_refused(inventory_file, exc))
    if files.findings:
        return _error(*files.findings)
    if verify is None:
        from verifier._internal.verifier import verify_offline

        verify = verify_offline
    datasets, faults, verified = verify_datasets(inventory.factor_datasets, files, verify, trust)
    from verifier.protocol.accounting.calculation import calculate

    try:
        footprint = calculate(inventory, datasets)
    except AccountingError as exc:
        reported = {f.data.get("dataset") for f in faults}
        refused = [
            f
            for f in _refused(inventory_file, exc)
            if not (f.key == "dataset_not_given" and f.data.get("dataset") in reported)
            and not (f.data.get("code") == "digest_mismatch" and faults)
        ]
        findings = (*faults, *refused)
        return InventoryCheck(_verdict(faults, findings), findings)
    if hidden:
        comparison = compare_disclosed_lines(footprint, record, hidden)
    else:
        comparison = compare_with_record(footprint, record)
    findings = (*faults, *comparison.findings, *verified)
    return InventoryCheck(_verdict(faults, findings), findings, comparison)
