"""A stacked bar chart as server-rendered SVG (no script, no CDN): one bar per month, one
coloured segment per key (category, district or grade), a value axis and a legend.

The chart carries a ``<title>`` and a ``<desc>`` (``role="img"``, ``aria-labelledby``); each
segment has a ``<title>`` of its own (month, key, count) for a pointer. The page puts the same
numbers in a table beside it (:class:`registry.city.stats.Aggregate` feeds both), so nothing is
read from lengths or colours alone. The colours are at least 3:1 against white (WCAG 1.4.11).
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Final

from registry.city.stats import Aggregate

__all__ = ["PALETTE", "nice_ceiling", "stacked_bars_svg"]

#: Series colours, each at least 3:1 against white; a key past the last one reuses the first.
PALETTE: Final = (
    "#1d4ed8",
    "#c2410c",
    "#15803d",
    "#7e22ce",
    "#b91c1c",
    "#0e7490",
    "#a16207",
    "#be185d",
    "#4d7c0f",
    "#374151",
    "#9a3412",
    "#6d28d9",
)
WIDTH: Final = 720
PLOT_TOP: Final = 16
PLOT_HEIGHT: Final = 220
LEFT: Final = 48
RIGHT: Final = 12
AXIS_LABELS: Final = 40
LEGEND_ROW: Final = 20
LEGEND_COLUMNS: Final = 3


def nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5 x 10^n at least ``value`` (the axis' top; 1 for nothing)."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def stacked_bars_svg(
    data: Aggregate,
    *,
    title: str,
    description: str,
    name: Callable[[str], str],
    chart_id: str = "chart",
) -> str:
    """The SVG markup of ``data`` (every text escaped; safe to put in a page as it is).

    ``name`` gives a key's shown name (a category's or district's name in the page language).
    """
    months, keys = data.months, data.keys
    top = nice_ceiling(max((data.month_total(m) for m in months), default=0))
    plot_width = WIDTH - LEFT - RIGHT
    slot = plot_width / max(1, len(months))
    bar = max(2.0, slot * 0.7)
    legend_rows = (len(keys) + LEGEND_COLUMNS - 1) // LEGEND_COLUMNS
    height = PLOT_TOP + PLOT_HEIGHT + AXIS_LABELS + legend_rows * LEGEND_ROW + 8
    base = PLOT_TOP + PLOT_HEIGHT
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="city-chart" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]
    for value in range(0, top + 1, max(1, top // 5)):  # value axis: whole steps up to top
        y = base - PLOT_HEIGHT * value / top
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
            f'stroke="#d1d5db" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="#374151">{value}</text>'
        )
    label_every = max(1, (len(months) + 11) // 12)
    for i, month in enumerate(months):
        x = LEFT + slot * i + (slot - bar) / 2
        y = float(base)
        for k, key in enumerate(keys):
            count = data.count(month, key)
            if count == 0:
                continue
            h = PLOT_HEIGHT * count / top
            y -= h
            tip = f"{month} · {name(key)}: {count}"
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{PALETTE[k % len(PALETTE)]}"><title>{escape(tip)}</title></rect>'
            )
        if i % label_every == 0:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{base + 16}" text-anchor="middle" '
                f'font-size="11" fill="#374151">{escape(month)}</text>'
            )
    parts.append(
        f'<line x1="{LEFT}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}" stroke="#374151"/>'
    )
    column = (WIDTH - LEFT) / LEGEND_COLUMNS
    for k, key in enumerate(keys):
        x = LEFT + column * (k % LEGEND_COLUMNS)
        y = base + AXIS_LABELS + LEGEND_ROW * (k // LEGEND_COLUMNS)
        parts.append(
            f'<rect x="{x:.1f}" y="{y - 10}" width="12" height="12" '
            f'fill="{PALETTE[k % len(PALETTE)]}"/>'
            f'<text x="{x + 18:.1f}" y="{y}" font-size="12" fill="#111827">'
            f"{escape(name(key))} ({data.key_total(key)})</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
