"""Revocation sweeps of every record kind: the registry's revocations, carried onto the chain.

A record revoked in the registry (a label revoked, an attestation or recognition withdrawn, a
key's statements withdrawn with it) gets its on-chain revocation queued at once when its leaf is
anchored. One revoked while it still waited for its batch cannot be, yet: the sweep queues it
once the batch is anchored. The anchoring loop sweeps every cycle and ``tanji anchor`` after
every batch, both over every kind in the table; a route may sweep the kinds it serves.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from anchoring import ledger
from registry.crud.suppliers import revoke_leaf_once_anchored
from registry.records.kind import RecordKind
from registry.records.table import RECORD_KINDS


def sweep_revocations(session: Session, *record_types: str) -> int:
    """Queue the on-chain revocation of each revoked record anchored since; commits if any.

    Sweeps the kinds of ``record_types``, or every kind in the table when none is named.
    Returns how many revocations were queued.
    """
    kinds = [RECORD_KINDS[t] for t in record_types] if record_types else RECORD_KINDS.kinds()
    queued = sum(_sweep(session, kind) for kind in kinds)
    if queued:
        session.commit()
    return queued


def _sweep(session: Session, kind: RecordKind[Any]) -> int:
    if kind.revoked is None or kind.reason is None:
        return 0
    requested = select(ledger.AnchorRevocation.record_id).where(
        ledger.AnchorRevocation.record_type == kind.record_type
    )
    rows = session.exec(
        select(kind.model).where(kind.revoked, col(kind.key()).not_in(requested))
    ).all()
    return sum(
        revoke_leaf_once_anchored(
            session,
            record_type=kind.record_type,
            record_id=kind.record_id(row),
            reason=kind.reason(row),
        )
        for row in rows
    )
