"""OpenZeppelin StandardMerkleTree hashing and proof checking.

Compatible with ``@openzeppelin/merkle-tree`` (``StandardMerkleTree.verify``) and with OpenZeppelin
``MerkleProof.sol``: leaves are ``keccak256(keccak256(abi.encode(values)))`` (the double hash keeps
a 64-byte internal node from passing as a leaf: no second preimage), inner nodes hash the sorted
pair.
"""

import hmac
import re
from collections.abc import Sequence
from typing import Any, Final

from eth_abi import encode as abi_encode
from eth_abi.exceptions import EncodingError
from eth_utils import is_checksum_address
from sha3 import keccak_256  # the bulk path calls it directly (verifier.protocol.hashing wraps it)

from verifier.errors import BundleFormatError
from verifier.protocol.hashing import keccak
from verifier.protocol.records import LEAF_ENCODING
from verifier.protocol.records import MAX_PROOF_LENGTH as MAX_PROOF_LENGTH

HASH_BYTES: Final = 32


# Tanji's own leaf encoding (LEAF_ENCODING) gets a direct encoder: eth-abi's generic one is ~80% of
# the cost of a tree build. Anything else goes through eth-abi.
_TANJI_ENCODING: Final = LEAF_ENCODING
_WORD: Final = 32
_HEX_BYTES: Final = re.compile(r"0x(?:[0-9a-fA-F]{2})*")
_DECIMAL: Final = re.compile(r"-?(?:0|[1-9][0-9]*)")
_ADDRESS: Final = re.compile(r"0x[0-9a-fA-F]{40}")


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


def leaf_hashes(encoding: Sequence[str], values: Sequence[Sequence[Any]]) -> list[bytes]:
    """:func:`leaf_hash` of every value, in order: the same bytes, faster in bulk.

    Raises :class:`BundleFormatError` when any value does not match ``encoding`` (the first bad
    one, as :func:`leaf_hash` would).
    """
    if tuple(encoding) != _TANJI_ENCODING:
        return [leaf_hash(encoding, value) for value in values]
    # Locals: this loop runs once per leaf of a batch, up to millions of times.
    encode, hash_ = _encode_tanji_leaf, keccak_256
    hashes = [hash_(hash_(e).digest()).digest() if e else b"" for e in map(encode, values)]
    if b"" in hashes:  # some value needs eth-abi's verdict: its exact error, or its encoding
        return [h or leaf_hash(encoding, v) for h, v in zip(hashes, values, strict=True)]
    return hashes


# abi.encode(string, string, bytes32): the head is the offset of the first string (always 96),
# the offset of the second, then the bytes32 in place; the tail is each string's byte length and
# its bytes right-padded to whole words.
_FIRST_OFFSET: Final = (3 * _WORD).to_bytes(_WORD, "big")
_PADDING: Final = b"\0" * _WORD


def _encode_tanji_leaf(values: Sequence[Any]) -> bytes | None:
    """``abi.encode(string, string, bytes32)`` of well-formed values; None: let eth-abi decide."""
    if len(values) != 3:
        return None
    first, second, digest = values
    if type(first) is not str or type(second) is not str or type(digest) is not str:
        return None
    if len(digest) != 2 + 2 * _WORD or digest[:2] != "0x":
        return None
    try:
        digest_bytes = bytes.fromhex(digest[2:])
        a, b = first.encode("utf-8"), second.encode("utf-8")
    except (ValueError, UnicodeEncodeError):
        return None
    if len(digest_bytes) != _WORD:  # bytes.fromhex skips spaces: "0x" + 62 digits + 2 spaces
        return None
    len_a, len_b = len(a), len(b)
    pad_a = -len_a % _WORD
    return b"".join(
        (
            _FIRST_OFFSET,
            (4 * _WORD + len_a + pad_a).to_bytes(_WORD, "big"),
            digest_bytes,
            len_a.to_bytes(_WORD, "big"),
            a,
            _PADDING[:pad_a],
            len_b.to_bytes(_WORD, "big"),
            b,
            _PADDING[: -len_b % _WORD],
        )
    )


def _abi_value(abi_type: str, value: Any) -> Any:
    # Bundles carry bytes as 0x-hex strings; eth-abi wants bytes. The protocol takes exactly
    # "0x" and whole bytes of hex digits, and for bytesN exactly N bytes (docs/PROTOCOL.md section
    # 5, "Leaf values"): eth-abi would right-pad a short bytes32, which a JavaScript ABI coder
    # refuses, so a bundle must not depend on it.
    if abi_type.startswith("bytes") and isinstance(value, str):
        if _HEX_BYTES.fullmatch(value) is None:
            raise ValueError(f"{abi_type} value must be 0x-prefixed hex of whole bytes")
        data = bytes.fromhex(value[2:])
        size = abi_type[len("bytes") :]
        if size.isdigit() and len(data) != int(size):
            raise ValueError(f"{abi_type} value must be {size} bytes, not {len(data)}")
        return data
    if (abi_type.startswith("uint") or abi_type.startswith("int")) and isinstance(value, str):
        # A decimal string, as @openzeppelin/merkle-tree dumps a uint256 ("0", "42").
        if _DECIMAL.fullmatch(value) is None:
            raise ValueError(f"{abi_type} value must be a JSON integer or a decimal string")
        return int(value)
    # An address in one letter case or with a valid EIP-55 checksum: eth-abi alone ignores a
    # wrong checksum, which a JavaScript ABI coder refuses.
    if (
        abi_type == "address"
        and isinstance(value, str)
        and (
            _ADDRESS.fullmatch(value) is None
            or not (value[2:].islower() or value[2:].isupper() or is_checksum_address(value))
        )
    ):
        raise ValueError("address value must be 0x and 40 hex digits with a valid checksum")
    return value
