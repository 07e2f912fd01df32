"""Formats, record types and bounds of the protocol (docs/PROTOCOL.md sections 2 to 6).

The one home of these facts: the verifier's parser, ``anchoring``'s bundle builder, the registry's
record kinds and the in-browser verifier's generated tables all read them from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

__all__ = [
    "ATTESTATION",
    "AUDIT",
    "BUNDLE_FORMAT",
    "FACTOR_DATASET",
    "FOOTPRINT",
    "INVENTORY",
    "LABEL",
    "LEAF_ENCODING",
    "LIMITS",
    "MAX_BUNDLE_BYTES",
    "MAX_DEPTH",
    "MAX_JSON_DEPTH",
    "MAX_LEAF_ARITY",
    "MAX_NESTED",
    "MAX_PROOF_LENGTH",
    "NESTED_RECORD_TYPES",
    "RECOGNITION",
    "RECORD_TYPES",
    "REQUIRED_FIELDS",
    "SALT_BYTES",
    "TRUST_FORMAT",
    "WITHDRAWAL",
]

#: The verification bundle's ``format`` member.
BUNDLE_FORMAT: Final = "tanji-bundle/1"
#: The verifier's trust file's ``format`` member.
TRUST_FORMAT: Final = "tanji-trust/1"

# Record types (a record's ``type`` member, the first item of its leaf value).
FOOTPRINT: Final = "footprint"
LABEL: Final = "label"
ATTESTATION: Final = "attestation"
RECOGNITION: Final = "recognition"
AUDIT: Final = "audit"
#: A certification body's signed withdrawal of a recognition (anchored as a record of its own).
WITHDRAWAL: Final = "withdrawal"
#: A publisher's signed version of an emission-factor dataset (docs/ACCOUNTING.md).
FACTOR_DATASET: Final = "factor_dataset"
#: A computed footprint's inventory, one field per line (docs/PROTOCOL.md section 17.6).
INVENTORY: Final = "inventory"
#: Every record type the registry anchors today. A verifier checks any type's leaf; only these have
#: type-specific checks or nesting rules.
RECORD_TYPES: Final = (
    FOOTPRINT,
    LABEL,
    ATTESTATION,
    RECOGNITION,
    WITHDRAWAL,
    AUDIT,
    FACTOR_DATASET,
    INVENTORY,
)

#: Each nested list of a bundle holds records of one type (section 6, code 120).
NESTED_RECORD_TYPES: Final[Mapping[str, str]] = MappingProxyType(
    {"attestations": ATTESTATION, "recognitions": RECOGNITION}
)

#: ABI types of a leaf value ``[type, id, digest]`` (section 3).
LEAF_ENCODING: Final[tuple[str, str, str]] = ("string", "string", "bytes32")
#: Length of a record's master salt and of each field salt, in bytes.
SALT_BYTES: Final = 32
#: Members every record has.
REQUIRED_FIELDS: Final = ("type", "id")

# Bounds a bundle stays within (section 6); they cap what a hostile bundle can cost.
#: A label bundle with a few dozen nested attestations is tens of kilobytes.
MAX_BUNDLE_BYTES: Final = 2 * 1024 * 1024
#: Nesting of bundles (a label's attestations' own attestations ...).
MAX_DEPTH: Final = 8
#: Items of one nested list (``attestations`` or ``recognitions``).
MAX_NESTED: Final = 256
#: Items of a leaf value.
MAX_LEAF_ARITY: Final = 16
#: JSON nesting of the whole document.
MAX_JSON_DEPTH: Final = 96
#: Hashes of a Merkle proof: 2**64 leaves would need 64 siblings, so a longer proof cannot come
#: from a real tree.
MAX_PROOF_LENGTH: Final = 64
#: Every bound above by name (the in-browser verifier's ``LIMITS``).
LIMITS: Final[Mapping[str, int]] = MappingProxyType(
    {
        "MAX_BUNDLE_BYTES": MAX_BUNDLE_BYTES,
        "MAX_DEPTH": MAX_DEPTH,
        "MAX_JSON_DEPTH": MAX_JSON_DEPTH,
        "MAX_LEAF_ARITY": MAX_LEAF_ARITY,
        "MAX_NESTED": MAX_NESTED,
        "MAX_PROOF_LENGTH": MAX_PROOF_LENGTH,
    }
)
