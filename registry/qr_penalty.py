"""The QR mask penalty score (ISO/IEC 18004 §7.8.3), on rows held as integers.

``qrcode`` picks a code's mask by scoring all eight candidates with ``qrcode.util.lost_point``, a
loop over every module in Python; that scoring is about 40 % of making a label's QR code. Here all
rows and columns are packed into one Python ``int`` (a bit per module), so every rule becomes a
handful of shifts, ands and ``bit_count`` calls for the whole matrix. The score is exactly
``qrcode.util.lost_point`` of the same matrix, quirks included (tests compare the two on real and
random matrices), so the mask chosen, and with it every module of the code, stays what ``qrcode``
alone would produce.

We keep ``qrcode`` for everything else (segmenting, error correction, placement): only the scoring
loop is replaced, through ``QRCode.best_mask_pattern``, which ``qrcode`` exposes for overriding.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple

import qrcode

__all__ = ["LabelQRCode", "lost_point"]

# bytes(row) of a row of bools is b"\x00\x01..."; this turns it into b"01..." for int(..., 2).
_BITS = bytes.maketrans(b"\x00\x01", b"01")


def lost_point(modules: Sequence[Sequence[bool]]) -> int:
    """Penalty score of a square module matrix (True = dark), equal to ``qrcode.util.lost_point``.

    Lower is better; the mask with the lowest score is used. Rules (§7.8.3): 1, runs of five or
    more same-coloured modules in a row or column (length - 2 each); 2, 2 x 2 blocks of one colour
    (3 each); 3, 1:1:3:1:1 finder-like patterns next to four light modules (40 each); 4, the dark
    share's distance from 50 % in whole 5 % steps (10 each).
    """
    n = len(modules)
    if n == 0:
        raise ValueError("a QR module matrix has at least one row")
    # All rows, then all columns, as fields of n bits in one integer, each field followed by a
    # gap bit that is 0 both in `dark` and in `light`: no run or pattern can cross from one line
    # into the next, so every rule is a few operations over all lines at once.
    rows = b"\x00".join(map(bytes, modules))
    columns = b"\x00".join(map(bytes, zip(*modules, strict=True)))
    dark = int((rows + b"\x00" + columns).translate(_BITS), 2)
    row_bits = dark >> (n * (n + 1))
    masks = _masks(n)
    light = ~dark & masks.lines

    score = _runs_penalty(dark) + _runs_penalty(light)
    score += 3 * _uniform_blocks(row_bits, n, masks)
    score += 40 * _finder_like(dark, light)
    # The same float arithmetic as qrcode, so a share on a 5 % boundary rounds the same way.
    score += 10 * int(abs(float(row_bits.bit_count()) / (n**2) * 100 - 50) / 5)
    return score


class _Masks(NamedTuple):
    lines: int  # every module bit of the 2n fields (rows then columns)
    row_pairs: int  # the module bits of the fields of rows 0 .. n-2 (bit order: from the end)
    inner: int  # bits 0 .. n-2 of those fields: a module with a right-hand neighbour


@lru_cache(maxsize=64)
def _masks(n: int) -> _Masks:
    field = "1" * n
    return _Masks(
        lines=int("0".join([field] * (2 * n)), 2),
        row_pairs=int("0".join([field] * (n - 1)) or "0", 2),
        inner=int("0".join(["0" + "1" * (n - 1)] * (n - 1)) or "0", 2),
    )


def _runs_penalty(bits: int) -> int:
    """Rule 1 for the set bits: a run of length L >= 5 costs L - 2."""
    # Bit i of `starts` is set when bits i .. i+4 are all set: a run of length L has L - 4 of them.
    starts = bits & (bits >> 1) & (bits >> 2) & (bits >> 3) & (bits >> 4)
    # The top bit of each block of `starts` marks one run: L - 4 + 2 = L - 2 per run.
    runs = starts & ~(starts >> 1)
    return starts.bit_count() + 2 * runs.bit_count()


def _uniform_blocks(rows: int, n: int, masks: _Masks) -> int:
    """Rule 2: the number of 2 x 2 one-coloured blocks (each row field against the next one)."""
    same_vertically = ~(rows ^ (rows >> (n + 1))) & masks.row_pairs
    same_horizontally = ~(rows ^ (rows >> 1)) & masks.inner
    return (same_vertically & (same_vertically >> 1) & same_horizontally).bit_count()


def _finder_like(dark: int, light: int) -> int:
    """Rule 3: windows of 11 modules reading 1011101 with four light modules on either side."""
    # 1011101 reads the same both ways, so the bit order of a field does not matter.
    core = (
        dark & (light >> 1) & (dark >> 2) & (dark >> 3) & (dark >> 4) & (light >> 5) & (dark >> 6)
    )
    light4 = light & (light >> 1) & (light >> 2) & (light >> 3)
    return ((core >> 4) & light4).bit_count() + (core & (light4 >> 7)).bit_count()


class LabelQRCode(qrcode.QRCode):
    """``qrcode.QRCode`` whose mask choice is scored by :func:`lost_point` (same result, faster)."""

    def best_mask_pattern(self) -> int:
        """The first of the eight masks with the lowest penalty, as ``qrcode`` chooses it."""
        best_score = 0
        best = 0
        for mask in range(8):
            self.makeImpl(True, mask)
            score = lost_point(self.modules)
            if mask == 0 or score < best_score:
                best_score, best = score, mask
        return best
