"""A footprint's stage breakdown as a small server-rendered SVG bar chart (no script, no CDN).

One horizontal bar per life-cycle stage, scaled to the largest stage, with the stage's name and
its value written as text beside the bar, so the numbers are read (and copied, and spoken by a
screen reader) as text, not only as lengths. The chart carries a ``<title>`` and a ``<desc>``
(``role="img"``, ``aria-labelledby``) and fits a 412 px wide phone (it scales with its
``viewBox``). Negative stages (removals, credits) are drawn as empty bars with their value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape
from typing import Final

__all__ = ["StageBar", "stage_chart_svg"]

WIDTH: Final = 360
ROW_HEIGHT: Final = 28
BAR_HEIGHT: Final = 12
LABEL_WIDTH: Final = 150


@dataclass(frozen=True)
class StageBar:
    """One stage of the chart: its shown name and its exact value (kg CO2e per unit, text)."""

    name: str
    value: str


def _length(value: Decimal, largest: Decimal, room: int) -> int:
    if largest <= 0 or value <= 0:
        return 0
    return max(1, int(value / largest * room))


def stage_chart_svg(
    bars: Sequence[StageBar], *, title: str, description: str, chart_id: str = "stage-chart"
) -> str:
    """The SVG markup of ``bars`` (escaped; safe to put in a page as it is)."""
    largest = max((Decimal(bar.value) for bar in bars), default=Decimal(0))
    room = WIDTH - LABEL_WIDTH - 70
    height = ROW_HEIGHT * max(1, len(bars))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="stage-chart" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]
    for row, bar in enumerate(bars):
        y = row * ROW_HEIGHT
        length = _length(Decimal(bar.value), largest, room)
        parts.append(
            f'<g class="stage-bar"><text x="0" y="{y + 16}">{escape(bar.name)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y + 6}" width="{length}" height="{BAR_HEIGHT}"/>'
            f'<text class="stage-value" x="{LABEL_WIDTH + length + 4}" y="{y + 16}">'
            f"{escape(bar.value)}</text></g>"
        )
    parts.append("</svg>")
    return "".join(parts)
