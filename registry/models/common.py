"""Pieces shared by the registry's models."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict
from pydantic_core import PydanticCustomError

# One timestamp column type for the whole schema: stored in UTC, read back timezone-aware.
from anchoring.ledger import UTCDateTime
from verifier.protocol.canonical import number_in_range

__all__ = ["JsonFloat", "StrictInput", "UTCDateTime", "utcnow"]


def utcnow() -> datetime:
    """Timezone-aware current UTC time (every stored timestamp is UTC)."""
    return datetime.now(UTC)


class StrictInput(BaseModel):
    """Base of request bodies: unknown members are errors, strings are trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _json_number(value: float) -> float:
    # Records are hashed as I-JSON: a number at or beyond 2**53 is refused by every verifier
    # (docs/PROTOCOL.md section 2, "Numbers"), so the registry never takes one in.
    if not number_in_range(value):
        raise PydanticCustomError(
            "number_out_of_range",
            "{value} is out of range: a number must be finite and below 2^53 (9007199254740992)"
            " in magnitude",
            {"value": value},
        )
    return value


#: A float that a record can carry: finite and below 2**53 in magnitude.
JsonFloat = Annotated[float, AfterValidator(_json_number)]
