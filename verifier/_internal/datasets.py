"""Factor-dataset versions under ``tanji verify --inventory``: found, proven, then computed with.

A computed footprint names the factor-dataset versions it was computed with. Before the verifier
recomputes with a version's ``tanji-factors/1`` document it proves that the document is what its
publisher signed and Tanji anchored (docs/PROTOCOL.md section 17.7):

1. the version's own ``factor_dataset`` record bundle (carried in the inventory bundle's
   ``factorDatasets``, or given with ``--factors``) verifies like any bundle: format, integrity,
   inclusion and, online, anchored on a trusted contract by a trusted issuer and not revoked (a
   publisher's revoked key revokes the versions it signed, as it does a supplier's attestations);
2. the record's EIP-712 signature recovers to its signer, in a domain the trust file trusts;
3. the document (the version bundle's ``document``, or a ``tanji-factors/1`` file given with
   ``--factors``) has the signed digest, names that dataset and version, and its
   ``publisher.address`` is the signer.

Each version the inventory cites gets one finding: a fault naming ``dataset@version`` (INVALID
is ``MISMATCH``: tampered, not anchored on chain, revoked, badly signed; ``ERROR``: not given, no
anchored record given, pending, the chain did not answer) or ``dataset_verified``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from verifier.errors import AttestationError, BundleFormatError
from verifier.protocol.accounting.compare import ERROR, MATCH, MISMATCH, Finding
from verifier.protocol.accounting.documents import document_digest
from verifier.protocol.accounting.errors import AccountingError
from verifier.protocol.accounting.factors import FactorDataset, parse_factor_dataset
from verifier.protocol.accounting.formats import FACTORS_FORMAT
from verifier.protocol.accounting.inventory import DatasetRef
from verifier.protocol.factor_dataset import (
    DATASETS_MEMBER,
    DOCUMENT_MEMBER,
    DOCUMENT_URL_MEMBER,
    verify_factor_dataset_record,
)
from verifier.protocol.records import BUNDLE_FORMAT, FACTOR_DATASET

if TYPE_CHECKING:
    from verifier._internal.trust import TrustConfig
    from verifier._internal.verifier import VerificationReport

__all__ = [
    "DATASETS_MEMBER",
    "DatasetFiles",
    "read_dataset_file",
    "verify_datasets",
]

#: Verifies one bundle (a decoded object): ``Verifier.verify`` or ``verify_offline``.
Verify = Callable[[Mapping[str, Any]], "VerificationReport"]


@dataclass(slots=True)
class DatasetFiles:
    """What was found for the versions: record bundles and documents by ``dataset@version``,
    where each came from, and what could not be read."""

    bundles: dict[str, tuple[Mapping[str, Any], str]] = field(default_factory=dict)
    documents: dict[str, tuple[Mapping[str, Any], str]] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    def add_bundle(self, obj: Any, origin: str) -> None:
        """A ``factor_dataset`` bundle (its ``document`` and ``documentUrl`` too)."""
        record = obj.get("record") if isinstance(obj, Mapping) else None
        if not isinstance(record, Mapping) or record.get("type") != FACTOR_DATASET:
            data = {"file": origin, "code": "not_a_factor_dataset", "path": "record.type"}
            self.findings.append(Finding("refused_bundle", ERROR, data))
            return
        ref = str(record.get("id"))
        self.bundles[ref] = (obj, origin)
        document = obj.get(DOCUMENT_MEMBER)
        if isinstance(document, Mapping) and ref not in self.documents:
            self.documents[ref] = (document, origin)
        url = obj.get(DOCUMENT_URL_MEMBER)
        if isinstance(url, str):
            self.urls[ref] = url

    def add_document(self, document: Mapping[str, Any], origin: str) -> None:
        """A ``tanji-factors/1`` document given on its own: it replaces an embedded copy."""
        ref = f"{document.get('dataset')}@{document.get('version')}"
        self.documents[ref] = (document, origin)


def read_dataset_file(files: DatasetFiles, data: bytes, origin: str) -> None:
    """Add a ``--factors`` file: a version's bundle (``tanji-bundle/1`` of a ``factor_dataset``
    record, with or without its ``document``) or a bare ``tanji-factors/1`` document."""
    from verifier._internal.bundle import load_json

    try:
        obj = load_json(data) if data.lstrip()[:1] == b"{" else None
    except BundleFormatError:
        obj = None
    if isinstance(obj, Mapping) and obj.get("format") == BUNDLE_FORMAT:
        files.add_bundle(obj, origin)
        return
    if isinstance(obj, Mapping) and obj.get("format") == FACTORS_FORMAT:
        files.add_document(obj, origin)
        return
    try:  # anything else: the dataset parser says what is wrong with it
        parsed = parse_factor_dataset(data)
    except AccountingError as exc:
        for issue in exc.issues:
            data_ = {"file": origin, "code": issue.code, "path": issue.path}
            files.findings.append(Finding("refused_bundle", ERROR, data_))
        return
    files.add_document(parsed.document, origin)


def verify_datasets(
    cited: Sequence[DatasetRef],
    files: DatasetFiles,
    verify: Verify,
    trust: TrustConfig | None,
) -> tuple[list[FactorDataset], list[Finding], list[Finding]]:
    """Prove each cited version; return the documents to compute with, the faults (one per
    version at most) and the ``dataset_verified`` findings.

    Documents that fail a check are still computed with, so that the report also says which
    lines they change; the fault decides the verdict.
    """
    datasets: list[FactorDataset] = []
    faults: list[Finding] = []
    verified: list[Finding] = []
    for ref in cited:
        name = ref.ref
        found = files.documents.get(name)
        if found is None:
            data = {"dataset": name, "url": files.urls.get(name)}
            faults.append(Finding("dataset_not_given", ERROR, data))
            continue
        document, origin = found
        fault, ok = _prove(name, files.bundles.get(name), document, verify, trust)
        try:
            datasets.append(parse_factor_dataset(document))
        except AccountingError as exc:
            if fault is None:  # signed and anchored, yet not a valid document
                issue = exc.issues[0]
                data = {"dataset": name, "file": origin, "code": issue.code, "path": issue.path}
                fault, ok = Finding("dataset_refused", ERROR, data), None
        if fault is not None:
            faults.append(fault)
        if ok is not None:
            verified.append(ok)
    return datasets, faults, verified


def _prove(
    name: str,
    found: tuple[Mapping[str, Any], str] | None,
    document: Mapping[str, Any],
    verify: Verify,
    trust: TrustConfig | None,
) -> tuple[Finding | None, Finding | None]:
    """(fault, verified): one of them is set."""
    if found is None:
        return Finding("dataset_no_record", ERROR, {"dataset": name}), None
    bundle, _origin = found
    record = bundle.get("record")
    assert isinstance(record, Mapping)
    report = verify(bundle)
    status = report.status.value
    if status in ("INVALID", "ERROR"):
        result = next(r for r in report.results if r.status.value == status)
        failed = {"dataset": name, "check": result.qualified_name, "reason": result.reasons}
        key = "dataset_invalid" if status == "INVALID" else "dataset_unverified"
        return Finding(key, MISMATCH if status == "INVALID" else ERROR, failed), None
    if status == "PENDING":
        return Finding("dataset_pending", ERROR, {"dataset": name}), None
    try:
        signer = verify_factor_dataset_record(record, document=document)
    except AttestationError as exc:
        data: dict[str, Any]
        if exc.code == "digest_mismatch":
            data = {
                "dataset": name,
                "computed": document_digest(document),
                "signed": _signed_digest(record),
            }
            return Finding("dataset_tampered", MISMATCH, data), None
        data = {"dataset": name, "code": exc.code, "field": exc.field}
        return Finding("dataset_signature", MISMATCH, data), None
    chain_id, contract = record.get("chainId"), str(record.get("verifyingContract"))
    if trust is not None and not (
        isinstance(chain_id, int) and trust.trusts_contract(chain_id, contract)
    ):
        domain: dict[str, Any] = {
            "dataset": name,
            "chainId": chain_id,
            "verifyingContract": contract,
        }
        return Finding("dataset_domain", MISMATCH, domain), None
    verified: dict[str, Any] = {
        "dataset": name,
        "signer": signer,
        "publisher": record.get("publisherName") or _publisher_name(document),
        "offline": report.offline,
    }
    return None, Finding("dataset_verified", MATCH, verified)


def _signed_digest(record: Mapping[str, Any]) -> str:
    message = record.get("message")
    return str(message.get("digest")) if isinstance(message, Mapping) else "?"


def _publisher_name(document: Mapping[str, Any]) -> str:
    """The name the document gives its publisher (the record's annotation comes first)."""
    publisher = document.get("publisher")
    name = publisher.get("name") if isinstance(publisher, Mapping) else None
    return name if isinstance(name, str) else ""
