"""Identifier prefixes: which GS1 company prefixes an organisation may use, and who owns a GTIN.

A GTIN-14 is an indicator digit, then the 13 digits of a GTIN-13 (GTIN-12 and GTIN-8 padded with
leading zeros, GS1 General Specifications 3.3.2): the company prefix is at the start of those 13.
A U.P.C. company prefix ``614141`` is therefore the GS1 company prefix ``0614141``; a GTIN-8,
which has no company prefix, is owned through the 12-digit prefix ``00000`` + its first 7 digits.
Only confirmed prefixes count. Confirmations of overlapping prefixes are serialised (a
transaction-scoped lock) so that two organisations can never both hold one.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, or_, select

from registry.audit import record_audit
from registry.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from registry.models.common import utcnow
from registry.models.orgs import Organisation, OrgRole
from registry.models.prefixes import (
    CLAIMED,
    CONFIRMED,
    GS1,
    GS1_PREFIX,
    REFUSED,
    IdPrefix,
    IdPrefixPublic,
)
from registry.plaintext import check_text

__all__ = [
    "check_gtin_owned",
    "claim_prefix",
    "confirm_prefix",
    "confirmed_prefixes",
    "covers",
    "grant_prefix",
    "gtin_owner",
    "list_prefixes",
    "read_prefix",
    "refuse_prefix",
]

SUBJECT = "id_prefix"
#: Key of the PostgreSQL advisory lock that serialises confirmations.
_PG_LOCK_KEY = 0x74616E6A69  # "tanji"


def read_prefix(value: str, *, field: str = "prefix") -> str:
    """A GS1 company prefix from a path or the CLI; :class:`InvalidInputError` otherwise."""
    value = value.strip()
    if not value.isascii() or GS1_PREFIX.fullmatch(value) is None:
        raise InvalidInputError(
            f"a GS1 company prefix is 6 to 12 digits (e.g. 690123456), got {value[:40]!r}",
            code="invalid_prefix",
            field=field,
        )
    return value


def covers(prefix: str, gtin14: str) -> bool:
    """Whether the GS1 company prefix ``prefix`` numbers the GTIN-14 ``gtin14``."""
    return gtin14[1:].startswith(prefix)


def _subject(row: IdPrefix) -> str:
    return f"{row.org_id}:{row.scheme}:{row.prefix}"


def _snapshot(row: IdPrefix) -> dict[str, Any]:
    return IdPrefixPublic.model_validate(row, from_attributes=True).model_dump(mode="json")


def _lock(session: Session) -> None:
    """Serialise prefix changes until the transaction ends (checks read, then write)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
    else:
        # SQLite: a write statement takes the database's write lock for the transaction.
        session.execute(sa.text("UPDATE id_prefix SET status = status WHERE id = -1"))


def _other_holder(session: Session, *, org_id: str, prefix: str) -> IdPrefix | None:
    """Another organisation's confirmed prefix overlapping ``prefix`` (either starts the other)."""
    shorter = [prefix[:n] for n in range(6, len(prefix) + 1)]
    return session.exec(
        select(IdPrefix).where(
            IdPrefix.scheme == GS1,
            IdPrefix.status == CONFIRMED,
            IdPrefix.org_id != org_id,
            or_(col(IdPrefix.prefix).in_(shorter), col(IdPrefix.prefix).startswith(prefix)),
        )
    ).first()


def _refuse_taken(held: IdPrefix, prefix: str) -> ConflictError:
    return ConflictError(
        f"the prefix {prefix} overlaps {held.prefix}, confirmed for another organisation",
        code="prefix_taken",
        field="prefix",
        details=[{"prefix": prefix, "held": held.prefix}],
    )


def _find(session: Session, *, org_id: str, prefix: str) -> IdPrefix | None:
    return session.exec(
        select(IdPrefix).where(
            IdPrefix.org_id == org_id, IdPrefix.scheme == GS1, IdPrefix.prefix == prefix
        )
    ).first()


def claim_prefix(
    session: Session, *, org: Organisation, prefix: str, evidence: str | None = None
) -> tuple[IdPrefix, bool]:
    """An enterprise claims ``prefix`` (no commit). Returns the row and whether it is new.

    Claiming a prefix the organisation already has returns that row unchanged. A prefix that
    overlaps another organisation's confirmed one is refused (``prefix_taken``, 409).
    """
    if org.role != OrgRole.ENTERPRISE:
        raise PermissionDeniedError(
            "only enterprises claim product identifier prefixes",
            code="forbidden_role",
            field="prefix",
        )
    prefix = read_prefix(prefix)
    existing = _find(session, org_id=org.id, prefix=prefix)
    if existing is not None and existing.status == REFUSED:
        return _reopen(session, existing, evidence), True
    if existing is not None:
        return existing, False
    held = _other_holder(session, org_id=org.id, prefix=prefix)
    if held is not None:
        raise _refuse_taken(held, prefix)
    row = IdPrefix(org_id=org.id, scheme=GS1, prefix=prefix, status=CLAIMED, evidence=evidence)
    session.add(row)
    try:
        session.flush()
    except IntegrityError:  # the same claim by a concurrent request (org, scheme, prefix)
        raise ConflictError(
            f"the prefix {prefix} was claimed by a concurrent request; retry",
            code="concurrent_update",
            field="prefix",
        ) from None
    record_audit(
        session,
        action="id_prefix.claim",
        subject_type=SUBJECT,
        subject_id=_subject(row),
        after=_snapshot(row),
    )
    return row, True


def confirm_prefix(
    session: Session, *, org_id: str, prefix: str, confirmer: Organisation | None
) -> tuple[IdPrefix, bool]:
    """Confirm an organisation's claim (no commit). Returns the row and whether it changed.

    ``confirmer`` is the admin or certification body confirming, ``None`` for the server
    operator (the CLI). Raises :class:`NotFoundError` without such a claim and
    :class:`ConflictError` (``prefix_taken``) when another organisation holds an overlapping
    confirmed prefix. Confirming a confirmed prefix changes nothing.
    """
    if confirmer is not None and confirmer.role not in (
        OrgRole.ADMIN,
        OrgRole.CERTIFICATION_BODY,
    ):
        raise PermissionDeniedError(
            "only an admin or a certification body confirms identifier prefixes",
            code="forbidden_role",
        )
    prefix = read_prefix(prefix)
    _lock(session)
    row = _find(session, org_id=org_id, prefix=prefix)
    if row is None:
        raise NotFoundError(
            f"organisation {org_id} has not claimed the prefix {prefix}", field="prefix"
        )
    if row.status == CONFIRMED:
        return row, False
    held = _other_holder(session, org_id=org_id, prefix=prefix)
    if held is not None:
        raise _refuse_taken(held, prefix)
    before = _snapshot(row)
    row.status = CONFIRMED
    row.confirmed_at = utcnow()
    row.confirmed_by_org_id = confirmer.id if confirmer is not None else None
    row.confirmed_via = "api" if confirmer is not None else "cli"
    session.add(row)
    session.flush()
    record_audit(
        session,
        action="id_prefix.confirm",
        subject_type=SUBJECT,
        subject_id=_subject(row),
        before=before,
        after=_snapshot(row),
    )
    return row, True


def _reopen(session: Session, row: IdPrefix, evidence: str | None) -> IdPrefix:
    """A refused claim made again: claimed once more, with the new evidence."""
    before = _snapshot(row)
    row.status = CLAIMED
    row.evidence = evidence
    session.add(row)
    session.flush()
    record_audit(
        session,
        action="id_prefix.claim",
        subject_type=SUBJECT,
        subject_id=_subject(row),
        before=before,
        after=_snapshot(row),
    )
    return row


def refuse_prefix(
    session: Session, *, org_id: str, prefix: str, refuser: Organisation | None, reason: str
) -> IdPrefix:
    """Refuse an organisation's claim (no commit): an admin or certification body found no
    proof the prefix is theirs. Audited (``id_prefix.refuse``, with the reason).

    Only a claim waiting is refused: a confirmed prefix raises :class:`ConflictError`
    (``prefix_confirmed``), a refused one is returned as it is. A reason is required (422
    ``reason_required``); 404 without such a claim.
    """
    if refuser is not None and refuser.role not in (OrgRole.ADMIN, OrgRole.CERTIFICATION_BODY):
        raise PermissionDeniedError(
            "only an admin or a certification body refuses identifier prefixes",
            code="forbidden_role",
        )
    prefix = read_prefix(prefix)
    reason = reason.strip()
    if not reason:
        raise InvalidInputError(
            "say why the claim is refused", code="reason_required", field="reason"
        )
    check_text(reason, field="reason")
    _lock(session)
    row = _find(session, org_id=org_id, prefix=prefix)
    if row is None:
        raise NotFoundError(
            f"organisation {org_id} has not claimed the prefix {prefix}", field="prefix"
        )
    if row.status == REFUSED:
        return row
    if row.status == CONFIRMED:
        raise ConflictError(
            f"the prefix {prefix} is confirmed for organisation {org_id}; a confirmed prefix "
            "is not refused",
            code="prefix_confirmed",
            field="prefix",
        )
    before = _snapshot(row)
    row.status = REFUSED
    session.add(row)
    session.flush()
    record_audit(
        session,
        action="id_prefix.refuse",
        subject_type=SUBJECT,
        subject_id=_subject(row),
        before=before,
        after={
            **_snapshot(row),
            "reason": reason,
            "refused_by_org_id": refuser.id if refuser is not None else None,
        },
    )
    return row


def grant_prefix(
    session: Session, *, org_id: str, prefix: str, evidence: str | None = None
) -> IdPrefix:
    """Claim and confirm ``prefix`` for an enterprise as the server operator (no commit)."""
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFoundError(f"organisation {org_id} does not exist", field="org")
    claim_prefix(session, org=org, prefix=prefix, evidence=evidence)
    row, _ = confirm_prefix(session, org_id=org_id, prefix=prefix, confirmer=None)
    return row


def list_prefixes(
    session: Session,
    *,
    org_id: str | None = None,
    status: str | None = None,
    offset: int = 0,
    limit: int = 100,
) -> tuple[list[IdPrefix], int]:
    """A page of prefixes (oldest claim first), of one organisation or all, and the count."""
    query = select(IdPrefix)
    if org_id is not None:
        query = query.where(IdPrefix.org_id == org_id)
    if status is not None:
        query = query.where(IdPrefix.status == status)
    count = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(IdPrefix.claimed_at), col(IdPrefix.id)).offset(offset).limit(limit)
    ).all()
    return list(rows), int(count)


def confirmed_prefixes(session: Session, *, org_id: str) -> list[str]:
    """The organisation's confirmed GS1 company prefixes."""
    return list(
        session.exec(
            select(IdPrefix.prefix).where(
                IdPrefix.org_id == org_id, IdPrefix.scheme == GS1, IdPrefix.status == CONFIRMED
            )
        ).all()
    )


def gtin_owner(session: Session, *, gtin14: str) -> str | None:
    """The organisation holding a confirmed prefix of ``gtin14`` (the earliest confirmed)."""
    body = gtin14[1:]
    return session.exec(
        select(IdPrefix.org_id)
        .where(
            IdPrefix.scheme == GS1,
            IdPrefix.status == CONFIRMED,
            col(IdPrefix.prefix).in_([body[:n] for n in range(6, 13)]),
        )
        .order_by(col(IdPrefix.confirmed_at), col(IdPrefix.id))
    ).first()


def check_gtin_owned(
    session: Session, *, org_id: str, gtin14: str, prefixes: list[str] | None = None
) -> None:
    """Raise :class:`PermissionDeniedError` (``gtin_not_owned``, field ``gtin``) unless one of
    the organisation's confirmed prefixes (``prefixes``, else read) numbers ``gtin14``."""
    held = confirmed_prefixes(session, org_id=org_id) if prefixes is None else prefixes
    if any(covers(prefix, gtin14) for prefix in held):
        return
    raise PermissionDeniedError(
        f"GTIN {gtin14} is not under a GS1 company prefix confirmed for this organisation "
        "(claim it with POST /api/v1/orgs/me/id-prefixes; an admin or certification body "
        "confirms it)",
        code="gtin_not_owned",
        field="gtin",
        details=[{"gtin": gtin14, "confirmed_prefixes": sorted(held)}],
    )
