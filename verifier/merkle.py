"""OpenZeppelin StandardMerkleTree hashing and proof checking.

Compatible with ``@openzeppelin/merkle-tree`` (``StandardMerkleTree.verify``) and with OpenZeppelin
``MerkleProof.sol``: leaves are ``keccak256(keccak256(abi.encode(values)))`` (the double hash keeps
a 64-byte internal node from passing as a leaf: no second preimage), inner nodes hash the sorted
pair.
"""

import hmac
from collections.abc import Sequence
from typing import Any, Final

from eth_abi import encode as abi_encode
from eth_abi.exceptions import EncodingError

from verifier.errors import BundleFormatError
from verifier.hashing import keccak

HASH_BYTES: Final = 32
# 2**64 leaves would need a proof of 64 siblings; anything longer cannot come from a real tree.
MAX_PROOF_LENGTH: Final = 64


# Tanji's own leaf encoding, ["string", "string", "bytes32"], gets a direct encoder: eth-abi's
# generic one is ~80% of the cost of a tree build. Anything else goes through eth-abi.
_TANJI_ENCODING: Final = ("string", "string", "bytes32")
_WORD: Final = 32


def leaf_hash(encoding: Sequence[str], values: Sequence[Any]) -> bytes:
    """Hash a leaf as StandardMerkleTree does: ``keccak256(keccak256(abi.encode(values)))``."""
    if tuple(encoding) == _TANJI_ENCODING:
        encoded = _encode_tanji_leaf(values)
        if encoded is not None:
            return keccak(keccak(encoded))
    try:
        encoded = abi_encode(
            list(encoding), [_abi_value(t, v) for t, v in zip(encoding, values, strict=True)]
        )
    except (EncodingError, ValueError, TypeError, OverflowError) as exc:
        raise BundleFormatError(
            f"leaf value does not match its encoding: {exc}", field="leafValue"
        ) from exc
    return keccak(keccak(encoded))


def hash_pair(a: bytes, b: bytes) -> bytes:
    """Hash two nodes in sorted order (OpenZeppelin ``Hashes.commutativeKeccak256``)."""
    return keccak(a + b) if a < b else keccak(b + a)


def process_proof(leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """Fold a proof from ``leaf`` up to the root it implies."""
    if len(proof) > MAX_PROOF_LENGTH:
        raise BundleFormatError(f"proof longer than {MAX_PROOF_LENGTH} hashes", field="proof")
    node = leaf
    for sibling in proof:
        if len(sibling) != HASH_BYTES:
            raise BundleFormatError("proof element is not 32 bytes", field="proof")
        node = hash_pair(node, sibling)
    return node


def verify_proof(root: bytes, leaf: bytes, proof: Sequence[bytes]) -> bool:
    """True when ``proof`` shows ``leaf`` under ``root`` (constant-time root comparison)."""
    return hmac.compare_digest(process_proof(leaf, proof), root)


def _encode_tanji_leaf(values: Sequence[Any]) -> bytes | None:
    """``abi.encode(string, string, bytes32)`` of well-formed values; None: let eth-abi decide."""
    if len(values) != 3:
        return None
    first, second, digest = values
    if not (isinstance(first, str) and isinstance(second, str) and isinstance(digest, str)):
        return None
    if len(digest) != 2 + 2 * _WORD or not digest.startswith("0x"):
        return None
    try:
        digest_bytes = bytes.fromhex(digest[2:])
        a, b = first.encode("utf-8"), second.encode("utf-8")
    except (ValueError, UnicodeEncodeError):
        return None
    # Head: offset of a, offset of b, the bytes32 in place; tail: each string's length, then its
    # bytes right-padded to a whole word.
    padded_a = a + b"\0" * (-len(a) % _WORD)
    padded_b = b + b"\0" * (-len(b) % _WORD)
    offset_a = 3 * _WORD
    offset_b = offset_a + _WORD + len(padded_a)
    return b"".join(
        (
            offset_a.to_bytes(_WORD, "big"),
            offset_b.to_bytes(_WORD, "big"),
            digest_bytes,
            len(a).to_bytes(_WORD, "big"),
            padded_a,
            len(b).to_bytes(_WORD, "big"),
            padded_b,
        )
    )


def _abi_value(abi_type: str, value: Any) -> Any:
    # Bundles carry bytes as 0x-hex strings; eth-abi wants bytes.
    if abi_type.startswith("bytes") and isinstance(value, str):
        if not value.startswith("0x"):
            raise ValueError(f"{abi_type} value must be 0x-prefixed hex")
        return bytes.fromhex(value[2:])
    if (abi_type.startswith("uint") or abi_type.startswith("int")) and isinstance(value, str):
        return int(value, 0)
    return value
