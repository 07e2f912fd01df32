"""Footprints: store a validated footprint as an anchored record, read them back."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from anchoring import ledger
from registry.audit import record_audit, record_audit_many
from registry.crud.attestations import check_footprint_components
from registry.crud.prefixes import check_gtin_owned, confirmed_prefixes
from registry.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from registry.ids import new_master_salt, new_record_id
from registry.models.common import utcnow
from registry.models.footprints import BulkItemResult, Footprint, FootprintCreate, FootprintPublic
from registry.models.orgs import Organisation, OrgRole
from registry.validation import validation_error_details
from verifier.protocol.canonical import canonicalize
from verifier.protocol.leaf import (
    canonical_field_commitment,
    commitments_digest,
    field_salt,
    leaf_value,
    record_digest,
    record_leaf_value,
)
from verifier.protocol.records import FOOTPRINT as RECORD_TYPE

FOOTPRINT_SUBMITTED = "submitted"


def content_hash(data: dict[str, Any]) -> str:
    """SHA-256 of a footprint's canonical input; equal inputs are duplicates."""
    return hashlib.sha256(canonicalize(data)).hexdigest()


def build_record(*, footprint_id: str, org: Organisation, data: dict[str, Any]) -> dict[str, Any]:
    """The anchored record of a footprint: every submitted field, plus who and when."""
    return {
        "type": RECORD_TYPE,
        "id": footprint_id,
        "org": org.id,
        **data,
        "submitted_at": utcnow().isoformat(timespec="seconds"),
    }


def salt_bytes(salt_hex: str) -> bytes:
    """A stored ``0x``-hex master salt as bytes."""
    return bytes.fromhex(salt_hex.removeprefix("0x"))


def footprint_digest(footprint: Footprint) -> str:
    """The footprint record's digest (``leafValue[2]``), 0x-hex."""
    return "0x" + record_digest(footprint.record, salt_bytes(footprint.master_salt)).hex()


def find_duplicate(session: Session, *, org_id: str, digest: str) -> Footprint | None:
    """An existing footprint of the org with the same content hash."""
    return session.exec(
        select(Footprint).where(Footprint.org_id == org_id, Footprint.content_hash == digest)
    ).first()


def _content(data: dict[str, Any]) -> dict[str, Any]:
    """What makes two footprints the same: the data without the fresh id its calculation gives
    its inventory record (``calculation.inventory_record``)."""
    calculation = data.get("calculation")
    if not isinstance(calculation, dict) or "inventory_record" not in calculation:
        return data
    rest = {k: v for k, v in calculation.items() if k != "inventory_record"}
    return {**data, "calculation": rest}


def add_footprint(session: Session, *, org: Organisation, item: FootprintCreate) -> Footprint:
    """Add a footprint and its ledger row to the session (no commit: the caller's transaction).

    Raises :class:`ConflictError` (``duplicate_footprint``) when the org already has it, and
    :class:`PermissionDeniedError` (``gtin_not_owned``) for a GTIN outside the org's prefixes.
    """
    data = item.model_dump(mode="json")
    if data.get("gtin"):
        check_gtin_owned(session, org_id=org.id, gtin14=data["gtin"])
    check_footprint_components(session, data)
    digest = content_hash(_content(data))
    existing = find_duplicate(session, org_id=org.id, digest=digest)
    if existing is not None:
        raise ConflictError(
            f"this footprint was already submitted as {existing.id}",
            code="duplicate_footprint",
            details=[{"id": existing.id}],
        )
    return _insert(session, org=org, data=data, digest=digest)


def _insert(session: Session, *, org: Organisation, data: dict[str, Any], digest: str) -> Footprint:
    row, leaf = _new_footprint(org=org, data=data, digest=digest)
    footprint = Footprint(**row)
    session.add(footprint)
    # Same transaction as the footprint row: the record is never stored without its leaf.
    ledger.enqueue(session, record_type=RECORD_TYPE, record_id=leaf[1], leaf_value=leaf[2])
    record_audit(
        session,
        action="footprint.create",
        subject_type=RECORD_TYPE,
        subject_id=footprint.id,
        after=audit_snapshot(row),
    )
    return footprint


def audit_snapshot(footprint: dict[str, Any] | Footprint) -> dict[str, Any]:
    """A footprint's state as its audit entries commit to it (its record is anchored itself)."""
    names = ("id", "org_id", "status", "content_hash")
    if isinstance(footprint, dict):
        return {name: footprint[name] for name in names}
    return {name: getattr(footprint, name) for name in names}


def shared_leaf_value(
    record: dict[str, Any], master_salt: bytes, canonical: dict[tuple[str, str], bytes]
) -> list[str]:
    """:func:`record_leaf_value`, with ``JCS([name, value])`` of each field looked up in (and
    added to) ``canonical``: the records of one bulk request share most field values (org,
    category, unit, boundary, period, geography...), and canonicalising them is most of the
    intake's CPU. The key is the value's sorted-key JSON, equal only for equal JSON values."""
    commitments: dict[str, bytes] = {}
    for name, value in record.items():
        try:
            key: tuple[str, str] | None = (name, json.dumps(value, sort_keys=True))
        except (TypeError, ValueError):
            key = None
        jcs = canonical.get(key) if key is not None else None
        if jcs is None:
            jcs = canonicalize([name, value])
            if key is not None:
                canonical[key] = jcs
        salt = field_salt(master_salt, name)
        commitments[name] = canonical_field_commitment(jcs, salt, name=name)
    return leaf_value(record, commitments_digest(commitments))


def _new_footprint(
    *,
    org: Organisation,
    data: dict[str, Any],
    digest: str,
    canonical: dict[tuple[str, str], bytes] | None = None,
) -> tuple[dict[str, Any], tuple[str, str, list[str]]]:
    """A new footprint's row (column values) and its ledger leaf ``(type, id, leaf value)``.

    ``canonical``: the canonical fields of a bulk request's records so far
    (:func:`shared_leaf_value`).
    """
    footprint_id = new_record_id("fp")
    salt = new_master_salt()
    record = build_record(footprint_id=footprint_id, org=org, data=data)
    if canonical is not None:
        leaf = shared_leaf_value(record, salt, canonical)
    row = {
        "id": footprint_id,
        "org_id": org.id,
        "status": FOOTPRINT_SUBMITTED,
        "content_hash": digest,
        "category": data["category"],
        "gtin": data.get("gtin"),
        "data": data,
        "record": record,
        "master_salt": "0x" + salt.hex(),
        "created_at": utcnow(),
    }
    if canonical is None:
        leaf = record_leaf_value(record, salt)
    return row, (RECORD_TYPE, footprint_id, leaf)


def add_bulk(session: Session, *, org: Organisation, items: list[Any]) -> list[BulkItemResult]:
    """Validate each item on its own and add the valid, new ones (no commit).

    Invalid items are reported with their errors, items already stored (or repeated earlier in
    the same request) as ``duplicate`` with the existing id. Nothing of an invalid item is added.
    """
    results: list[BulkItemResult] = []
    valid: list[tuple[int, dict[str, Any], str]] = []
    prefixes = confirmed_prefixes(session, org_id=org.id)
    for index, raw in enumerate(items):
        try:
            item = FootprintCreate.model_validate(raw)
        except ValidationError as exc:
            details = validation_error_details(exc.errors())
            first = details[0]
            results.append(
                BulkItemResult(
                    index=index,
                    status="error",
                    error={**first, "details": details},
                )
            )
            continue
        data = item.model_dump(mode="json")
        try:
            if data.get("gtin"):
                check_gtin_owned(session, org_id=org.id, gtin14=data["gtin"], prefixes=prefixes)
            check_footprint_components(session, data)
        except (InvalidInputError, PermissionDeniedError) as exc:
            error = {"code": exc.code, "message": exc.message, "field": exc.field}
            results.append(BulkItemResult(index=index, status="error", error=error))
            continue
        valid.append((index, data, content_hash(data)))
    hashes = [digest for _, _, digest in valid]
    known: dict[str, str] = {}
    for chunk_start in range(0, len(hashes), 500):
        chunk = hashes[chunk_start : chunk_start + 500]
        stored = session.exec(
            select(Footprint.content_hash, Footprint.id).where(
                Footprint.org_id == org.id, col(Footprint.content_hash).in_(chunk)
            )
        ).all()
        known.update({row[0]: row[1] for row in stored})
    rows: list[dict[str, Any]] = []
    leaves: list[tuple[str, str, list[str]]] = []
    canonical: dict[tuple[str, str], bytes] = {}
    for index, data, digest in valid:
        if digest in known:
            results.append(BulkItemResult(index=index, status="duplicate", id=known[digest]))
            continue
        row, leaf = _new_footprint(org=org, data=data, digest=digest, canonical=canonical)
        rows.append(row)
        leaves.append(leaf)
        known[digest] = row["id"]
        results.append(BulkItemResult(index=index, status="created", id=row["id"]))
    if rows:
        # Two multi-row inserts in the caller's transaction: a per-row ORM flush is ~10x slower
        # at a thousand rows. The ids are new; only a concurrent request storing the same content
        # since our duplicate check can collide (the org + content hash constraint).
        try:
            session.execute(sa.insert(Footprint), rows)
            ledger.enqueue_new(session, leaves)
        except IntegrityError:
            # Nothing of this request is kept (the caller's transaction rolls back); a retry
            # answers those items as duplicates.
            raise ConflictError(
                "another request stored some of these footprints at the same time; retry",
                code="concurrent_update",
            ) from None
        # One entry per footprint, written with the commit in one multi-row insert.
        record_audit_many(
            session,
            action="footprint.create",
            subject_type=RECORD_TYPE,
            changes=[(row["id"], None, audit_snapshot(row)) for row in rows],
        )
    results.sort(key=lambda result: result.index)
    return results


def get_footprint(session: Session, *, footprint_id: str, org: Organisation) -> Footprint:
    """A footprint the org may see: its own; any for certifiers and admins."""
    footprint = session.get(Footprint, footprint_id)
    if footprint is None:
        raise NotFoundError(f"footprint {footprint_id} does not exist", field="footprint_id")
    if org.role == OrgRole.ENTERPRISE and footprint.org_id != org.id:
        raise PermissionDeniedError(
            f"footprint {footprint_id} belongs to another organisation",
            code="forbidden_org",
            field="footprint_id",
        )
    if org.role == OrgRole.PARTNER_CERTIFIER:
        raise PermissionDeniedError(
            "partner certifiers read labels, not footprints", code="forbidden_role"
        )
    return footprint


def list_footprints(
    session: Session, *, org: Organisation, offset: int, limit: int
) -> tuple[list[Footprint], int]:
    """A page of footprints (newest first): the org's own, or all for certifiers and admins."""
    if org.role == OrgRole.PARTNER_CERTIFIER:
        raise PermissionDeniedError(
            "partner certifiers read labels, not footprints", code="forbidden_role"
        )
    query = select(Footprint)
    count_query = select(func.count()).select_from(Footprint)
    if org.role == OrgRole.ENTERPRISE:
        query = query.where(Footprint.org_id == org.id)
        count_query = count_query.where(Footprint.org_id == org.id)
    count = session.exec(count_query).one()
    rows = session.exec(
        query.order_by(col(Footprint.created_at).desc(), col(Footprint.id))
        .offset(offset)
        .limit(limit)
    ).all()
    return list(rows), int(count)


def anchor_statuses(session: Session, *, record_type: str, ids: list[str]) -> dict[str, str]:
    """Ledger status of many records in one query (a page of a listing)."""
    if not ids:
        return {}
    rows = session.exec(
        select(ledger.AnchorRecord.record_id, ledger.AnchorRecord.status).where(
            ledger.AnchorRecord.record_type == record_type,
            col(ledger.AnchorRecord.record_id).in_(ids),
        )
    ).all()
    return {record_id: status for record_id, status in rows}


def to_public(
    session: Session, footprint: Footprint, *, anchor_status: str | None = None
) -> FootprintPublic:
    """The API view of a footprint (the master salt never leaves through it).

    ``anchor_status`` saves the ledger lookup when the caller already has it.
    """
    if anchor_status is None:
        anchor_status = ledger.record_status(
            session, record_type=RECORD_TYPE, record_id=footprint.id
        )
    return FootprintPublic(
        id=footprint.id,
        org_id=footprint.org_id,
        status=footprint.status,
        anchor_status=anchor_status,
        data=footprint.data,
        record_digest=footprint_digest(footprint),
        created_at=footprint.created_at,
    )
