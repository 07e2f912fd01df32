"""A label record's ``evidence`` member: the certification review's documents by SHA-256.

docs/PROTOCOL.md (the label record's fields): a label issued through a certification review that
held evidence documents lists them as ``"evidence": [{"sha256", "mediaType", "name"}, ...]``,
in upload order. The member is part of the record, so its digests are anchored with the label: a
document a party holds can be shown to be the one the certification filed (``tanji verify LABEL
--evidence FILE``). A label without evidence has no such member.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

__all__ = [
    "EVIDENCE_MEDIA_TYPES",
    "EVIDENCE_MEMBER",
    "EvidenceFormatError",
    "EvidenceItem",
    "find_document",
    "record_evidence",
    "sha256_hex",
]

#: The label record's member.
EVIDENCE_MEMBER: Final = "evidence"
#: The media types an evidence document may have.
EVIDENCE_MEDIA_TYPES: Final = ("application/pdf", "image/png", "image/jpeg")
_SHA256: Final = re.compile(r"[0-9a-f]{64}")


class EvidenceFormatError(ValueError):
    """The record's ``evidence`` member does not have the documented shape; ``path`` says where."""

    def __init__(self, path: str) -> None:
        super().__init__(f"malformed evidence member at {path}")
        self.path = path


@dataclass(frozen=True, slots=True)
class EvidenceItem:
    """One document the record names."""

    sha256: str  # lower-case hex, as sha256sum prints it
    media_type: str
    name: str


def sha256_hex(content: bytes) -> str:
    """A document's digest as the member writes it."""
    return hashlib.sha256(content).hexdigest()


def record_evidence(record: Mapping[str, Any]) -> tuple[EvidenceItem, ...]:
    """The documents ``record`` names (none when it has no member); raises
    :class:`EvidenceFormatError` when the member is malformed."""
    member = record.get(EVIDENCE_MEMBER)
    if member is None:
        return ()
    if not isinstance(member, list):
        raise EvidenceFormatError(EVIDENCE_MEMBER)
    items = []
    for index, item in enumerate(member):
        path = f"{EVIDENCE_MEMBER}[{index}]"
        if not isinstance(item, Mapping) or set(item) != {"sha256", "mediaType", "name"}:
            raise EvidenceFormatError(path)
        digest, media_type, name = item["sha256"], item["mediaType"], item["name"]
        if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
            raise EvidenceFormatError(path + ".sha256")
        if media_type not in EVIDENCE_MEDIA_TYPES:
            raise EvidenceFormatError(path + ".mediaType")
        if not isinstance(name, str) or not name:
            raise EvidenceFormatError(path + ".name")
        items.append(EvidenceItem(digest, media_type, name))
    return tuple(items)


def find_document(record: Mapping[str, Any], content: bytes) -> EvidenceItem | None:
    """The record's entry for the document ``content``, or ``None``."""
    digest = sha256_hex(content)
    return next((item for item in record_evidence(record) if item.sha256 == digest), None)
