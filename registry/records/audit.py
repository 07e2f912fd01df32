"""The audit-entry kind: each entry of the audit log is a record of its own, rebuilt from the
entry's columns (:func:`registry.audit.record_of`); nothing nested, never revoked."""

from __future__ import annotations

from typing import Any, Final

from registry.audit import AuditEntry, record_of
from registry.records.kind import RecordKind
from verifier.protocol.records import AUDIT

KIND: Final[RecordKind[Any]] = RecordKind(AUDIT, AuditEntry, record=record_of)
