"""Recognitions: take in a partner's signed recognition or withdrawal, store and anchor them.

Intake checks, in order: the typed data is exactly Tanji's ``Recognition`` and signed for this
deployment (chain and anchor contract); the signature recovers to ``message.recognizer``; that
address is a registered key of the calling organisation in force at intake (refused as attestation
intake refuses it: ``revoked_key``, ``key_not_yet_valid``); the recognition is not already over;
and its subject is something this registry knows (a label's anchored leaf, or the scheme the
caller names). Every failure is a :class:`RegistryError` with a code (the verifier's where it has
one) and the member's path (``typedData.message.subject``); nothing is stored then.

A recognition ends by its recognizer's signed withdrawal (``withdrawn``, leaf revoked on chain
with reason 2) or by the revocation of its key from a time at or before its intake
(``key_revoked``, reason 6; ``registry.crud.key_revocation.revoke_key``). Either way it leaves label
bundles, and its leaf is revoked on chain as soon as it is anchored.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, func, select

from anchoring import ledger
from registry.audit import record_audit
from registry.crud.labels import ACTIVE as LABEL_ACTIVE
from registry.crud.suppliers import not_in_force, revoke_leaf_once_anchored
from registry.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from registry.ids import new_master_salt
from registry.models.labels import Label
from registry.models.orgs import Organisation
from registry.models.recognitions import (
    ACTIVE,
    ENDED,
    KEY_REVOKED,
    WITHDRAWN,
    Recognition,
    RecognitionPublic,
    RecognitionWithdrawal,
    SignedStatement,
)
from registry.models.suppliers import SupplierKey
from verifier.errors import AttestationError
from verifier.protocol.eip712 import StatementKind
from verifier.protocol.leaf import record_leaf_value
from verifier.protocol.reasons import RevocationReason
from verifier.protocol.recognition import (
    RECOGNITION,
    RECORD_TYPE,
    WITHDRAWAL,
    WITHDRAWAL_RECORD_TYPE,
    check_withdrawal_matches,
    scheme_subject,
)
from verifier.protocol.records import LABEL
from verifier.protocol.scheme import label_category, label_scheme_id

#: The on-chain revocation reason of a recognition's leaf follows how the recognition ended.
ON_CHAIN_REASON = {
    WITHDRAWN: RevocationReason.WITHDRAWN,
    KEY_REVOKED: RevocationReason.KEY_COMPROMISE,
}


def _coded(exc: AttestationError, prefix: str) -> InvalidInputError:
    field = exc.field or ""
    path = "signature" if field in ("signature", "record.signature") else f"{prefix}.{field}"
    return InvalidInputError(str(exc), code=exc.code or "invalid_statement", field=path)


def _signed_record(
    kind: StatementKind, body: SignedStatement, *, chain_id: int, contract: str
) -> dict[str, Any]:
    try:
        parsed = kind.parse(body.typed_data)
        domain = parsed["domain"]
        if (domain["chainId"], domain["verifyingContract"].lower()) != (chain_id, contract.lower()):
            raise InvalidInputError(
                f"signed for chain {domain['chainId']} contract {domain['verifyingContract']}; "
                f"this registry anchors on chain {chain_id} contract {contract}",
                code="wrong_domain",
                field="typedData.domain",
            )
        record = kind.record(parsed, body.signature)
    except AttestationError as exc:
        raise _coded(exc, "typedData") from None
    return record


def _check_key(session: Session, *, org: Organisation, signer: str, now: datetime) -> None:
    key = session.exec(select(SupplierKey).where(SupplierKey.address == signer)).first()
    if key is None or key.org_id != org.id:
        raise PermissionDeniedError(
            f"{signer} is not a registered signing key of organisation {org.id}",
            code="unregistered_key",
            field="typedData.message.recognizer",
        )
    refused = not_in_force(key, at=now, field="typedData.message.recognizer")
    if refused is not None:
        raise refused


def label_for_leaf(session: Session, leaf_hash: str) -> Label | None:
    """The label whose Merkle leaf hash is ``leaf_hash`` (queued or anchored), or None."""
    row = session.exec(
        select(ledger.AnchorRecord).where(
            ledger.AnchorRecord.record_type == LABEL,
            ledger.AnchorRecord.leaf_hash == leaf_hash.lower(),
        )
    ).first()
    return None if row is None else session.get(Label, row.record_id)


def submit_recognition(
    session: Session,
    *,
    org: Organisation,
    body: SignedStatement,
    chain_id: int,
    contract: str,
    now: datetime | None = None,
) -> tuple[Recognition, bool]:
    """Validate a signed recognition and add it with its ledger row (no commit).

    Returns ``(recognition, created)``; the same signed statement again returns the stored one.
    """
    now = now or datetime.now(UTC)
    draft = _signed_record(RECOGNITION, body, chain_id=chain_id, contract=contract)
    existing = session.get(Recognition, draft["id"])
    if existing is not None:
        if existing.org_id != org.id:
            raise ConflictError(
                "this recognition was submitted by another organisation", code="duplicate"
            )
        return existing, False
    message = draft["message"]
    _check_key(session, org=org, signer=draft["signer"], now=now)
    if message["validUntil"] and message["validUntil"] <= int(now.timestamp()):
        raise InvalidInputError(
            "the recognition has already expired",
            code="expired",
            field="typedData.message.validUntil",
        )
    annotations: dict[str, Any] = {"recognizerName": org.name}
    label: Label | None = None
    if message["subjectType"] == "label":
        label = label_for_leaf(session, message["subject"])
        if label is None:
            raise InvalidInputError(
                "subject is not the leaf of a label in this registry",
                code="unknown_subject",
                field="typedData.message.subject",
            )
        if label.status != LABEL_ACTIVE:
            raise ConflictError(
                f"label {label.id} is {label.status}; it cannot be recognised",
                code="label_not_active",
                field="typedData.message.subject",
            )
        category = label.record.get("product", {}).get("category")
        if message["category"] and message["category"] != category:
            raise InvalidInputError(
                f"the label is in category {category}, not {message['category']}",
                code="category_mismatch",
                field="typedData.message.category",
            )
        annotations["labelId"] = label.id
    else:
        if not body.scheme_id:
            raise InvalidInputError(
                "a scheme recognition needs schemeId: the recognised scheme's id",
                code="missing_field",
                field="schemeId",
            )
        try:
            expected = scheme_subject(body.scheme_id, message["category"])
        except AttestationError as exc:
            code = exc.code or "invalid_field"
            raise InvalidInputError(str(exc), code=code, field="schemeId") from None
        if expected != message["subject"]:
            raise InvalidInputError(
                f"subject is not scheme_subject({body.scheme_id!r}, {message['category']!r})",
                code="subject_mismatch",
                field="typedData.message.subject",
            )
        annotations["schemeId"] = body.scheme_id
    # Unsigned annotations do not change the id (the EIP-712 digest) or the signature.
    record = {**draft, **annotations}
    salt = new_master_salt()
    recognition = Recognition(
        id=record["id"],
        org_id=org.id,
        recognizer=record["signer"],
        scheme=message["scheme"],
        subject_type=message["subjectType"],
        subject=message["subject"],
        category=message["category"],
        valid_from=message["validFrom"],
        valid_until=message["validUntil"],
        label_id=label.id if label else None,
        record=record,
        master_salt="0x" + salt.hex(),
        # The intake time, at which the key was judged in force: a later revocation of the key
        # from an earlier time withdraws the recognition (key_revocation.revoke_key).
        created_at=now,
    )
    session.add(recognition)
    # Same transaction: a stored recognition always has its leaf queued for anchoring.
    ledger.enqueue(
        session,
        record_type=RECORD_TYPE,
        record_id=record["id"],
        leaf_value=record_leaf_value(record, salt),
    )
    record_audit(
        session,
        action="recognition.create",
        subject_type=RECORD_TYPE,
        subject_id=recognition.id,
        after=audit_snapshot(recognition),
    )
    return recognition, True


def audit_snapshot(recognition: Recognition) -> dict[str, Any]:
    """A recognition's state as its audit entries commit to it (the id is its signed digest)."""
    return {
        "id": recognition.id,
        "org_id": recognition.org_id,
        "recognizer": recognition.recognizer,
        "subject_type": recognition.subject_type,
        "subject": recognition.subject,
        "label_id": recognition.label_id,
        "status": recognition.status,
    }


def withdraw_recognition(
    session: Session,
    *,
    org: Organisation,
    recognition: Recognition,
    body: SignedStatement,
    chain_id: int,
    contract: str,
    now: datetime | None = None,
) -> RecognitionWithdrawal:
    """Store and queue a signed withdrawal; revoke the recognition's leaf on chain (no commit)."""
    now = now or datetime.now(UTC)
    if recognition.org_id != org.id:
        raise PermissionDeniedError(
            "only the recognizing organisation may withdraw its recognition",
            code="not_recognizer",
            field="recognition_id",
        )
    if recognition.status != ACTIVE:
        raise ConflictError(
            f"recognition {recognition.id} is already withdrawn ({recognition.status})",
            code="already_withdrawn",
            field="recognition_id",
        )
    record = _signed_record(WITHDRAWAL, body, chain_id=chain_id, contract=contract)
    try:
        check_withdrawal_matches(recognition.record, record)
    except AttestationError as exc:
        raise _coded(exc, "typedData") from None
    _check_key(session, org=org, signer=record["signer"], now=now)
    salt = new_master_salt()
    withdrawal = RecognitionWithdrawal(
        id=record["id"],
        recognition_id=recognition.id,
        reason=record["message"]["reason"],
        time=record["message"]["time"],
        record=record,
        master_salt="0x" + salt.hex(),
    )
    session.add(withdrawal)
    ledger.enqueue(
        session,
        record_type=WITHDRAWAL_RECORD_TYPE,
        record_id=record["id"],
        leaf_value=record_leaf_value(record, salt),
    )
    before = audit_snapshot(recognition)
    recognition.status = WITHDRAWN
    session.add(recognition)
    _request_on_chain(session, recognition)
    record_audit(
        session,
        action="recognition.withdraw",
        subject_type=RECORD_TYPE,
        subject_id=recognition.id,
        before=before,
        after={**audit_snapshot(recognition), "withdrawal_id": withdrawal.id},
    )
    return withdrawal


def _request_on_chain(session: Session, recognition: Recognition) -> bool:
    # Not anchored yet: queued by the revocation sweep (registry.records.sweeps) once it is.
    return revoke_leaf_once_anchored(
        session,
        record_type=RECORD_TYPE,
        record_id=recognition.id,
        reason=ON_CHAIN_REASON[recognition.status],
    )


def get_recognition(session: Session, *, recognition_id: str) -> Recognition:
    """A recognition by id (public); raises :class:`NotFoundError`."""
    recognition = session.get(Recognition, recognition_id.lower())
    if recognition is None:
        raise NotFoundError(f"recognition {recognition_id} does not exist", field="recognition_id")
    return recognition


def list_recognitions(
    session: Session,
    *,
    label_id: str | None = None,
    org_id: str | None = None,
    offset: int = 0,
    limit: int = 100,
) -> tuple[list[Recognition], int]:
    """Recognitions, newest first, optionally of one label or by one organisation."""
    query = select(Recognition)
    count_query = select(func.count()).select_from(Recognition)
    if label_id is not None:
        query = query.where(Recognition.label_id == label_id)
        count_query = count_query.where(Recognition.label_id == label_id)
    if org_id is not None:
        query = query.where(Recognition.org_id == org_id)
        count_query = count_query.where(Recognition.org_id == org_id)
    count = session.exec(count_query).one()
    rows = session.exec(
        query.order_by(col(Recognition.created_at).desc(), col(Recognition.id))
        .offset(offset)
        .limit(limit)
    ).all()
    return list(rows), int(count)


def recognitions_of_label(session: Session, label: Label) -> list[Recognition]:
    """Active recognitions about ``label``: of the label itself, or of its scheme and category."""
    rows = session.exec(
        select(Recognition).where(LABEL_RECOGNITIONS).order_by(*RECOGNITIONS_ORDER),
        params=label_recognitions_params(label.id, label.record),
    ).all()
    return list(rows)


#: The condition on ``recognition`` rows of :func:`recognitions_of_label`: active, and of the
#: label itself (parameter ``label_id``) or of its scheme and category (parameter ``subjects``),
#: parameters given by :func:`label_recognitions_params`. Built once: a statement using it is
#: the same statement for every label (compiled once, prepared by the server).
LABEL_RECOGNITIONS: Final[ColumnElement[bool]] = (col(Recognition.status) == ACTIVE) & (
    (col(Recognition.label_id) == sa.bindparam("label_id"))
    | (
        (col(Recognition.subject_type) == "scheme")
        & col(Recognition.subject).in_(sa.bindparam("subjects", expanding=True))
    )
)
#: The order of :func:`recognitions_of_label` (oldest first).
RECOGNITIONS_ORDER: Final = (col(Recognition.created_at), col(Recognition.id))


def label_recognitions_params(label_id: str, record: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters of :data:`LABEL_RECOGNITIONS` for label ``label_id`` and its ``record``."""
    return {"label_id": label_id, "subjects": list(_scheme_subjects(record))}


def _scheme_subjects(record: Mapping[str, Any]) -> tuple[str, ...]:
    category = label_category(record)
    scheme = label_scheme_id(record)
    if scheme is None or category is None:
        return ()
    return _subjects_of(scheme, category)


@lru_cache(maxsize=1024)
def _subjects_of(scheme: str, category: str) -> tuple[str, ...]:
    """The subjects of a scheme's recognitions that cover ``category`` (for the category, or
    for the whole scheme), sorted; cached (each costs an ABI encoding and a hash)."""
    return tuple(sorted({scheme_subject(scheme, category), scheme_subject(scheme, "")}))


def to_public(session: Session, recognition: Recognition, *, base_url: str) -> RecognitionPublic:
    """The API view of a recognition."""
    withdrawal = session.exec(
        select(RecognitionWithdrawal).where(RecognitionWithdrawal.recognition_id == recognition.id)
    ).first()
    revocation = ledger.revocation_of(session, record_type=RECORD_TYPE, record_id=recognition.id)
    revocation_status = None
    if recognition.status in ENDED:
        revocation_status = "requested" if revocation is None else revocation.status
    return RecognitionPublic(
        id=recognition.id,
        org_id=recognition.org_id,
        recognizer=recognition.recognizer,
        scheme=recognition.scheme,
        subject_type=recognition.subject_type,
        subject=recognition.subject,
        category=recognition.category,
        valid_from=recognition.valid_from,
        valid_until=recognition.valid_until,
        label_id=recognition.label_id,
        status=recognition.status,
        anchor_status=ledger.record_status(
            session, record_type=RECORD_TYPE, record_id=recognition.id
        ),
        withdrawal_id=withdrawal.id if withdrawal else None,
        revocation_status=revocation_status,
        record=recognition.record,
        bundle_url=f"{base_url}/api/v1/recognitions/{recognition.id}/bundle",
        created_at=recognition.created_at,
    )
