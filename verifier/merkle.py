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


def leaf_hash(encoding: Sequence[str], values: Sequence[Any]) -> bytes:
    """Hash a leaf as StandardMerkleTree does: ``keccak256(keccak256(abi.encode(values)))``."""
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


def _abi_value(abi_type: str, value: Any) -> Any:
    # Bundles carry bytes as 0x-hex strings; eth-abi wants bytes.
    if abi_type.startswith("bytes") and isinstance(value, str):
        if not value.startswith("0x"):
            raise ValueError(f"{abi_type} value must be 0x-prefixed hex")
        return bytes.fromhex(value[2:])
    if (abi_type.startswith("uint") or abi_type.startswith("int")) and isinstance(value, str):
        return int(value, 0)
    return value
