"""The recognition kind and the withdrawal kind.

A recognition's bundle nests nothing; one ended (withdrawn by its recognizer's signed withdrawal,
or with its key) is revoked on chain with the reason of how it ended. A withdrawal is a record of
its own, anchored and never revoked.
"""

from __future__ import annotations

from typing import Any, Final

from sqlmodel import col

from registry.crud.recognitions import ON_CHAIN_REASON
from registry.models.recognitions import ENDED, Recognition, RecognitionWithdrawal
from registry.records.kind import RecordKind
from verifier.protocol.records import RECOGNITION, WITHDRAWAL


def reason(recognition: Recognition) -> int:
    """Withdrawn: 2; ended with its key's revocation: 6 (key compromise)."""
    return int(ON_CHAIN_REASON[recognition.status])


KIND: Final[RecordKind[Any]] = RecordKind(
    RECOGNITION, Recognition, revoked=col(Recognition.status).in_(ENDED), reason=reason
)
WITHDRAWAL_KIND: Final[RecordKind[Any]] = RecordKind(WITHDRAWAL, RecognitionWithdrawal)
