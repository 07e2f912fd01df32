"""API schemas of the audit log (``/api/v1/audit``); its table is ``registry.audit.AuditEntry``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class AuditEntryPublic(BaseModel):
    """One audit entry: who changed what, when, and the digests before and after."""

    id: int = Field(description="position in the log, from 1 without gaps")
    at: datetime
    org_id: str | None = Field(description="the acting organisation (none: the server's CLI)")
    key_id: str | None = Field(description="the API key it used")
    via: str = Field(description="api, cli or system")
    action: str = Field(description="what changed, e.g. label.revoke")
    subject_type: str
    subject_id: str
    before_digest: str | None = Field(description="keccak-256 of the JCS snapshot before")
    after_digest: str | None = Field(description="keccak-256 of the JCS snapshot after")
    prev_digest: str = Field(description="the previous entry's digest (chain)")
    digest: str = Field(description="this entry's record digest, its leafValue[2]")
    record: dict[str, Any] = Field(description="the anchored record of this entry")
    salt: str = Field(description="the record's master salt: leafValue = [type, id, digest]")
    anchor_status: str | None = Field(description="pending, batched or anchored")


class AuditEntriesPublic(BaseModel):
    data: list[AuditEntryPublic]
    count: int
