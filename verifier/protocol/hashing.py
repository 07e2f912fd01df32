"""Keccak-256, the one hash of the protocol."""

from sha3 import keccak_256  # safe-pysha3: the fast C implementation


def keccak(data: bytes) -> bytes:
    """Return the 32-byte Keccak-256 digest of ``data`` (Ethereum's keccak, not NIST SHA3-256)."""
    digest: bytes = keccak_256(data).digest()  # safe-pysha3 ships no type hints
    return digest
