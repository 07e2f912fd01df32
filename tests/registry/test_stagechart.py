"""The stage breakdown chart (registry.stagechart): accessible SVG, numbers as text."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from registry.stagechart import StageBar, stage_chart_svg

SVG = "{http://www.w3.org/2000/svg}"


def test_chart_has_title_desc_and_each_value_as_text() -> None:
    bars = [StageBar("原材料获取", "812.345678"), StageBar("生产", "101.000000")]
    markup = stage_chart_svg(bars, title="按阶段", description="两个阶段")
    root = ET.fromstring(markup)
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title").text == "按阶段"  # type: ignore[union-attr]
    assert root.find(f"{SVG}desc").text == "两个阶段"  # type: ignore[union-attr]
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts == ["原材料获取", "812.345678", "生产", "101.000000"]
    widths = [int(r.get("width", "0")) for r in root.iter(f"{SVG}rect")]
    assert widths[0] > widths[1] > 0


def test_text_is_escaped_and_negative_or_empty_is_drawn_empty() -> None:
    markup = stage_chart_svg(
        [StageBar("<end of life>", "-3.000000"), StageBar("use", "0")],
        title="a & b",
        description="",
    )
    root = ET.fromstring(markup)
    assert "<end of life>" in [t.text for t in root.iter(f"{SVG}text")]
    assert [r.get("width") for r in root.iter(f"{SVG}rect")] == ["0", "0"]
    assert ET.fromstring(stage_chart_svg([], title="t", description="d")).get("viewBox")
