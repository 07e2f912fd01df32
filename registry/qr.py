"""QR codes for carbon labels: the short URL a pack carries, as PNG or SVG.

A QR code carries a URL, never the label data: a GS1 Digital Link URI
(``<base>/01/<GTIN-14>/21/<serial>``, the serial being the label id) when the product has a GTIN,
so the same code also works with GS1 resolvers and retail scanners, else ``<base>/l/<label id>``.
Error correction is level M (15 % of the code may be damaged, still small enough to print at
2 cm) with the standard 4-module quiet zone.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import lru_cache
from urllib.parse import quote

import qrcode
import qrcode.constants
from PIL import Image

from registry.errors import InvalidInputError
from registry.qr_penalty import LabelQRCode

__all__ = [
    "QUIET_ZONE",
    "label_url",
    "normalize_gtin",
    "qr_matrix",
    "qr_png",
    "qr_svg",
    "qr_svg_path",
]

QUIET_ZONE = 4  # modules of white border, as ISO/IEC 18004 requires
_ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M


def normalize_gtin(gtin: str) -> str:
    """A GTIN-8/12/13/14 as the 14 digits GS1 Digital Link uses, after checking its check digit.

    Raises :class:`InvalidInputError` (code ``invalid_gtin``, field ``gtin``).
    """
    digits = gtin.strip()
    if not digits.isascii() or not digits.isdigit() or len(digits) not in (8, 12, 13, 14):
        raise InvalidInputError(
            f"GTIN must be 8, 12, 13 or 14 digits, got {gtin!r}", code="invalid_gtin", field="gtin"
        )
    digits = digits.rjust(14, "0")
    # GS1 check digit: weights 3,1,3,... from the right, excluding the check digit itself.
    body = [int(c) for c in digits[:-1]]
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    if (10 - total % 10) % 10 != int(digits[-1]):
        raise InvalidInputError(
            f"GTIN {gtin!r} has a wrong check digit", code="invalid_gtin", field="gtin"
        )
    return digits


def label_url(
    base_url: str, label_id: str, *, gtin: str | None = None, serial: str | None = None
) -> str:
    """The URL a label's QR code carries.

    With a ``gtin`` it is the GS1 Digital Link form ``<base>/01/<gtin14>/21/<serial>`` (``serial``
    defaults to the label id and is percent-encoded), else ``<base>/l/<label_id>``.
    """
    base = base_url.rstrip("/")
    if gtin:
        return f"{base}/01/{normalize_gtin(gtin)}/21/{quote(serial or label_id, safe='')}"
    return f"{base}/l/{quote(label_id, safe='')}"


def qr_matrix(url: str) -> tuple[tuple[bool, ...], ...]:
    """The QR module matrix of ``url`` (True = dark), quiet zone included."""
    return _matrix(url)


# Placing the data under each of the eight masks is most of the encoding time (the scoring is in
# registry.qr_penalty); a label page and its QR routes ask for the same URL repeatedly, so recent
# matrices are kept (immutable, so safe to share).
@lru_cache(maxsize=1024)
def _matrix(url: str) -> tuple[tuple[bool, ...], ...]:
    code = LabelQRCode(error_correction=_ERROR_CORRECTION, border=QUIET_ZONE)
    code.add_data(url)
    code.make(fit=True)
    return tuple(tuple(bool(m) for m in row) for row in code.get_matrix())


def qr_png(url: str, *, box_size: int = 8) -> bytes:
    """A black-on-white PNG of the QR code of ``url``, ``box_size`` pixels per module."""
    matrix = qr_matrix(url)
    n = len(matrix)
    # One pixel per module, then a nearest-neighbour scale: much faster than drawing boxes.
    small = Image.frombytes(
        "L", (n, n), bytes(0 if dark else 255 for row in matrix for dark in row)
    ).convert("1")
    image = small.resize((n * box_size, n * box_size), Image.Resampling.NEAREST)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


def qr_svg_path(matrix: Sequence[Sequence[bool]]) -> str:
    """SVG path data drawing the dark modules of ``matrix``, one unit per module.

    Horizontal runs of dark modules become one rectangle each, which keeps the path short.
    """
    parts: list[str] = []
    for y, row in enumerate(matrix):
        x = 0
        n = len(row)
        while x < n:
            if row[x]:
                start = x
                while x < n and row[x]:
                    x += 1
                parts.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    return "".join(parts)


def qr_svg(url: str) -> str:
    """A standalone SVG document of the QR code of ``url`` (scalable; one unit per module)."""
    matrix = qr_matrix(url)
    n = len(matrix)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {n} {n}" '
        f'width="{n * 4}" height="{n * 4}" shape-rendering="crispEdges">'
        f'<rect width="{n}" height="{n}" fill="#fff"/>'
        f'<path fill="#000" d="{qr_svg_path(matrix)}"/></svg>\n'
    )
