"""The factor-dataset kind: a publisher's signed version of an emission-factor dataset.

A version's record (``verifier.protocol.factor_dataset``) is anchored like every record; its
bundle nests nothing, and a version is never revoked (a later version deprecates its factors).
"""

from __future__ import annotations

from typing import Any, Final

from registry.factors.models import FactorDatasetVersion
from registry.records.kind import RecordKind
from verifier.protocol.records import FACTOR_DATASET

KIND: Final[RecordKind[Any]] = RecordKind(FACTOR_DATASET, FactorDatasetVersion)
