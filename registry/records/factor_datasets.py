"""The factor-dataset kind: a publisher's signed version of an emission-factor dataset.

A version's record (``verifier.protocol.factor_dataset``) is anchored like every record; its
bundle nests nothing. A later version deprecates factors without revoking anything; a version is
revoked on chain (reason key compromise) only when its publisher's signing key is revoked
(:mod:`registry.crud.key_revocation`), as a supplier's attestations are.
"""

from __future__ import annotations

from typing import Any, Final

from sqlmodel import col, select

from registry.factors.models import FactorDatasetRevocation, FactorDatasetVersion
from registry.records.kind import RecordKind
from verifier.protocol.reasons import RevocationReason
from verifier.protocol.records import FACTOR_DATASET


def reason(_row: FactorDatasetVersion) -> int:
    """A version is revoked only with its key."""
    return int(RevocationReason.KEY_COMPROMISE)


KIND: Final[RecordKind[Any]] = RecordKind(
    FACTOR_DATASET,
    FactorDatasetVersion,
    revoked=col(FactorDatasetVersion.id).in_(select(FactorDatasetRevocation.version_id)),
    reason=reason,
)
