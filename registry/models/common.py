"""Pieces shared by the registry's models."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict

# One timestamp column type for the whole schema: stored in UTC, read back timezone-aware.
from anchoring.ledger import UTCDateTime

__all__ = ["StrictInput", "UTCDateTime", "utcnow"]


def utcnow() -> datetime:
    """Timezone-aware current UTC time (every stored timestamp is UTC)."""
    return datetime.now(UTC)


class StrictInput(BaseModel):
    """Base of request bodies: unknown members are errors, strings are trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
