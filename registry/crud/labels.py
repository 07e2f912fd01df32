"""Labels: certify a footprint and issue its label record; revoke and supersede labels."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from anchoring import ledger
from anchoring.errors import LedgerError
from registry.audit import record_audit
from registry.catalogue import CATEGORIES, require_catalogue_category
from registry.crud.footprints import RECORD_TYPE as FOOTPRINT_RECORD_TYPE
from registry.crud.footprints import audit_snapshot as footprint_audit_snapshot
from registry.crud.footprints import footprint_digest
from registry.crud.prefixes import check_gtin_owned
from registry.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from registry.finality import Finality, anchor_state
from registry.grading import grade_footprint
from registry.i18n import LANGUAGES, NAME_KEYS
from registry.ids import new_master_salt, new_record_id
from registry.models.footprints import Footprint
from registry.models.idempotency import CertificateCounter
from registry.models.labels import (
    AnchorFinality,
    Label,
    LabelCreate,
    LabelPublic,
    LabelReissue,
)
from registry.models.orgs import Organisation, OrgRole
from registry.qr import label_url
from verifier.protocol.leaf import record_leaf_value
from verifier.protocol.reasons import RevocationReason
from verifier.protocol.records import LABEL as RECORD_TYPE

CERTIFICATE_PREFIX = "CQ-CFL"
ACTIVE, REVOKED, SUPERSEDED = "active", "revoked", "superseded"


def next_certificate_number(session: Session, *, year: int) -> str:
    """``CQ-CFL-<year>-<6-digit serial>``, counted per year inside the caller's transaction.

    One statement, ``INSERT ... ON CONFLICT (year) DO UPDATE SET last = last + 1 RETURNING last``
    (SQLite and PostgreSQL alike): it takes the row's write lock (SQLite: the database's), so
    concurrent certifications never read the same serial, and two first certificates of a year
    at once do not collide on the primary key.
    """
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    bump = (
        insert(CertificateCounter)
        .values(year=year, last=1)
        .on_conflict_do_update(
            index_elements=["year"],
            set_={"last": col(CertificateCounter.last) + 1},
        )
        .returning(col(CertificateCounter.last))
    )
    last = session.execute(bump).scalar_one()
    return f"{CERTIFICATE_PREFIX}-{year}-{last:06d}"


def build_record(
    *,
    label_id: str,
    certificate_number: str,
    footprint: Footprint,
    enterprise: Organisation,
    certifier: Organisation,
    body: LabelCreate,
    grade: dict[str, Any],
    supersedes: str | None,
    issued_at: datetime,
    reissue_of: str | None = None,
    evidence: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """The label record: self-contained, so its bundle alone tells a consumer what was certified.

    The company is the enterprise's organisation record (its registered name), never the
    footprint's free-text ``company_name``: a label names who the registry knows submitted it.
    ``evidence`` (``{sha256, mediaType, name}`` of each document the review held,
    :mod:`registry.crud.reviews`) becomes the ``evidence`` member, so the digests are anchored;
    a label without evidence has no such member (its record is as before).
    """
    data = footprint.data
    category = CATEGORIES[data["category"]]
    return {
        "type": RECORD_TYPE,
        "id": label_id,
        "certificate_number": certificate_number,
        "product": {
            "name": data["product_name"],
            "gtin": data.get("gtin"),
            "serial": body.serial,
            "product_ids": data.get("product_ids", []),
            "category": category.code,
            # Keyed as every anchored record has it (registry.i18n.NAME_KEYS: zh is Simplified).
            "category_name": {NAME_KEYS[lang]: category.names[lang] for lang in LANGUAGES},
        },
        "company": {"name": enterprise.name, "org": enterprise.id},
        "footprint": {
            "id": footprint.id,
            "digest": footprint_digest(footprint),
            "kg_co2e_per_unit": data["kg_co2e_per_unit"],
            "declared_unit": data["declared_unit"],
            "declared_amount": data["declared_amount"],
            "fossil_kg_co2e": data["fossil_kg_co2e"],
            "biogenic_kg_co2e": data["biogenic_kg_co2e"],
            "system_boundary": data["system_boundary"],
            "reference_period": data["reference_period"],
            "geography": data["geography"],
            "standards": data["standards"],
            "primary_data_share": data["primary_data_share"],
            "data_quality_rating": data["data_quality_rating"],
            # How Tanji computed it (docs/ACCOUNTING.md); absent for a footprint given as a number.
            **({"calculation": data["calculation"]} if data.get("calculation") else {}),
        },
        "grade": grade,
        "certifier": {"org": certifier.id, "name": certifier.name, "address": certifier.address},
        "validity": {
            "valid_from": body.valid_from.isoformat(),
            "valid_until": body.valid_until.isoformat(),
        },
        "supersedes": supersedes,
        "notes": body.notes,
        "issued_at": issued_at.isoformat(timespec="seconds"),
        # Supplier components and their attestation ids (issue 4); absent when there are none.
        **({"components": data["components"]} if data.get("components") else {}),
        # The revoked label an explicit reissue replaces; absent otherwise.
        **({"reissue_of": reissue_of} if reissue_of else {}),
        # The review's evidence documents by digest (docs/PROTOCOL.md); absent when none.
        **({"evidence": evidence} if evidence else {}),
    }


def issue_label(
    session: Session,
    *,
    certifier: Organisation,
    body: LabelCreate,
    supersedes: Label | None = None,
    reissue_of: Label | None = None,
    evidence: list[dict[str, str]] | None = None,
) -> Label:
    """Certify a footprint and add its label and ledger row to the session (no commit).

    ``evidence`` lists the review's documents for the record (:func:`build_record`).

    Raises :class:`NotFoundError` for an unknown footprint, :class:`ConflictError`
    (``already_labelled``) when the footprint already has an active label,
    (``footprint_label_revoked``) when a label of it was revoked (only :func:`reissue_label`
    labels it again), :class:`PermissionDeniedError` (``gtin_not_owned``) when its GTIN is not
    under a prefix confirmed for its enterprise, :class:`registry.grading.GradingError` when
    it cannot be graded (``catalogue_category_required`` for the general category), and
    :class:`InvalidInputError` (``geography_country_required``) when it gives a region only.
    """
    footprint = session.get(Footprint, body.footprint_id)
    if footprint is None:
        raise NotFoundError(f"footprint {body.footprint_id} does not exist", field="footprint_id")
    active = session.exec(
        select(Label).where(Label.footprint_id == footprint.id, Label.status == ACTIVE)
    ).first()
    if active is not None and (supersedes is None or active.id != supersedes.id):
        raise ConflictError(
            f"footprint {footprint.id} already has the active label {active.id}",
            code="already_labelled",
            field="footprint_id",
            details=[{"label_id": active.id}],
        )
    if reissue_of is None:
        _check_not_revoked(session, footprint, superseding=supersedes is not None)
    if footprint.gtin:
        _check_gtin_owner(session, footprint)
    data = footprint.data
    require_catalogue_category(data["category"], "a label")  # not the general category
    grade = grade_footprint(
        category=data["category"],
        kg_co2e_per_unit=data["kg_co2e_per_unit"],
        declared_unit=data["declared_unit"],
        system_boundary=data["system_boundary"],
    )
    if not data["geography"].get("country"):
        # A PACT footprint may give only a UN region; a label states the country it applies to.
        raise InvalidInputError(
            f"a label needs the footprint's country; footprint {footprint.id} gives only the "
            f"region {data['geography'].get('region')!r}",
            code="geography_country_required",
            field="geography",
        )
    enterprise = session.get(Organisation, footprint.org_id)
    assert enterprise is not None  # FK
    issued_at = datetime.now(UTC)
    label_id = new_record_id()
    number = next_certificate_number(session, year=issued_at.year)
    salt = new_master_salt()
    record = build_record(
        label_id=label_id,
        certificate_number=number,
        footprint=footprint,
        enterprise=enterprise,
        certifier=certifier,
        body=body,
        grade=grade.as_dict(),
        supersedes=supersedes.id if supersedes else None,
        issued_at=issued_at,
        reissue_of=reissue_of.id if reissue_of else None,
        evidence=evidence,
    )
    label = Label(
        id=label_id,
        footprint_id=footprint.id,
        enterprise_org_id=enterprise.id,
        certifier_org_id=certifier.id,
        certificate_number=number,
        gtin=data.get("gtin"),
        serial=body.serial,
        valid_from=body.valid_from,
        valid_until=body.valid_until,
        grade=grade.grade,
        record=record,
        master_salt="0x" + salt.hex(),
        supersedes=supersedes.id if supersedes else None,
        reissue_of=reissue_of.id if reissue_of else None,
        created_at=issued_at,
    )
    session.add(label)
    session.flush()  # before any row (a superseded label) references it
    footprint_before = footprint_audit_snapshot(footprint)
    footprint.status = "certified"
    session.add(footprint)
    leaf_value = record_leaf_value(record, salt)
    ledger.enqueue(session, record_type=RECORD_TYPE, record_id=label_id, leaf_value=leaf_value)
    record_audit(
        session,
        action="label.issue",
        subject_type=RECORD_TYPE,
        subject_id=label_id,
        after={**audit_snapshot(label), "record_digest": leaf_value[2]},
    )
    if footprint_before["status"] != footprint.status:
        record_audit(
            session,
            action="footprint.certify",
            subject_type=FOOTPRINT_RECORD_TYPE,
            subject_id=footprint.id,
            before=footprint_before,
            after=footprint_audit_snapshot(footprint),
        )
    return label


def audit_snapshot(label: Label) -> dict[str, Any]:
    """A label's state as its audit entries commit to it (its record is anchored itself)."""
    return {
        "id": label.id,
        "footprint_id": label.footprint_id,
        "certifier_org_id": label.certifier_org_id,
        "certificate_number": label.certificate_number,
        "grade": label.grade,
        "status": label.status,
        "revocation_reason": label.revocation_reason,
        "revocation_note": label.revocation_note,
        "revoked_at": label.revoked_at.isoformat() if label.revoked_at else None,
        "supersedes": label.supersedes,
        "superseded_by": label.superseded_by,
        "reissue_of": label.reissue_of,
    }


def _check_not_revoked(session: Session, footprint: Footprint, *, superseding: bool) -> None:
    """A footprint whose label was revoked stays unlabelled: another certification body must not
    replace a revocation. (A superseded label's footprint was corrected away: it gets no fresh
    label either; superseding onto it stays possible, as onto any footprint of the product.)"""
    ended = (REVOKED,) if superseding else (REVOKED, SUPERSEDED)
    earlier = session.exec(
        select(Label)
        .where(Label.footprint_id == footprint.id, col(Label.status).in_(ended))
        .order_by(col(Label.created_at).desc())
    ).first()
    if earlier is None:
        return
    raise ConflictError(
        f"footprint {footprint.id} had the label {earlier.id}, {earlier.status}: a new label "
        "needs a new footprint, or the revoking certification body's reissue "
        f"(POST /api/v1/labels/{earlier.id}/reissue)",
        code="footprint_label_revoked",
        field="footprint_id",
        details=[
            {
                "label_id": earlier.id,
                "status": earlier.status,
                "certifier_org_id": earlier.certifier_org_id,
            }
        ],
    )


def _check_gtin_owner(session: Session, footprint: Footprint) -> None:
    """The footprint's GTIN must (still) be under a prefix confirmed for its enterprise."""
    assert footprint.gtin is not None
    try:
        check_gtin_owned(session, org_id=footprint.org_id, gtin14=footprint.gtin)
    except PermissionDeniedError as exc:
        exc.field = "footprint_id"
        raise


def reissue_label(session: Session, *, old: Label, org: Organisation, body: LabelReissue) -> Label:
    """Label a revoked label's footprint again, by the body that revoked it (no commit).

    The new label's record and row name the revoked one (``reissue_of``) and an audit entry
    records the decision. A label is reissued at most once (``already_reissued``); a label that
    is not revoked (``not_revoked``) or whose footprint has an active label again
    (``already_labelled``) is refused.
    """
    _check_issuer(old, org)  # only the issuer revokes, so the issuer is the revoking body
    if old.status != REVOKED:
        raise ConflictError(
            f"label {old.id} is {old.status}; only a revoked label is reissued",
            code="not_revoked",
            field="label_id",
        )
    again = session.exec(select(Label).where(Label.reissue_of == old.id)).first()
    if again is not None:
        raise ConflictError(
            f"label {old.id} was already reissued as {again.id}",
            code="already_reissued",
            field="label_id",
            details=[{"label_id": again.id}],
        )
    create = LabelCreate(footprint_id=old.footprint_id, **body.model_dump())
    try:
        new = issue_label(session, certifier=org, body=create, reissue_of=old)
    except IntegrityError:  # a concurrent reissue of the same label (unique reissue_of)
        raise ConflictError(
            f"label {old.id} was reissued by another request at the same time",
            code="already_reissued",
            field="label_id",
        ) from None
    record_audit(
        session,
        action="label.reissue",
        subject_type=RECORD_TYPE,
        subject_id=new.id,
        before=audit_snapshot(old),
        after=audit_snapshot(new),
    )
    return new


def _check_issuer(label: Label, org: Organisation) -> None:
    if org.role != OrgRole.CERTIFICATION_BODY or label.certifier_org_id != org.id:
        raise PermissionDeniedError(
            f"only the certification body that issued label {label.id} may change it",
            code="not_issuer",
            field="label_id",
        )


def revoke_label(
    session: Session, *, label: Label, org: Organisation, reason: int, note: str | None
) -> Label:
    """Mark a label revoked and queue its on-chain revocation (no commit).

    A label still waiting for its anchor is revoked on chain as soon as it is anchored (the
    revocation sweep, :mod:`registry.records.sweeps`); until then the registry already reports
    it revoked.
    """
    _check_issuer(label, org)
    if label.status != ACTIVE:
        raise ConflictError(
            f"label {label.id} is already {label.status}", code="already_revoked", field="label_id"
        )
    before = audit_snapshot(label)
    label.status = (
        SUPERSEDED if reason == RevocationReason.SUPERSEDED and label.superseded_by else REVOKED
    )
    label.revocation_reason = reason
    label.revocation_note = note
    label.revoked_at = datetime.now(UTC)
    session.add(label)
    _request_on_chain(session, label)
    record_audit(
        session,
        action="label.supersede" if label.status == SUPERSEDED else "label.revoke",
        subject_type=RECORD_TYPE,
        subject_id=label.id,
        before=before,
        after=audit_snapshot(label),
    )
    return label


def supersede_label(session: Session, *, old: Label, org: Organisation, body: LabelCreate) -> Label:
    """Issue a label for a corrected footprint and revoke ``old`` with reason 1 (no commit).

    The corrected footprint must be the same enterprise's footprint of the same product;
    otherwise :class:`InvalidInputError` (``supersede_other_enterprise`` or
    ``supersede_other_product``, field ``footprint_id``).
    """
    _check_issuer(old, org)
    if old.status != ACTIVE:
        raise ConflictError(
            f"label {old.id} is already {old.status}", code="already_revoked", field="label_id"
        )
    replacement = session.get(Footprint, body.footprint_id)
    if replacement is None:
        raise NotFoundError(f"footprint {body.footprint_id} does not exist", field="footprint_id")
    _check_same_product(old, replacement)
    new = issue_label(session, certifier=org, body=body, supersedes=old)
    old.superseded_by = new.id
    revoke_label(
        session,
        label=old,
        org=org,
        reason=RevocationReason.SUPERSEDED,
        note=f"superseded by {new.id}",
    )
    return new


def _check_same_product(old: Label, replacement: Footprint) -> None:
    # A supersede tells every verifier "this label now reads as that one": pointing company A's
    # label at company B's footprint, or at another product, would move a label between them.
    if replacement.org_id != old.enterprise_org_id:
        raise InvalidInputError(
            f"footprint {replacement.id} belongs to another enterprise than label {old.id}",
            code="supersede_other_enterprise",
            field="footprint_id",
        )
    was, now = old.record["product"], replacement.data
    if now["category"] != was["category"] or not _same_product_ids(was, now):
        raise InvalidInputError(
            f"footprint {replacement.id} is not of the product labelled by {old.id}",
            code="supersede_other_product",
            field="footprint_id",
            details=[{"label_id": old.id, "gtin": was.get("gtin"), "category": was["category"]}],
        )


def _same_product_ids(was: dict[str, Any], now: dict[str, Any]) -> bool:
    """The product's identity: its GTIN where it has one, else a product id in common, else
    its name (in any language both have, so that a correction of another one still matches)."""
    if was.get("gtin"):
        return bool(now.get("gtin") == was["gtin"])
    if was.get("product_ids"):
        return bool(set(was["product_ids"]) & set(now.get("product_ids") or []))
    name, new_name = was["name"], now["product_name"]
    return any(new_name.get(lang) == text for lang, text in name.items())


def _request_on_chain(session: Session, label: Label) -> bool:
    assert label.revocation_reason is not None
    try:
        ledger.request_revocation(
            session, record_type=RECORD_TYPE, record_id=label.id, reason=label.revocation_reason
        )
    except LedgerError as exc:
        if exc.code == "not_anchored":
            return False
        raise
    return True


def get_label(session: Session, *, label_id: str) -> Label:
    """A label by id (labels are public); raises :class:`NotFoundError`."""
    label = session.get(Label, label_id)
    if label is None:
        raise no_such_label(label_id)
    return label


def no_such_label(label_id: str) -> NotFoundError:
    """The error of a read naming a label that does not exist."""
    return NotFoundError(f"label {label_id} does not exist", field="label_id")


def list_labels(
    session: Session, *, org: Organisation, offset: int, limit: int
) -> tuple[list[Label], int]:
    """Labels visible in a listing: an enterprise's own, a certifier's issued, all for others."""
    query = select(Label)
    count_query = select(func.count()).select_from(Label)
    if org.role == OrgRole.ENTERPRISE:
        query = query.where(Label.enterprise_org_id == org.id)
        count_query = count_query.where(Label.enterprise_org_id == org.id)
    elif org.role == OrgRole.CERTIFICATION_BODY:
        query = query.where(Label.certifier_org_id == org.id)
        count_query = count_query.where(Label.certifier_org_id == org.id)
    count = session.exec(count_query).one()
    rows = session.exec(
        query.order_by(col(Label.created_at).desc(), col(Label.id)).offset(offset).limit(limit)
    ).all()
    return list(rows), int(count)


def revocation_status(session: Session, label: Label) -> str | None:
    """``None`` (not revoked), ``requested`` (waiting for the anchor), or the ledger's status."""
    if label.revocation_reason is None:
        return None
    row = ledger.revocation_of(session, record_type=RECORD_TYPE, record_id=label.id)
    return revocation_state(label.revocation_reason, None if row is None else row.status)


def revocation_state(reason: int | None, requested: str | None) -> str | None:
    """:func:`revocation_status` of a label revoked with ``reason`` (``None``: not revoked)
    whose on-chain revocation has status ``requested`` (``None``: none queued yet)."""
    if reason is None:
        return None
    return "requested" if requested is None else requested


def to_public(session: Session, label: Label, *, base_url: str) -> LabelPublic:
    """The API view of a label: its anchor status and finality as its bundle is served
    (:func:`registry.finality.anchor_state`)."""
    anchor_status, finality = anchor_state(session, record_type=RECORD_TYPE, record_id=label.id)
    return public_of(
        label,
        anchor_status=anchor_status,
        finality=finality,
        revocation_status=revocation_status(session, label),
        base_url=base_url,
    )


def public_of(
    label: Any,
    *,
    anchor_status: str | None,
    finality: Finality | None,
    revocation_status: str | None,
    base_url: str,
) -> LabelPublic:
    """:func:`to_public` of a label whose anchor state and revocation status were read already
    (``label``: a :class:`Label` or any row with its columns as attributes)."""
    return LabelPublic(
        id=label.id,
        certificate_number=label.certificate_number,
        footprint_id=label.footprint_id,
        status=label.status,
        anchor_status=anchor_status,
        finality=None if finality is None else AnchorFinality(**finality.as_json()),
        revocation_status=revocation_status,
        grade=label.grade,
        valid_from=label.valid_from,
        valid_until=label.valid_until,
        gtin=label.gtin,
        serial=label.serial,
        url=label_url(base_url, label.id, gtin=label.gtin, serial=label.serial),
        bundle_url=f"{base_url}/api/v1/labels/{label.id}/bundle",
        record=label.record,
        revocation_reason=label.revocation_reason,
        revocation_note=label.revocation_note,
        revoked_at=label.revoked_at,
        supersedes=label.supersedes,
        superseded_by=label.superseded_by,
        reissue_of=label.reissue_of,
        created_at=label.created_at,
    )
