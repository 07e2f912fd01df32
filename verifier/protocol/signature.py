"""secp256k1 signer recovery for 32-byte digests, through libsecp256k1 (coincurve).

Returns exactly what eth-account's ``Account._recover_hash`` returns (an EIP-55 checksummed
address) for every signature eth-account itself produces, at several times its speed: a foreign
verifier checking thousands of supplier attestations should not wait on Python big-number code.

One deliberate difference: a *high-s* signature (``s > n/2``) is rejected here (EIP-2). For every
valid signature ``(r, s, v)`` the twin ``(r, n - s, v ^ 1)`` recovers the same key, so accepting
both would give one signed statement two signature encodings; eth-account and ethers only produce
low-s signatures, so honest signers never meet this.
"""

import re
from typing import Final

from coincurve import PublicKey

from verifier.errors import SignatureError
from verifier.protocol.hashing import keccak

# Order of the secp256k1 group.
SECP256K1_N: Final = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
SECP256K1_HALF_N: Final = SECP256K1_N // 2
SIGNATURE_BYTES: Final = 65
DIGEST_BYTES: Final = 32
_HEX: Final = re.compile(r"0x[0-9a-fA-F]*")


def recover_address(digest: bytes, signature: bytes) -> str:
    """Recover the EIP-55 address whose key signed ``digest``.

    ``signature`` is the 65-byte ``r || s || v`` form wallets produce, with ``v`` in {27, 28} or
    {0, 1}. Raises :class:`~verifier.errors.SignatureError` (``field="signature"``) with code
    ``bad_signature_length``, ``bad_recovery_id``, ``bad_r``, ``bad_s``, ``high_s`` or
    ``unrecoverable``; ``bad_digest`` when the digest is not 32 bytes.
    """
    if not isinstance(digest, bytes | bytearray) or len(digest) != DIGEST_BYTES:
        raise SignatureError(
            f"digest must be {DIGEST_BYTES} bytes", code="bad_digest", field="digest"
        )
    if not isinstance(signature, bytes | bytearray) or len(signature) != SIGNATURE_BYTES:
        raise SignatureError(
            f"signature must be {SIGNATURE_BYTES} bytes (r || s || v)",
            code="bad_signature_length",
            field="signature",
        )
    r = int.from_bytes(signature[0:32], "big")
    s = int.from_bytes(signature[32:64], "big")
    v = signature[64]
    if v in (27, 28):
        recovery_id = v - 27
    elif v in (0, 1):
        recovery_id = v
    else:
        raise SignatureError(
            f"signature v must be 27, 28, 0 or 1, not {v}",
            code="bad_recovery_id",
            field="signature",
        )
    if not 1 <= r < SECP256K1_N:
        raise SignatureError("signature r is out of range", code="bad_r", field="signature")
    if s == 0 or s >= SECP256K1_N:
        raise SignatureError("signature s is out of range", code="bad_s", field="signature")
    if s > SECP256K1_HALF_N:
        raise SignatureError(
            "signature s is in the upper half of the curve order (malleable, EIP-2)",
            code="high_s",
            field="signature",
        )
    try:
        public_key = PublicKey.from_signature_and_message(
            bytes(signature[:64]) + bytes((recovery_id,)), bytes(digest), hasher=None
        )
    except (ValueError, TypeError) as exc:
        # libsecp256k1 refuses r values that are no curve point's x coordinate.
        raise SignatureError(
            "signature recovers no public key", code="unrecoverable", field="signature"
        ) from exc
    return checksum_address(keccak(public_key.format(compressed=False)[1:])[-20:])


def checksum_address(address: bytes) -> str:
    """EIP-55 mixed-case hex of a 20-byte address."""
    hex_address = address.hex()
    nibbles = keccak(hex_address.encode("ascii")).hex()[:40]
    return "0x" + "".join(
        char.upper() if int(nibble, 16) >= 8 else char
        for char, nibble in zip(hex_address, nibbles, strict=True)
    )


def signature_bytes(value: object, field: str = "signature") -> bytes:
    """Read a ``0x``-prefixed hex signature of 65 bytes (coded ``SignatureError`` otherwise)."""
    if not isinstance(value, str):
        raise SignatureError(
            f"{field} must be a 0x-prefixed hex string", code="wrong_type", field=field
        )
    if _HEX.fullmatch(value) is None or len(value) % 2:
        raise SignatureError(f"{field} is not 0x-prefixed hex", code="bad_hex", field=field)
    data = bytes.fromhex(value[2:])
    if len(data) != SIGNATURE_BYTES:
        raise SignatureError(
            f"{field} must be {SIGNATURE_BYTES} bytes, not {len(data)}",
            code="bad_signature_length",
            field=field,
        )
    return data
