"""When an anchor is final: the one definition of confirmations (docs/PROTOCOL.md, "Finality").

A block's *confirmations* are the blocks mined on top of it: ``head - block`` (0 for the head
itself). An anchor is *final* for a verifier once its block has at least the confirmations the
verifier's trust file requires for that chain (``chains[].confirmations``, default 0); until then
a reorganisation may still take it off the chain, and the verdict is PENDING (code 409), not
VALID. The registry uses the same definition for "anchored, N confirmations".
"""

from __future__ import annotations

from typing import Final

__all__ = ["DEFAULT_REQUIRED", "confirmations", "is_final"]

#: Confirmations a trust file's chain requires when it names none: final once mined.
DEFAULT_REQUIRED: Final = 0


def confirmations(block_number: int, head: int) -> int:
    """Blocks mined on top of ``block_number`` when the chain's latest block is ``head``."""
    return max(0, head - block_number)


def is_final(block_number: int, head: int, required: int) -> bool:
    """True when ``block_number`` has at least ``required`` confirmations at ``head``."""
    return confirmations(block_number, head) >= required
