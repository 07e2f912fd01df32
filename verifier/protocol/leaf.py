"""How a record becomes a Merkle leaf: per-field salted commitments over RFC 8785 bytes.

This is the protocol's single definition (docs/PROTOCOL.md, "Leaf derivation"); ``anchoring`` and
``registry`` import it from here.

A record is a JSON object with string members ``type`` and ``id``. Every top-level member is a
*field*. For a record with master salt ``S`` (32 random bytes):

    salt(name)       = keccak256(S || utf8(name))
    commitment(name) = keccak256(salt(name) || JCS([name, value]))
    digest           = keccak256(commitment(n1) || commitment(n2) || ...)   # names in JCS order
    leafEncoding     = ["string", "string", "bytes32"]
    leafValue        = [type, id, digest]

Disclosing a field's own salt (never ``S``) proves that field alone; a hidden field is carried only
as its commitment, which cannot be brute-forced without its 256-bit salt.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from verifier.errors import BundleFormatError
from verifier.protocol.canonical import canonicalize
from verifier.protocol.hashing import keccak
from verifier.protocol.records import LEAF_ENCODING as LEAF_ENCODING
from verifier.protocol.records import REQUIRED_FIELDS as REQUIRED_FIELDS
from verifier.protocol.records import SALT_BYTES as SALT_BYTES


def jcs_order(names: Iterable[str]) -> list[str]:
    """Sort member names as RFC 8785 does: by their UTF-16 code units."""
    return sorted(names, key=lambda name: name.encode("utf-16-be"))


def field_salt(master_salt: bytes, name: str) -> bytes:
    """Derive the salt of one field from the record's master salt."""
    _check_salt(master_salt, "salt")
    return keccak(master_salt + name.encode("utf-8"))


def field_commitment(name: str, value: Any, salt: bytes) -> bytes:
    """Commit to one field: ``keccak256(salt || JCS([name, value]))``."""
    return canonical_field_commitment(canonicalize([name, value]), salt, name=name)


def canonical_field_commitment(canonical: bytes, salt: bytes, *, name: str) -> bytes:
    """:func:`field_commitment` of a field whose ``JCS([name, value])`` is already computed
    (many records sharing a field's value canonicalise it once)."""
    _check_salt(salt, f"salts.{name}")
    return keccak(salt + canonical)


def commitments_digest(commitments: Mapping[str, bytes]) -> bytes:
    """Fold the commitments of every field, disclosed or hidden, into the record digest."""
    for name in REQUIRED_FIELDS:
        if name not in commitments:
            raise BundleFormatError(f"record has no {name!r} field", field=f"record.{name}")
    return keccak(b"".join(commitments[name] for name in jcs_order(commitments)))


def record_commitments(record: Mapping[str, Any], master_salt: bytes) -> dict[str, bytes]:
    """Commitments of every field of a fully disclosed record."""
    return {
        name: field_commitment(name, value, field_salt(master_salt, name))
        for name, value in record.items()
    }


def record_digest(record: Mapping[str, Any], master_salt: bytes) -> bytes:
    """Digest of a fully disclosed record under its master salt."""
    return commitments_digest(record_commitments(record, master_salt))


def leaf_value(record: Mapping[str, Any], digest: bytes) -> list[str]:
    """The StandardMerkleTree leaf value ``[type, id, 0x-digest]`` of a record."""
    record_type, record_id = record.get("type"), record.get("id")
    if not isinstance(record_type, str) or not record_type:
        raise BundleFormatError("record type must be a non-empty string", field="record.type")
    if not isinstance(record_id, str) or not record_id:
        raise BundleFormatError("record id must be a non-empty string", field="record.id")
    return [record_type, record_id, "0x" + digest.hex()]


def record_leaf_value(record: Mapping[str, Any], master_salt: bytes) -> list[str]:
    """The leaf value of a fully disclosed record: what ``anchoring`` puts in a tree."""
    return leaf_value(record, record_digest(record, master_salt))


def _check_salt(salt: bytes, field: str) -> None:
    if not isinstance(salt, bytes | bytearray) or len(salt) != SALT_BYTES:
        raise BundleFormatError(f"salt must be {SALT_BYTES} bytes", field=field)
