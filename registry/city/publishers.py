"""Publisher confirmations: the city confirms (or withdraws) an emission-factor publisher.

The API (``/api/v1/publishers``), the console (``/console/city/publishers``) and the CLI
(``tanji publisher confirm|withdraw``) call these functions; each decision is audited
(``publisher.confirm``, ``publisher.withdraw``).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, func, select

from registry.audit import record_audit
from registry.city.models import (
    CONFIRMED,
    WITHDRAWN,
    PublisherConfirmation,
    PublisherPublic,
)
from registry.crud.suppliers import is_active
from registry.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from registry.factors.models import FactorDatasetVersion
from registry.models.common import utcnow
from registry.models.orgs import Organisation, OrgRole
from registry.models.suppliers import SupplierKey
from registry.plaintext import check_text

__all__ = [
    "SUBJECT",
    "confirm_publisher",
    "is_withdrawn",
    "list_publishers",
    "publisher_view",
    "withdraw_publisher",
]

SUBJECT = "publisher"


def _publisher(session: Session, org_id: str) -> Organisation:
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFoundError(f"organisation {org_id} does not exist", field="org_id")
    if org.role != OrgRole.PUBLISHER:
        raise InvalidInputError(
            f"organisation {org_id} is a {org.role.value}, not a publisher",
            code="not_a_publisher",
            field="org_id",
        )
    return org


def is_withdrawn(session: Session, org_id: str) -> bool:
    """Whether the city withdrew its confirmation of publisher ``org_id``: the publisher may
    publish no new version, and new calculations refuse its versions (``publisher_withdrawn``,
    :mod:`registry.factors.crud`, :mod:`registry.accounting.datasets`). An unconfirmed
    publisher is shown as such but not refused."""
    row = session.get(PublisherConfirmation, org_id)
    return row is not None and row.status == WITHDRAWN


def _check_decider(decider: Organisation | None) -> None:
    if decider is not None and decider.role != OrgRole.ADMIN:
        raise PermissionDeniedError(
            "only the city administrator confirms publishers", code="forbidden_role"
        )


def _snapshot(row: PublisherConfirmation) -> dict[str, Any]:
    return {
        "org_id": row.org_id,
        "status": row.status,
        "decided_by_org_id": row.decided_by_org_id,
        "reason": row.reason,
    }


def _decide(
    session: Session,
    *,
    org_id: str,
    status: str,
    decider: Organisation | None,
    reason: str | None,
) -> tuple[PublisherConfirmation, bool]:
    _check_decider(decider)
    _publisher(session, org_id)
    if reason is not None:
        check_text(reason, field="reason")
    row = session.get(PublisherConfirmation, org_id)
    if row is not None and row.status == status:
        return row, False
    before = None if row is None else _snapshot(row)
    if row is None:
        row = PublisherConfirmation(org_id=org_id, status=status)
    row.status = status
    row.decided_by_org_id = decider.id if decider is not None else None
    row.decided_at = utcnow()
    row.reason = reason
    session.add(row)
    session.flush()
    record_audit(
        session,
        action=f"publisher.{'confirm' if status == CONFIRMED else 'withdraw'}",
        subject_type=SUBJECT,
        subject_id=org_id,
        before=before,
        after=_snapshot(row),
    )
    return row, True


def confirm_publisher(
    session: Session, *, org_id: str, decider: Organisation | None, reason: str | None = None
) -> tuple[PublisherConfirmation, bool]:
    """The city confirms publisher ``org_id`` (no commit); ``(row, changed)``.

    ``decider`` is the admin organisation (``None``: the server operator). Confirming a confirmed
    publisher changes nothing. 404 for an unknown organisation, 422 ``not_a_publisher``.
    """
    return _decide(session, org_id=org_id, status=CONFIRMED, decider=decider, reason=reason)


def withdraw_publisher(
    session: Session, *, org_id: str, decider: Organisation | None, reason: str | None
) -> tuple[PublisherConfirmation, bool]:
    """The city withdraws its confirmation of ``org_id`` (no commit); a reason is required
    (422 ``reason_required``)."""
    if not (reason or "").strip():
        raise InvalidInputError(
            "say why the confirmation is withdrawn", code="reason_required", field="reason"
        )
    return _decide(session, org_id=org_id, status=WITHDRAWN, decider=decider, reason=reason)


def list_publishers(
    session: Session, *, offset: int = 0, limit: int = 100, now: datetime | None = None
) -> tuple[list[PublisherPublic], int]:
    """A page of publisher organisations (oldest first) with their keys in force, how many
    dataset versions each published and the city's decision; and the count."""
    now = now or datetime.now(UTC)
    query = select(Organisation).where(Organisation.role == OrgRole.PUBLISHER)
    count = session.exec(select(func.count()).select_from(query.subquery())).one()
    orgs = list(
        session.exec(
            query.order_by(col(Organisation.created_at), col(Organisation.id))
            .offset(offset)
            .limit(limit)
        ).all()
    )
    return _views(session, orgs, now), int(count)


def publisher_view(session: Session, org_id: str, now: datetime | None = None) -> PublisherPublic:
    """One publisher as :func:`list_publishers` shows it (404, 422 ``not_a_publisher``)."""
    (view,) = _views(session, [_publisher(session, org_id)], now or datetime.now(UTC))
    return view


def _views(session: Session, orgs: list[Organisation], now: datetime) -> list[PublisherPublic]:
    ids = [org.id for org in orgs]
    keys: dict[str, list[str]] = defaultdict(list)
    for key in session.exec(select(SupplierKey).where(col(SupplierKey.org_id).in_(ids))).all():
        if is_active(key, now):
            keys[key.org_id].append(key.address)
    versions = dict(
        session.exec(
            select(FactorDatasetVersion.org_id, func.count())
            .where(col(FactorDatasetVersion.org_id).in_(ids))
            .group_by(col(FactorDatasetVersion.org_id))
        ).all()
    )
    decisions = {
        row.org_id: row
        for row in session.exec(
            select(PublisherConfirmation).where(col(PublisherConfirmation.org_id).in_(ids))
        ).all()
    }
    data = []
    for org in orgs:
        decision = decisions.get(org.id)
        data.append(
            PublisherPublic(
                org_id=org.id,
                name=org.name,
                status="unconfirmed" if decision is None else decision.status,
                keys=sorted(keys[org.id]),
                datasets=int(versions.get(org.id, 0)),
                decided_at=None if decision is None else decision.decided_at,
                decided_by_org_id=None if decision is None else decision.decided_by_org_id,
                reason=None if decision is None else decision.reason,
            )
        )
    return data
