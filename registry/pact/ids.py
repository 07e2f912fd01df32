"""PACT ids of stored footprints: derived from the footprint's id, and parsed back.

PACT wants a UUID v4 for a ProductFootprint ``id``; a UUID v4 has 122 free bits. A Tanji
footprint id is ``fp-`` and 12 letters of :data:`registry.ids.ALPHABET` (60 bits), so the PACT
id holds those 60 bits and a 62-bit check (the Keccak-256 of the footprint id): the same id on
every export, read back to the footprint id with no table and no scan (GetFootprint is one
primary-key lookup), and a UUID that is not one of ours fails the check.
"""

from __future__ import annotations

import re
import uuid
from typing import Final

from registry.ids import ALPHABET, ID_LENGTH
from verifier.protocol.hashing import keccak

__all__ = ["footprint_id_of", "pact_id_of"]

#: The prefix of a footprint id (:func:`registry.crud.footprints._new_footprint`).
FOOTPRINT_PREFIX: Final = "fp-"
_FOOTPRINT_ID: Final = re.compile(f"{FOOTPRINT_PREFIX}[{ALPHABET}]{{{ID_LENGTH}}}")
_BITS_PER_LETTER: Final = 5  # len(ALPHABET) == 32
_CHECK_BITS: Final = 62
_LOW_62: Final = (1 << 62) - 1


def _check(footprint_id: str) -> int:
    digest = keccak(f"tanji-pact-id:{footprint_id}".encode())
    return int.from_bytes(digest[:8], "big") >> (64 - _CHECK_BITS)


def pact_id_of(footprint_id: str) -> str | None:
    """The PACT id (a UUID v4 string) of the footprint ``footprint_id``; ``None`` for an id not
    of the ``fp-`` form."""
    if _FOOTPRINT_ID.fullmatch(footprint_id) is None:
        return None
    number = 0
    for letter in footprint_id[len(FOOTPRINT_PREFIX) :]:
        number = (number << _BITS_PER_LETTER) | ALPHABET.index(letter)
    free = (number << _CHECK_BITS) | _check(footprint_id)  # 122 bits
    # Bits 127-80, version 4, bits 75-64, variant 0b10, bits 61-0 (RFC 9562 layout).
    value = (
        (free >> 74) << 80 | 0x4 << 76 | ((free >> 62) & 0xFFF) << 64 | 0b10 << 62 | free & _LOW_62
    )
    return str(uuid.UUID(int=value))


def footprint_id_of(pact_id: str) -> str | None:
    """The footprint id a PACT id was derived from (:func:`pact_id_of`), or ``None`` when it is
    not a UUID or not one of ours."""
    try:
        value = uuid.UUID(pact_id).int
    except ValueError:
        return None
    if (value >> 76) & 0xF != 0x4 or (value >> 62) & 0b11 != 0b10:
        return None
    free = (value >> 80) << 74 | ((value >> 64) & 0xFFF) << 62 | value & _LOW_62
    number = free >> _CHECK_BITS
    letters = []
    for _ in range(ID_LENGTH):
        letters.append(ALPHABET[number & 0x1F])
        number >>= _BITS_PER_LETTER
    footprint_id = FOOTPRINT_PREFIX + "".join(reversed(letters))
    return footprint_id if free & _LOW_62 == _check(footprint_id) else None
