"""Printable carbon-label artwork: one SVG per label, ready for a pack or a shelf tag.

The artwork is a pure function of :class:`LabelArtwork`: the same label always gives the same
bytes, so a printer's proof can be checked against the registry. The QR code is vector (an SVG
path of its modules, not a raster) so it stays sharp at any print size. Text is bilingual:
the artwork's language first, its companion second (:data:`registry.i18n.COMPANION`): Simplified
or Traditional Chinese with English, as on Chinese consumer labels, or English with Simplified
Chinese. Every word comes from the message catalogue (``registry/data/messages.json``).
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from registry.catalogue import get_category, unit_name
from registry.grading import GRADE_COLOURS
from registry.i18n import COMPANION, DEFAULT_LANGUAGE, Language, localized, messages
from registry.qr import qr_matrix, qr_svg_path

__all__ = ["LabelArtwork", "format_amount", "render_label_svg", "unit_text"]

WIDTH = 640
HEIGHT = 400
QR_SIZE = 200  # px of the QR square (with its quiet zone) in the 640 x 400 artboard
#: Estimated advance of a character, in ems: CJK glyphs are square, others narrower (bold).
_WIDE_EM, _NARROW_EM = 1.0, 0.62


@dataclass(frozen=True, slots=True)
class LabelArtwork:
    """What a printed label shows."""

    label_id: str
    url: str  # what the QR encodes (see registry.qr.label_url)
    #: The product's name by language tag, as the label record holds it.
    product_name: dict[str, str]
    company_name: str
    category: str
    kg_co2e_per_unit: float
    declared_unit: str
    grade: str
    illustrative_grade: bool
    certificate_number: str
    valid_from: str  # ISO dates
    valid_until: str
    certifier_name: str
    #: The language printed first; its companion (registry.i18n.COMPANION) is printed second.
    language: Language = DEFAULT_LANGUAGE
    #: ``active``, or ``revoked`` / ``superseded``: then a band across the artwork says so.
    status: str = "active"


def format_amount(value: float) -> str:
    """A footprint value for people: up to 4 significant figures, thousands separated.

    ``212.5``, ``0.4123``, ``1,850``, ``12,500``: as declared for typical values, rounded to
    whole kilograms from 1,000 up where decimals are noise.
    """
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{round(value):,}"
    text = f"{value:.4g}"
    if "e" in text:  # very small values: plain decimals instead of exponent notation
        text = f"{value:.8f}".rstrip("0").rstrip(".")
    return text


def unit_text(category: str, declared_unit: str, lang: str) -> str:
    """``kg CO₂e/台`` or ``kg CO₂e per unit``: the footprint's unit in ``lang`` (a tag)."""
    name = unit_name(declared_unit, lang, get_category(category))
    return messages(lang)["unit_text"].format(unit=name)


def _text(
    x: float, y: float, content: str, *, size: int, weight: str = "normal", **attrs: str
) -> str:
    extra = "".join(f" {k.replace('_', '-')}={quoteattr(v)}" for k, v in attrs.items())
    return (
        f'<text x="{x}" y="{y}" font-size="{size}" font-weight="{weight}"{extra}>'
        f"{escape(content)}</text>"
    )


def _wide(ch: str) -> bool:
    return ord(ch) > 0x2E80


def _fit(text: str, limit: int) -> str:
    """Shorten ``text`` to ``limit`` characters (CJK count double) so it stays inside the box."""
    width = 0
    for i, ch in enumerate(text):
        width += 2 if _wide(ch) else 1
        if width > limit:
            return text[:i].rstrip() + "…"
    return text


def _advance(text: str, size: int) -> int:
    """Roughly how wide ``text`` is at font ``size`` (px), for placing what follows it."""
    return round(sum(_WIDE_EM if _wide(ch) else _NARROW_EM for ch in text) * size)


def render_label_svg(label: LabelArtwork) -> str:
    """The label's artwork as a standalone SVG document."""
    colour = GRADE_COLOURS.get(label.grade, "#555555")
    category = get_category(label.category)
    matrix = qr_matrix(label.url)
    modules = len(matrix)
    scale = QR_SIZE / modules
    qr_x, qr_y = WIDTH - QR_SIZE - 24, 96
    value = format_amount(label.kg_co2e_per_unit)
    first, second = label.language, COMPANION[label.language]
    t, o = messages(first), messages(second)

    def both(key: str) -> str:
        return f"{t[key]} {o[key]}"

    grade_note = both("artwork_grade_illustrative" if label.illustrative_grade else "artwork_grade")
    title = f"{both('artwork_title')} — {localized(label.product_name, second)}"
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" xml:lang="{first}" width="{WIDTH}" '
        f'height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'font-family={quoteattr(t["artwork_font"])} fill="#1a1a1a">',
        f"<title>{escape(title)}</title>",
        f'<rect x="1" y="1" width="{WIDTH - 2}" height="{HEIGHT - 2}" rx="18" fill="#fff" '
        'stroke="#1a1a1a" stroke-width="2"/>',
        # Header band.
        f'<path d="M1 19a18 18 0 0 1 18-18h{WIDTH - 38}a18 18 0 0 1 18 18v61H1z" fill="#0b5d3b"/>',
        _text(24, 52, t["artwork_title"], size=30, weight="bold", fill="#fff"),
        _text(34 + _advance(t["artwork_title"], 30), 52, o["artwork_title"], size=26, fill="#fff"),
        _text(WIDTH - 24, 50, label.certificate_number, size=15, fill="#fff", text_anchor="end"),
        # Value and unit.
        _text(24, 180, value, size=72, weight="bold", id="footprint-value"),
        _text(24, 210, unit_text(label.category, label.declared_unit, first), size=20),
        _text(24, 234, unit_text(label.category, label.declared_unit, second), size=18),
        # Grade badge.
        f'<g id="grade"><rect x="24" y="250" width="92" height="64" rx="10" fill="{colour}"/>',
        _text(70, 297, label.grade, size=40, weight="bold", fill="#fff", text_anchor="middle"),
        _text(128, 276, grade_note, size=15),
        _text(128, 300, f"{category.name(first)} {category.name(second)}", size=13, fill="#555"),
        "</g>",
        # Product and company.
        _text(24, 114, _fit(localized(label.product_name, first), 38), size=20, weight="bold"),
        _text(24, 338, _fit(localized(label.product_name, second), 56), size=16),
        _text(24, 360, _fit(label.company_name, 56), size=14, fill="#555"),
        # Validity and certifier.
        _text(
            24,
            384,
            f"{both('artwork_valid')} {label.valid_from} – {label.valid_until} · "
            f"{_fit(label.certifier_name, 40)}",
            size=12,
            fill="#555",
        ),
        # QR code: vector modules, white quiet zone included in the matrix.
        f'<g id="qr" transform="translate({qr_x} {qr_y}) scale({scale:.6f})" '
        'shape-rendering="crispEdges">',
        f'<rect width="{modules}" height="{modules}" fill="#fff"/>',
        f'<path fill="#000" d="{qr_svg_path(matrix)}"/></g>',
        _text(
            qr_x + QR_SIZE / 2,
            qr_y + QR_SIZE + 20,
            both("artwork_scan"),
            size=14,
            text_anchor="middle",
        ),
        _text(
            qr_x + QR_SIZE / 2,
            qr_y + QR_SIZE + 38,
            label.label_id,
            size=12,
            fill="#555",
            text_anchor="middle",
        ),
        *_ended_band(label.status, t, o),
        "</svg>",
    ]
    return "\n".join(parts) + "\n"


#: The artwork's band text for a label that no longer holds, by status (message keys).
ENDED_BANDS = {"revoked": "artwork_revoked", "superseded": "artwork_superseded"}


def _ended_band(status: str, t: dict[str, str], o: dict[str, str]) -> list[str]:
    """A diagonal band across the whole artwork (QR code included) for a revoked or superseded
    label: "已撤销 REVOKED" or "已被取代 SUPERSEDED" in the artwork's language and its companion."""
    key = ENDED_BANDS.get(status)
    if key is None:
        return []
    text = f"{t[key]} {o[key]}"
    return [
        f'<g id="ended-band" data-status="{status}" '
        f'transform="rotate(-24 {WIDTH / 2} {HEIGHT / 2})">',
        f'<rect x="-120" y="{HEIGHT / 2 - 42}" width="{WIDTH + 240}" height="84" '
        'fill="#b3261e" fill-opacity="0.88"/>',
        _text(
            WIDTH / 2,
            HEIGHT / 2 + 15,
            text,
            size=44,
            weight="bold",
            fill="#fff",
            text_anchor="middle",
        ),
        "</g>",
    ]
