"""The footprint kind: a submitted footprint's record, anchored as it is; nothing nested in its
bundle, never revoked on chain (a corrected footprint is a new record, its label superseded)."""

from __future__ import annotations

from typing import Any, Final

from registry.models.footprints import Footprint
from registry.records.kind import RecordKind
from verifier.protocol.records import FOOTPRINT

KIND: Final[RecordKind[Any]] = RecordKind(FOOTPRINT, Footprint)
