"""The factor database: publish signed dataset versions, read and search them, find the impact.

Publishing (:func:`publish`) checks, in order: the document is a valid ``tanji-factors/1``
document (every refused factor reported, ``details`` one item per issue); its dataset id is not
reserved; the signature is a ``FactorDataset`` statement of this deployment over the document's
digest, by the document's ``publisher.address``; a version already stored under that dataset and
version is answered as it is (same digest, same publisher) or refused (``version_exists``); the
signing key is one of the calling publisher's, in force; the dataset belongs to no other
publisher; every deprecated id is a factor of an earlier version. Then the version, its factors,
its ledger row (``factor_dataset`` record) and its audit entry are added in the caller's
transaction; nothing is stored when any check fails.

Footprint provenance (docs/ACCOUNTING.md): :func:`record_footprint_factors` is what the
calculation calls to note the factors a footprint used; :func:`impact` reads them back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import func, or_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from anchoring import ledger
from registry.audit import record_audit
from registry.city import publishers
from registry.crud.footprints import anchor_statuses
from registry.crud.suppliers import not_in_force
from registry.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from registry.factors.models import (
    DatasetVersionPublic,
    Factor,
    FactorDatasetRevocation,
    FactorDatasetVersion,
    FactorPublic,
    FootprintFactor,
    ImpactedFootprint,
)
from registry.factors.tables import row_detail
from registry.ids import new_master_salt
from registry.models.footprints import Footprint
from registry.models.labels import Label
from registry.models.orgs import Organisation
from registry.models.suppliers import SupplierKey
from registry.records.factor_datasets import KIND
from verifier.errors import AttestationError, VerifierError
from verifier.protocol.accounting.documents import document_digest
from verifier.protocol.accounting.errors import AccountingError
from verifier.protocol.accounting.factors import parse_factor_dataset
from verifier.protocol.factor_dataset import (
    FACTOR_DATASET,
    RECORD_TYPE,
    check_document,
    factor_dataset_record,
    record_id,
    split_record_id,
)
from verifier.protocol.signature import signature_bytes

__all__ = [
    "MAX_PAGE",
    "RESERVED_DATASETS",
    "eip712_description",
    "get_factor",
    "get_version",
    "impact",
    "is_revoked",
    "list_versions",
    "load_document",
    "publish",
    "record_footprint_factors",
    "search_factors",
    "to_public",
    "validate_document",
]

#: Dataset ids that are paths of the API (``/api/v1/factors/datasets``, ``…/keys``, …).
RESERVED_DATASETS: Final = frozenset({"datasets", "keys", "eip712"})
#: The largest page of a factor search.
MAX_PAGE: Final = 100
#: The audit log's subject type of a dataset version (its id is ``dataset@version``).
AUDIT_SUBJECT: Final = RECORD_TYPE
#: The status of a footprint whose label was issued (registry.crud.labels).
CERTIFIED: Final = "certified"
#: The status of a label in force.
LABEL_ACTIVE: Final = "active"


def eip712_description(*, chain_id: int, contract: str) -> dict[str, Any]:
    """What a publisher needs to sign a version: ``domain``, ``types`` and ``primaryType`` as
    ethers' ``signTypedData`` takes them, and ``wallet``, the ``eth_signTypedData_v4`` form
    (:func:`verifier.protocol.eip712.signing_description`)."""
    return FACTOR_DATASET.signing_description(chain_id=chain_id, contract=contract)


def typed_data_of(document: Mapping[str, Any], *, chain_id: int, contract: str) -> dict[str, Any]:
    """The EIP-712 typed data a publisher signs for ``document`` on this deployment."""
    message = {
        "dataset": document.get("dataset"),
        "version": document.get("version"),
        "digest": document_digest(document),
    }
    return FACTOR_DATASET.typed_data(message, chain_id=chain_id, contract=contract)


def validate_document(document: Any, *, prefix: str = "document.", csv_rows: bool = False) -> None:
    """Parse ``document`` as ``tanji-factors/1``; refuse it with every issue as a ``details`` item.

    Each item is ``{"code", "field", "message"}`` plus where it is (``index`` of the factor, or
    with ``csv_rows`` its CSV ``row`` and ``column``). Raises :class:`InvalidInputError` (422)
    whose code and field are the first issue's.
    """
    try:
        parse_factor_dataset(document)
    except AccountingError as exc:
        details = [
            {
                "code": issue.code,
                "field": prefix + issue.path if issue.path else prefix.rstrip("."),
                "message": issue.message,
                **row_detail(issue.path, csv_rows=csv_rows),
            }
            for issue in exc.issues
        ]
        first = details[0]
        raise InvalidInputError(
            f"{len(details)} refused: {first['code']}: {first['message']}"
            if len(details) > 1
            else str(first["message"]),
            code=str(first["code"]),
            field=str(first["field"]),
            details=details,
        ) from None
    dataset = document["dataset"]
    if dataset in RESERVED_DATASETS:
        raise InvalidInputError(
            f"dataset id {dataset!r} is reserved (a path of the API)",
            code="reserved_dataset",
            field=f"{prefix}dataset",
        )


def _statement_error(exc: VerifierError, field: str) -> InvalidInputError:
    code = getattr(exc, "code", None) or "bad_signature"
    return InvalidInputError(str(exc), code=code, field=field)


def publish(
    session: Session,
    *,
    org: Organisation,
    document: dict[str, Any],
    signature: str,
    chain_id: int,
    contract: str,
    now: datetime | None = None,
) -> tuple[FactorDatasetVersion, bool]:
    """Check and add a signed dataset version (no commit); ``(version, created)``.

    The same version again with the same digest returns the stored one (``created`` false).
    """
    now = now or datetime.now(UTC)
    if publishers.is_withdrawn(session, org.id):
        raise PermissionDeniedError(
            f"the city withdrew its confirmation of publisher {org.id}: it may publish no new "
            "factor dataset version",
            code="publisher_withdrawn",
        )
    validate_document(document)
    typed = typed_data_of(document, chain_id=chain_id, contract=contract)
    try:
        record = factor_dataset_record(
            typed, signature_bytes(signature, "signature"), annotations={"publisherName": org.name}
        )
        check_document(document, record["message"], record["signer"])
    except AttestationError as exc:
        field = exc.field if exc.field and exc.field.startswith("document") else "signature"
        raise _statement_error(exc, field) from None
    existing = session.get(FactorDatasetVersion, record["id"])
    if existing is not None:
        if existing.digest == record["message"]["digest"] and existing.org_id == org.id:
            return existing, False
        raise ConflictError(
            f"{record['id']} is already published with digest {existing.digest}; versions "
            "never change: publish a new version",
            code="version_exists",
            field="document.version",
        )
    _check_key(session, org=org, signer=record["signer"], now=now)
    dataset, version = document["dataset"], document["version"]
    earlier = list(
        session.exec(
            select(FactorDatasetVersion)
            .where(FactorDatasetVersion.dataset == dataset)
            .order_by(col(FactorDatasetVersion.seq))
        ).all()
    )
    if earlier and earlier[0].org_id != org.id:
        raise PermissionDeniedError(
            f"dataset {dataset} is published by another organisation ({earlier[0].org_id})",
            code="dataset_owned_by_other",
            field="document.dataset",
        )
    deprecates = list(document.get("deprecates") or [])
    _check_deprecates(session, dataset=dataset, versions=earlier, deprecates=deprecates)
    salt = new_master_salt()
    row = FactorDatasetVersion(
        id=record["id"],
        dataset=dataset,
        version=version,
        seq=(earlier[-1].seq + 1) if earlier else 1,
        digest=record["message"]["digest"],
        org_id=org.id,
        signer=record["signer"],
        factor_count=len(document["factors"]),
        deprecates=deprecates,
        document=document,
        record=record,
        master_salt="0x" + salt.hex(),
        created_at=now,
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError:  # the same version, or another of the dataset, by a concurrent request
        raise ConflictError(
            f"{row.id} (or another version of {dataset}) was published by a concurrent request; "
            "retry",
            code="concurrent_update",
            field="document.version",
        ) from None
    session.bulk_save_objects(
        [_factor_row(row, factor) for factor in document["factors"]], return_defaults=False
    )
    # Same transaction: a stored version always has its leaf queued for anchoring.
    KIND.enqueue(session, row)
    record_audit(
        session,
        action="factor_dataset.publish",
        subject_type=AUDIT_SUBJECT,
        subject_id=row.id,
        after=audit_snapshot(row),
    )
    return row, True


def audit_snapshot(row: FactorDatasetVersion) -> dict[str, Any]:
    """A version as its audit entry commits to it."""
    return {
        "id": row.id,
        "digest": row.digest,
        "org_id": row.org_id,
        "signer": row.signer,
        "factor_count": row.factor_count,
        "deprecates": list(row.deprecates),
    }


def _check_key(session: Session, *, org: Organisation, signer: str, now: datetime) -> None:
    field = "document.publisher.address"
    key = session.exec(select(SupplierKey).where(SupplierKey.address == signer)).first()
    if key is None or key.org_id != org.id:
        raise PermissionDeniedError(
            f"{signer} is not a registered signing key of organisation {org.id}",
            code="unregistered_key",
            field=field,
        )
    refused = not_in_force(key, at=now, field=field)
    if refused is not None:
        raise refused


def _check_deprecates(
    session: Session,
    *,
    dataset: str,
    versions: Sequence[FactorDatasetVersion],
    deprecates: Sequence[str],
) -> None:
    if not deprecates:
        return
    known: set[str] = set()
    if versions:
        known = set(
            session.exec(
                select(Factor.factor_id).where(
                    col(Factor.version_id).in_([v.id for v in versions]),
                    col(Factor.factor_id).in_(list(deprecates)),
                )
            ).all()
        )
    refused = [
        {
            "code": "unknown_deprecated_factor",
            "field": f"document.deprecates[{i}]",
            "message": f"{factor_id!r} is not a factor of an earlier version of {dataset}",
            "index": i,
        }
        for i, factor_id in enumerate(deprecates)
        if factor_id not in known
    ]
    if refused:
        raise InvalidInputError(
            f"{len(refused)} deprecated id(s) name no factor of an earlier version of {dataset}",
            code="unknown_deprecated_factor",
            field=str(refused[0]["field"]),
            details=refused,
        )


def _factor_row(version: FactorDatasetVersion, factor: Mapping[str, Any]) -> Factor:
    names = factor.get("names") or {}
    search = "\n".join([str(factor["id"]), *(str(text) for text in names.values())])
    return Factor(
        version_id=version.id,
        dataset=version.dataset,
        version=version.version,
        factor_id=factor["id"],
        search_text=search.casefold(),
        category=factor.get("category"),
        geography=str(factor.get("geography", "")),
        year=int(factor.get("year", 0)),
        illustrative=bool(factor.get("illustrative", False)),
        data=dict(factor),
    )


# --- reading ------------------------------------------------------------------------------------


def get_version(session: Session, *, dataset: str, version: str) -> FactorDatasetVersion:
    """A stored version; :class:`NotFoundError` ``unknown_factor_dataset`` otherwise."""
    try:
        key = record_id(dataset, version)
    except AttestationError as exc:
        raise InvalidInputError(str(exc), code=exc.code or "bad_value", field="dataset") from None
    row = session.get(FactorDatasetVersion, key)
    if row is None:
        raise NotFoundError(
            f"factor dataset {key} is not published here",
            code="unknown_factor_dataset",
            field="dataset",
        )
    return row


def load_document(session: Session, dataset: str, version: str) -> dict[str, Any]:
    """The ``tanji-factors/1`` document of a stored version (for the calculation)."""
    return dict(get_version(session, dataset=dataset, version=version).document)


def list_versions(
    session: Session, *, dataset: str | None = None, offset: int = 0, limit: int = 100
) -> tuple[list[FactorDatasetVersion], int]:
    """Stored versions, by dataset and publication order."""
    query = select(FactorDatasetVersion)
    count = select(func.count()).select_from(FactorDatasetVersion)
    if dataset is not None:
        query = query.where(FactorDatasetVersion.dataset == dataset)
        count = count.where(FactorDatasetVersion.dataset == dataset)
    query = query.order_by(col(FactorDatasetVersion.dataset), col(FactorDatasetVersion.seq))
    rows = list(session.exec(query.offset(offset).limit(limit)).all())
    return rows, int(session.exec(count).one())


def to_public(
    session: Session,
    row: FactorDatasetVersion,
    *,
    base_url: str,
    anchor_status: str | None = None,
) -> DatasetVersionPublic:
    """The API view of a version (without its factors)."""
    if anchor_status is None:
        anchor_status = ledger.record_status(session, record_type=RECORD_TYPE, record_id=row.id)
    return DatasetVersionPublic(
        id=row.id,
        dataset=row.dataset,
        version=row.version,
        digest=row.digest,
        publisher=dict(row.document.get("publisher") or {}),
        org_id=row.org_id,
        signer=row.signer,
        published=row.document.get("published"),
        factor_count=row.factor_count,
        deprecates=list(row.deprecates),
        anchor_status=anchor_status,
        created_at=row.created_at,
        url=f"{base_url}/api/v1/factors/datasets/{row.dataset}/{row.version}",
    )


def versions_public(
    session: Session, rows: Sequence[FactorDatasetVersion], *, base_url: str
) -> list[DatasetVersionPublic]:
    """API views of many versions (one ledger query)."""
    statuses = anchor_statuses(session, record_type=RECORD_TYPE, ids=[row.id for row in rows])
    return [
        to_public(session, row, base_url=base_url, anchor_status=statuses.get(row.id, "pending"))
        for row in rows
    ]


def _like(text: str) -> str:
    escaped = text.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_factors(
    session: Session,
    *,
    q: str | None = None,
    category: str | None = None,
    geography: str | None = None,
    dataset: str | None = None,
    version: str | None = None,
    offset: int = 0,
    limit: int = 20,
) -> tuple[list[Factor], int]:
    """Factors matching every filter given, newest version first; ``q`` matches the id or a name
    in any language (case-insensitive substring)."""
    conditions: list[ColumnElement[bool]] = []
    if q:
        conditions.append(col(Factor.search_text).like(_like(q), escape="\\"))
    if category:
        conditions.append(col(Factor.category) == category)
    if geography:
        conditions.append(col(Factor.geography) == geography.upper())
    if dataset:
        conditions.append(col(Factor.dataset) == dataset)
    if version:
        conditions.append(col(Factor.version) == version)
    query = (
        select(Factor)
        .join(FactorDatasetVersion, col(FactorDatasetVersion.id) == col(Factor.version_id))
        .where(*conditions)
        .order_by(col(Factor.dataset), col(FactorDatasetVersion.seq).desc(), col(Factor.factor_id))
    )
    rows = list(session.exec(query.offset(offset).limit(min(limit, MAX_PAGE))).all())
    count = session.exec(select(func.count()).select_from(Factor).where(*conditions)).one()
    return rows, int(count)


def get_factor(session: Session, *, dataset: str, version: str, factor_id: str) -> Factor:
    """One factor of a stored version; :class:`NotFoundError` ``unknown_factor`` otherwise."""
    row = get_version(session, dataset=dataset, version=version)
    factor = session.exec(
        select(Factor).where(Factor.version_id == row.id, Factor.factor_id == factor_id)
    ).first()
    if factor is None:
        raise NotFoundError(
            f"{row.id} has no factor {factor_id!r}", code="unknown_factor", field="factor_id"
        )
    return factor


def deprecations(session: Session, factors: Iterable[Factor]) -> dict[tuple[str, str], str]:
    """``(version_id, factor_id)`` → the id of the first later version deprecating it."""
    factors = list(factors)
    datasets = sorted({f.dataset for f in factors})
    if not datasets:
        return {}
    versions = session.exec(
        select(FactorDatasetVersion)
        .where(col(FactorDatasetVersion.dataset).in_(datasets))
        .order_by(col(FactorDatasetVersion.seq))
    ).all()
    seq = {v.id: v.seq for v in versions}
    found: dict[tuple[str, str], str] = {}
    for factor in factors:
        for later in versions:
            if (
                later.dataset == factor.dataset
                and later.seq > seq.get(factor.version_id, 0)
                and factor.factor_id in later.deprecates
            ):
                found[(factor.version_id, factor.factor_id)] = later.id
                break
    return found


def factors_public(
    session: Session, factors: Sequence[Factor], *, base_url: str
) -> list[FactorPublic]:
    """API views of factors with their version's digest and any later deprecation."""
    retired = deprecations(session, factors)
    digests = dict(
        session.exec(
            select(FactorDatasetVersion.id, FactorDatasetVersion.digest).where(
                col(FactorDatasetVersion.id).in_(sorted({f.version_id for f in factors}))
            )
        ).all()
    )
    return [
        FactorPublic(
            dataset=f.dataset,
            version=f.version,
            digest=digests[f.version_id],
            factor=dict(f.data),
            deprecated_by=retired.get((f.version_id, f.factor_id)),
            page_url=f"{base_url}/factors/{f.dataset}/{f.version}/{f.factor_id}",
        )
        for f in factors
    ]


# --- footprint provenance and impact ------------------------------------------------------------


def record_footprint_factors(
    session: Session, footprint_id: str, uses: Iterable[tuple[str, str, str]]
) -> int:
    """Note that footprint ``footprint_id`` used each ``(dataset, version, factor_id)`` (no
    commit; duplicates merged). Returns how many rows were added."""
    rows = sorted(set(uses))
    session.bulk_save_objects(
        [
            FootprintFactor(footprint_id=footprint_id, dataset=d, version=v, factor_id=f)
            for d, v, f in rows
        ]
    )
    return len(rows)


def revocation(session: Session, version_id: str) -> FactorDatasetRevocation | None:
    """The withdrawal of version ``dataset@version`` with its publisher's key, if any."""
    return session.get(FactorDatasetRevocation, version_id)


def publisher_withdrawn(session: Session, *, dataset: str, version: str) -> bool:
    """True when the city withdrew its confirmation of the version's publisher."""
    row = get_version(session, dataset=dataset, version=version)
    return publishers.is_withdrawn(session, row.org_id)


def is_revoked(session: Session, *, dataset: str, version: str) -> bool:
    """True when the version was withdrawn with its publisher's revoked key."""
    return revocation(session, f"{dataset}@{version}") is not None


def impact(session: Session, *, dataset: str, version: str) -> list[ImpactedFootprint]:
    """Every certified footprint that used a factor this version deprecates (in an earlier
    version of its dataset), with its active labels and the deprecated factors it used; for a
    version withdrawn with its publisher's key, also every one that used any of its factors."""
    row = get_version(session, dataset=dataset, version=version)
    conditions: list[ColumnElement[bool]] = []
    if row.deprecates:
        earlier = session.exec(
            select(FactorDatasetVersion.version).where(
                FactorDatasetVersion.dataset == dataset, col(FactorDatasetVersion.seq) < row.seq
            )
        ).all()
        if earlier:
            conditions.append(
                col(FootprintFactor.factor_id).in_(list(row.deprecates))
                & col(FootprintFactor.version).in_(list(earlier))
            )
    if revocation(session, row.id) is not None:
        conditions.append(col(FootprintFactor.version) == row.version)
    if not conditions:
        return []
    used = session.exec(
        select(FootprintFactor, Footprint.org_id, Footprint.category, Footprint.gtin)
        .join(Footprint, col(Footprint.id) == col(FootprintFactor.footprint_id))
        .where(
            FootprintFactor.dataset == dataset,
            or_(*conditions),
            Footprint.status == CERTIFIED,
        )
        .order_by(col(FootprintFactor.footprint_id))
    ).all()
    found: dict[str, ImpactedFootprint] = {}
    for link, org_id, category, gtin in used:
        entry = found.get(link.footprint_id)
        if entry is None:
            entry = found[link.footprint_id] = ImpactedFootprint(
                footprint_id=link.footprint_id,
                org_id=org_id,
                category=category,
                gtin=gtin,
                labels=[],
                factors=[],
            )
        entry.factors.append(f"{link.dataset}@{link.version}:{link.factor_id}")
    if found:
        for footprint_id, label_id in _active_labels(session, sorted(found)):
            found[footprint_id].labels.append(label_id)
    return list(found.values())


def _active_labels(session: Session, footprint_ids: Sequence[str]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for start in range(0, len(footprint_ids), 500):
        chunk = list(footprint_ids[start : start + 500])
        pairs.extend(
            session.exec(
                select(Label.footprint_id, Label.id)
                .where(col(Label.footprint_id).in_(chunk), Label.status == LABEL_ACTIVE)
                .order_by(col(Label.footprint_id), col(Label.id))
            ).all()
        )
    return pairs


def dataset_version_arg(value: str, field: str = "dataset") -> tuple[str, str]:
    """``(dataset, version)`` of ``DATASET@VERSION`` (the CLI's argument)."""
    try:
        return split_record_id(value, field)
    except AttestationError as exc:
        raise InvalidInputError(str(exc), code=exc.code or "bad_value", field=field) from None
