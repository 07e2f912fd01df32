"""Factor datasets: a publisher's EIP-712 statement over one version of an emission-factor dataset.

The signed struct (docs/ACCOUNTING.md, "Factor dataset version")::

    FactorDataset(string dataset, string version, bytes32 digest)

- ``digest`` is ``keccak256(JCS(document))`` of the whole ``tanji-factors/1`` document
  (:func:`verifier.protocol.accounting.documents.document_digest`), so the signature covers
  every factor, its value and its citation.
- No signer address is signed: the document names its publisher (``publisher.address``), which
  must be the key that signed (:func:`verify_factor_dataset_record` with the document).
- The Tanji record of a signed version has type ``factor_dataset`` and id ``dataset@version``
  (:func:`record_id`): one version, one record, whatever was signed. Its other members are those
  of every signed statement (``chainId``, ``verifyingContract``, ``message``, ``signature``,
  ``signer``) plus the statement's EIP-712 digest as ``statement``; unsigned annotations
  (``publisherName``) may be added.
"""

from collections.abc import Mapping
from typing import Any, Final

from verifier.errors import AttestationError, BundleFormatError
from verifier.protocol import records
from verifier.protocol.accounting.documents import document_digest
from verifier.protocol.accounting.formats import DATASET_PATTERN, VERSION_PATTERN
from verifier.protocol.canonical import canonicalize
from verifier.protocol.eip712 import (
    RECORD_MEMBERS,
    StatementKind,
    check_members,
    read_address,
    read_bytes32,
)
from verifier.protocol.signature import signature_bytes

__all__ = [
    "DATASETS_MEMBER",
    "DATASET_PATTERN",
    "DOCUMENT_MEMBER",
    "DOCUMENT_URL_MEMBER",
    "FACTOR_DATASET",
    "FACTOR_DATASET_STRUCT",
    "PRIMARY_TYPE",
    "RECORD_TYPE",
    "VERSION_PATTERN",
    "factor_dataset_record",
    "read_dataset",
    "read_version",
    "record_id",
    "split_record_id",
    "validate_factor_dataset",
    "verify_factor_dataset_record",
]

RECORD_TYPE: Final = records.FACTOR_DATASET
PRIMARY_TYPE: Final = "FactorDataset"
FACTOR_DATASET_STRUCT: Final[tuple[dict[str, str], ...]] = (
    {"name": "dataset", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "digest", "type": "bytes32"},
)
#: Joins a dataset and a version into the record id (neither may contain it).
ID_SEPARATOR: Final = "@"
#: Members of a factor-dataset record besides the statement members every record has.
STATEMENT_DIGEST: Final = "statement"
#: An inventory bundle's member listing the bundles of the versions it cites (PROTOCOL.md 17.7).
DATASETS_MEMBER: Final = "factorDatasets"
#: A version bundle's member carrying its ``tanji-factors/1`` document (not part of the record).
DOCUMENT_MEMBER: Final = "document"
#: A version bundle's member naming where its document is, when the bundle leaves it out.
DOCUMENT_URL_MEMBER: Final = "documentUrl"


def read_dataset(value: Any, field: str) -> str:
    """A dataset id (:data:`DATASET_PATTERN`), or an :class:`AttestationError` ``bad_dataset``."""
    if not isinstance(value, str) or DATASET_PATTERN.fullmatch(value) is None:
        raise AttestationError(
            f"{field} must be 2-63 lower-case letters, digits or hyphens, starting with a "
            "letter or digit",
            code="bad_dataset",
            field=field,
        )
    return value


def read_version(value: Any, field: str) -> str:
    """A version (:data:`VERSION_PATTERN`), or an :class:`AttestationError` ``bad_version``."""
    if not isinstance(value, str) or VERSION_PATTERN.fullmatch(value) is None:
        raise AttestationError(
            f"{field} must be 1-32 letters, digits, dots or hyphens",
            code="bad_version",
            field=field,
        )
    return value


def record_id(dataset: str, version: str) -> str:
    """The record id of a dataset version: ``dataset@version``."""
    return f"{read_dataset(dataset, 'dataset')}{ID_SEPARATOR}{read_version(version, 'version')}"


def split_record_id(value: str, field: str = "id") -> tuple[str, str]:
    """``(dataset, version)`` of ``dataset@version`` (an :class:`AttestationError` otherwise)."""
    dataset, separator, version = value.partition(ID_SEPARATOR)
    if not separator:
        raise AttestationError(
            f"{field} must be DATASET@VERSION (e.g. cn-grid@2024.1)",
            code="bad_dataset_version",
            field=field,
        )
    return read_dataset(dataset, field), read_version(version, field)


def validate_factor_dataset(message: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a ``FactorDataset`` message and return its normal form (hex lower-case)."""
    check_members(message, FACTOR_DATASET_STRUCT)
    return {
        "dataset": read_dataset(message["dataset"], "message.dataset"),
        "version": read_version(message["version"], "message.version"),
        "digest": read_bytes32(message["digest"], "message.digest"),
    }


FACTOR_DATASET: Final = StatementKind(
    record_type=RECORD_TYPE,
    primary_type=PRIMARY_TYPE,
    struct=FACTOR_DATASET_STRUCT,
    signer_member=None,
    validate=validate_factor_dataset,
)


def factor_dataset_record(
    typed_data: Any,
    signature: bytes | str,
    *,
    annotations: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``factor_dataset`` record of a signed ``FactorDataset`` (id ``dataset@version``).

    The typed data is checked strictly first (:meth:`StatementKind.parse`); ``annotations`` are
    unsigned members a bundle may redact (``publisherName``).
    """
    parsed = FACTOR_DATASET.parse(typed_data)
    raw = signature_bytes(signature) if isinstance(signature, str) else bytes(signature)
    signer = FACTOR_DATASET.verify(parsed, raw)
    message = parsed["message"]
    domain = parsed["domain"]
    record: dict[str, Any] = {
        "type": RECORD_TYPE,
        "id": record_id(message["dataset"], message["version"]),
        "chainId": domain["chainId"],
        "verifyingContract": domain["verifyingContract"],
        "message": message,
        "signature": "0x" + raw.hex(),
        "signer": signer,
        STATEMENT_DIGEST: "0x"
        + FACTOR_DATASET.digest_of_normal(
            message, chain_id=domain["chainId"], contract=domain["verifyingContract"]
        ).hex(),
    }
    for name, value in (annotations or {}).items():
        if name in RECORD_MEMBERS or name == STATEMENT_DIGEST:
            raise AttestationError(
                f"annotation {name!r} would overwrite a signed member",
                code="reserved_field",
                field=name,
            )
        try:
            canonicalize(value)
        except BundleFormatError as exc:
            raise AttestationError(str(exc), code="not_canonical", field=name) from exc
        record[name] = value
    return record


def verify_factor_dataset_record(record: Any, *, document: Mapping[str, Any] | None = None) -> str:
    """Re-check a ``factor_dataset`` record from scratch; return the signer.

    The id is ``dataset@version`` of the message, ``statement`` its EIP-712 digest, the signature
    recovers to ``signer``. With ``document``: its digest is the signed one, it names the same
    dataset and version, and its ``publisher.address`` is the signer. Raises
    :class:`AttestationError` with a stable code and the member's path.
    """
    if not isinstance(record, Mapping):
        raise AttestationError("record must be an object", code="wrong_type", field="record")
    for name in (*RECORD_MEMBERS, STATEMENT_DIGEST):
        if name not in record:
            raise AttestationError(
                f"record has no {name!r}", code="missing_field", field=f"record.{name}"
            )
    if record["type"] != RECORD_TYPE:
        raise AttestationError(
            f"record type must be {RECORD_TYPE!r}", code="wrong_record_type", field="record.type"
        )
    parsed = FACTOR_DATASET.typed_data(
        record["message"], chain_id=record["chainId"], contract=record["verifyingContract"]
    )
    message = parsed["message"]
    if record["id"] != record_id(message["dataset"], message["version"]):
        raise AttestationError(
            "record id is not dataset@version of its message", code="id_mismatch", field="record.id"
        )
    domain = parsed["domain"]
    statement = FACTOR_DATASET.digest_of_normal(
        message, chain_id=domain["chainId"], contract=domain["verifyingContract"]
    )
    if read_bytes32(record[STATEMENT_DIGEST], "record.statement") != "0x" + statement.hex():
        raise AttestationError(
            "record.statement is not the EIP-712 digest of its message",
            code="statement_mismatch",
            field="record.statement",
        )
    signer = FACTOR_DATASET.verify(parsed, signature_bytes(record["signature"], "record.signature"))
    if read_address(record["signer"], "record.signer") != signer:
        raise AttestationError(
            f"record.signer is not the recovered signer {signer}",
            code="signer_mismatch",
            field="record.signer",
        )
    if document is not None:
        check_document(document, message, signer)
    return signer


def check_document(document: Mapping[str, Any], message: Mapping[str, Any], signer: str) -> None:
    """Require ``document`` to be the one a validated message signs, published by ``signer``."""
    if document_digest(document) != message["digest"]:
        raise AttestationError(
            "the document's digest is not the signed digest",
            code="digest_mismatch",
            field="document",
        )
    for name in ("dataset", "version"):
        if document.get(name) != message[name]:
            raise AttestationError(
                f"the document's {name} is not the signed {name}",
                code="document_mismatch",
                field=f"document.{name}",
            )
    publisher = document.get("publisher")
    address = publisher.get("address") if isinstance(publisher, Mapping) else None
    if read_address(address, "document.publisher.address") != signer:
        raise AttestationError(
            f"the document's publisher.address is not the signer {signer}",
            code="signer_mismatch",
            field="document.publisher.address",
        )
