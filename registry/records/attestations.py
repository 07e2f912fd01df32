"""The attestation kind: its bundle nests its upstream attestations' (recursively); one withdrawn
(by its signer, a certification body relying on it, or with its key) is revoked on chain."""

from __future__ import annotations

from typing import Any, Final

from sqlmodel import Session, col

from registry.crud.attestations import get_attestation
from registry.models.attestations import REVOKED, Attestation
from registry.records.kind import Nested, RecordKind
from verifier.protocol.records import ATTESTATION


def nested(session: Session, attestation: Attestation) -> Nested:
    """The attestations it cites as upstream, in its order (``NotFoundError`` if one is missing)."""
    return {
        "attestations": [
            get_attestation(session, attestation_id=upstream) for upstream in attestation.upstream
        ]
    }


def reason(attestation: Attestation) -> int:
    """The reason it was withdrawn with."""
    assert attestation.revocation_reason is not None
    return attestation.revocation_reason


KIND: Final[RecordKind[Any]] = RecordKind(
    ATTESTATION,
    Attestation,
    nested=nested,
    revoked=(col(Attestation.status) == REVOKED) & col(Attestation.revocation_reason).is_not(None),
    reason=reason,
)
