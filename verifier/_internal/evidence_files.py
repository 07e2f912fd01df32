"""``tanji verify BUNDLE --evidence FILE ...``: is each document one the label's record names?

Each file's SHA-256 is looked up in the record's ``evidence`` member
(:mod:`verifier.protocol.evidence`): MATCH when it is there, MISMATCH when it is not, ERROR when
the file cannot be read or the member is malformed. The bundle itself is verified as always: a
MATCH against a record whose bundle does not verify proves nothing, and the command's exit code
says so (the bundle's verdict comes first).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Final

from verifier.protocol.evidence import (
    EvidenceFormatError,
    record_evidence,
    sha256_hex,
)

__all__ = ["ERROR", "MATCH", "MISMATCH", "EvidenceFinding", "check_evidence_files"]

MATCH: Final = "MATCH"
MISMATCH: Final = "MISMATCH"
ERROR: Final = "ERROR"
#: The largest document read (the registry accepts 10 MiB; a little room for other issuers).
MAX_FILE_BYTES: Final = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class EvidenceFinding:
    """One file's outcome; ``key`` names its report message (``evidence.<key>``)."""

    file: str
    status: str
    key: str
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"file": self.file, "status": self.status, "key": self.key, "data": self.data}


def _record(bundle: bytes) -> dict[str, Any]:
    document = json.loads(bundle)
    record = document.get("record") if isinstance(document, dict) else None
    return record if isinstance(record, dict) else {}


def check_evidence_files(bundle: bytes, files: list[str]) -> list[EvidenceFinding]:
    """Each of ``files`` checked against the bundle's record."""
    try:
        items = record_evidence(_record(bundle))
    except EvidenceFormatError as exc:
        return [EvidenceFinding(f, ERROR, "malformed", {"path": exc.path}) for f in files]
    except ValueError as exc:  # not JSON (the bundle's own check reports it in full)
        return [
            EvidenceFinding(f, ERROR, "unreadable", {"file": f, "error": str(exc)}) for f in files
        ]
    findings = []
    for name in files:
        try:
            with open(name, "rb") as f:
                content = f.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            findings.append(
                EvidenceFinding(name, ERROR, "unreadable", {"file": name, "error": exc.strerror})
            )
            continue
        digest = sha256_hex(content)
        item = next((i for i in items if i.sha256 == digest), None)
        if item is None:
            findings.append(
                EvidenceFinding(name, MISMATCH, "mismatch", {"sha256": digest, "count": len(items)})
            )
        else:
            data = {"sha256": digest, "name": item.name, "mediaType": item.media_type}
            findings.append(EvidenceFinding(name, MATCH, "match", data))
    return findings
