"""The label kind: its bundle nests its components' attestations (each with its upstream hops)
and its anchored recognitions; a label revoked or superseded is revoked on chain with its reason.
"""

from __future__ import annotations

from typing import Any, Final

from sqlmodel import Session, col

from anchoring import ledger
from registry.crud.attestations import supply_chain
from registry.crud.recognitions import recognitions_of_label
from registry.models.labels import Label
from registry.records.kind import Nested, RecordKind
from verifier.protocol.records import LABEL, RECOGNITION


def nested(session: Session, label: Label) -> Nested:
    """The label's components' attestations, and its active recognitions once anchored.

    A recognition still waiting for its anchor is left out rather than making the whole label
    bundle read as pending; it appears once anchored.
    """
    components = label.record.get("components") or []
    recognitions = [
        r
        for r in recognitions_of_label(session, label)
        if ledger.anchored_leaf(session, record_type=RECOGNITION, record_id=r.id) is not None
    ]
    return {
        "attestations": supply_chain(session, [c["attestation_id"] for c in components]),
        "recognitions": recognitions,
    }


def reason(label: Label) -> int:
    """The reason the issuing body revoked the label with (1: superseded)."""
    assert label.revocation_reason is not None
    return label.revocation_reason


KIND: Final[RecordKind[Any]] = RecordKind(
    LABEL,
    Label,
    nested=nested,
    revoked=col(Label.revocation_reason).is_not(None),
    reason=reason,
)
