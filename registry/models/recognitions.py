"""Mutual recognition: partner certifiers' signed recognitions of labels or schemes, withdrawals.

A recognition is an EIP-712 ``Recognition`` statement (docs/ATTESTATIONS.md, section 3) signed by
a registered key of a ``partner_certifier`` organisation; stored here as its Tanji record (type
``recognition``, id = the EIP-712 digest) and anchored like every record. A withdrawal is the same
body's signed ``Withdrawal``, stored and anchored as record type ``withdrawal``; it also revokes
the recognition's leaf on chain (reason 2, withdrawn) so that verifiers see it. Revoking the
recognizer's key from a time at or before the recognition's intake withdraws it too, without a
signed withdrawal (status ``key_revoked``, leaf revoked with reason 6, key compromise).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import JSON, Column
from sqlmodel import Field as SQLField
from sqlmodel import SQLModel

from registry.models.common import StrictInput, UTCDateTime, utcnow

ACTIVE = "active"
#: Withdrawn by the recognizer's signed ``Withdrawal``.
WITHDRAWN = "withdrawn"
#: Withdrawn because the recognizer's key was revoked from a time at or before its intake.
KEY_REVOKED = "key_revoked"
#: The statuses of a recognition that no longer holds; it is never active again.
ENDED = (WITHDRAWN, KEY_REVOKED)


class Recognition(SQLModel, table=True):
    """A partner's recognition of one label (by its leaf) or of a scheme for a category."""

    __tablename__ = "recognition"
    #: The EIP-712 digest (0x-hex), which is also the record id.
    id: str = SQLField(primary_key=True, max_length=66)
    org_id: str = SQLField(foreign_key="organisation.id", index=True)
    recognizer: str = SQLField(index=True, max_length=42)
    scheme: str = SQLField(max_length=64)
    subject_type: str = SQLField(max_length=16)
    subject: str = SQLField(index=True, max_length=66)
    category: str = SQLField(default="", max_length=64)
    valid_from: int
    valid_until: int
    #: The recognised label, for ``subjectType`` ``label`` (found by its anchored leaf).
    label_id: str | None = SQLField(default=None, foreign_key="label.id", index=True)
    status: str = SQLField(default=ACTIVE, index=True, max_length=16)
    record: dict[str, Any] = SQLField(sa_column=Column(JSON, nullable=False))
    master_salt: str
    created_at: datetime = SQLField(default_factory=utcnow, index=True, sa_type=UTCDateTime)


class RecognitionWithdrawal(SQLModel, table=True):
    """The signed withdrawal of a recognition (one per recognition)."""

    __tablename__ = "recognition_withdrawal"
    id: str = SQLField(primary_key=True, max_length=66)  # the Withdrawal's EIP-712 digest
    recognition_id: str = SQLField(foreign_key="recognition.id", unique=True, index=True)
    reason: int
    time: int
    record: dict[str, Any] = SQLField(sa_column=Column(JSON, nullable=False))
    master_salt: str
    created_at: datetime = SQLField(default_factory=utcnow, sa_type=UTCDateTime)


class SignedStatement(StrictInput):
    """Body of ``POST /api/v1/recognitions`` and ``.../withdraw``: typed data and its signature."""

    typed_data: dict[str, Any] = Field(
        alias="typedData",
        description="EIP-712 JSON (types, primaryType, domain, message) as eth_signTypedData_v4 "
        "takes it; the domain is this registry's chain and anchor contract",
    )
    signature: str = Field(description="0x-hex, 65 bytes r || s || v")
    #: For ``subjectType`` ``scheme``: the recognised scheme's id, so the subject can be checked.
    scheme_id: str | None = Field(default=None, alias="schemeId", max_length=64)

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)


class RecognitionPublic(BaseModel):
    id: str
    org_id: str
    recognizer: str
    scheme: str
    subject_type: str
    subject: str
    category: str
    valid_from: int
    valid_until: int
    label_id: str | None
    status: str
    anchor_status: str | None
    withdrawal_id: str | None = None
    revocation_status: str | None = None
    record: dict[str, Any]
    bundle_url: str
    created_at: datetime


class RecognitionsPublic(BaseModel):
    data: list[RecognitionPublic]
    count: int
