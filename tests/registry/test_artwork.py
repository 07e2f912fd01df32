import io
import os
import xml.etree.ElementTree as ET

import pytest
import zxingcpp
from PIL import Image

from registry.artwork import LabelArtwork, format_amount, render_label_svg, unit_text
from registry.grading import GRADE_COLOURS
from registry.qr import label_url, qr_matrix

NS = "{http://www.w3.org/2000/svg}"


def artwork(**overrides: object) -> LabelArtwork:
    fields: dict[str, object] = {
        "label_id": "lb-7k2m9q4x1c8d",
        "url": label_url("https://tanji.example.cn", "lb-7k2m9q4x1c8d", gtin="6901234567892"),
        "product_name": {"zh": "示例 14 英寸轻薄笔记本电脑", "en": "Demo 14-inch ultrabook"},
        "company_name": "Demo Bishan Computing Co. <fictional> & Sons",
        "category": "laptop",
        "kg_co2e_per_unit": 268.4,
        "declared_unit": "unit",
        "grade": "B",
        "illustrative_grade": True,
        "certificate_number": "CQCL-2026-000123",
        "valid_from": "2026-11-25",
        "valid_until": "2029-11-24",
        "certifier_name": "Demo Chongqing Carbon Label Center",
    }
    fields.update(overrides)
    return LabelArtwork(**fields)  # type: ignore[arg-type]


def all_text(root: ET.Element) -> str:
    return " ".join("".join(t.itertext()) for t in root.iter(f"{NS}text"))


def qr_modules(root: ET.Element) -> list[tuple[bool, ...]]:
    group = root.find(f".//{NS}g[@id='qr']")
    assert group is not None
    n = int(group.find(f"{NS}rect").get("width"))  # type: ignore[union-attr]
    drawn = [[False] * n for _ in range(n)]
    for run in group.find(f"{NS}path").get("d").split("z")[:-1]:  # type: ignore[union-attr]
        move, rest = run[1:].split("h", 1)
        x, y = (int(v) for v in move.split())
        for dx in range(int(rest.split("v")[0])):
            drawn[y][x + dx] = True
    return [tuple(r) for r in drawn]


def test_svg_is_well_formed_and_says_everything_in_both_languages() -> None:
    label = artwork()
    svg = render_label_svg(label)
    root = ET.fromstring(svg.encode())
    assert root.tag == f"{NS}svg"
    text = all_text(root)
    for expected in (
        "碳足迹",
        "Carbon Footprint",
        "268.4",  # the value as declared (up to 4 significant figures)
        "kg CO₂e/台",
        "kg CO₂e per unit",
        "示例分级 Illustrative grade",
        "示例 14 英寸轻薄笔记本电脑",
        "Demo 14-inch ultrabook",
        "Demo Bishan Computing Co. <fictional> & Sons",  # escaped in XML, intact when parsed
        "CQCL-2026-000123",
        "2026-11-25",
        "2029-11-24",
        "扫码验证 Scan to verify",
    ):
        assert expected in text, expected
    badge = root.find(f".//{NS}g[@id='grade']/{NS}rect")
    assert badge is not None and badge.get("fill") == GRADE_COLOURS["B"]
    assert root.find(f".//{NS}g[@id='grade']/{NS}text").text == "B"  # type: ignore[union-attr]


def test_artwork_in_traditional_chinese_or_english_first() -> None:
    name = {"zh": "示例笔记本电脑", "zh-Hant": "示例手提電腦", "en": "Demo laptop"}
    hant = ET.fromstring(render_label_svg(artwork(product_name=name, language="zh-Hant")).encode())
    assert hant.get("{http://www.w3.org/XML/1998/namespace}lang") == "zh-Hant"
    assert "CJK HK" in str(hant.get("font-family"))  # Traditional glyphs, Hong Kong forms
    text = all_text(hant)
    for expected in (
        "碳足跡",
        "Carbon Footprint",
        "kg CO₂e/部",
        "kg CO₂e per unit",
        "示例分級 Illustrative grade",
        "手提電腦 Laptop computer",
        "示例手提電腦",
        "Demo laptop",
        "有效期 Valid",
        "掃碼核實 Scan to verify",
    ):
        assert expected in text, expected
    assert "示例笔记本电脑" not in text and "碳足迹" not in text
    english = all_text(ET.fromstring(render_label_svg(artwork(language="en")).encode()))
    assert "Carbon Footprint" in english and "碳足迹" in english
    assert "Illustrative grade 示例分级" in english
    assert english.index("Demo 14-inch ultrabook") < english.index("示例 14 英寸轻薄笔记本电脑")


def test_qr_is_vector_and_draws_the_label_url_matrix() -> None:
    label = artwork()
    root = ET.fromstring(render_label_svg(label).encode())
    assert root.find(f".//{NS}image") is None  # no embedded raster
    assert qr_modules(root) == list(qr_matrix(label.url))


def test_rendering_is_deterministic_and_official_grades_are_not_called_illustrative() -> None:
    assert render_label_svg(artwork()) == render_label_svg(artwork())
    text = all_text(ET.fromstring(render_label_svg(artwork(illustrative_grade=False)).encode()))
    assert "Illustrative" not in text


def test_rasterised_artwork_qr_decodes() -> None:
    try:
        import cairosvg
    except OSError as exc:  # cairosvg is installed but libcairo is not
        if os.environ.get("CI") == "true":
            pytest.fail(f"libcairo is needed to rasterise the artwork and CI must have it: {exc}")
        pytest.skip(f"libcairo is needed to rasterise the artwork: {exc}")
    for url_label in (artwork(), artwork(url=label_url("https://t.example", "lb-abc"))):
        png = cairosvg.svg2png(bytestring=render_label_svg(url_label).encode(), output_width=1280)
        results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
        assert [r.text for r in results] == [url_label.url]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (268.4, "268.4"),
        (1849.6, "1,850"),
        (12500, "12,500"),
        (0.41234, "0.4123"),
        (7.25, "7.25"),
        (0, "0"),
        (2e-5, "0.00002"),
    ],
)
def test_format_amount(value: float, text: str) -> None:
    assert format_amount(value) == text


def test_unit_text() -> None:
    assert unit_text("steel_rebar", "t", "zh") == "kg CO₂e/吨"
    assert unit_text("steel_rebar", "t", "zh-Hant") == "kg CO₂e/公噸"
    assert unit_text("pv_module", "Wp", "en") == "kg CO₂e per Wp"


@pytest.mark.parametrize(
    ("status", "lang", "band"),
    [
        ("revoked", "zh-Hans", "已撤销 REVOKED"),
        ("superseded", "zh-Hans", "已被取代 SUPERSEDED"),
        ("superseded", "zh-Hant", "已被取代 SUPERSEDED"),
        ("revoked", "en", "REVOKED 已撤销"),
    ],
)
def test_ended_labels_say_so_across_the_artwork(status: str, lang: str, band: str) -> None:
    root = ET.fromstring(render_label_svg(artwork(status=status, language=lang)))
    group = root.find(f".//{NS}g[@id='ended-band']")
    assert group is not None and group.get("data-status") == status
    assert "".join(group.itertext()).strip() == band
    assert "rotate(" in str(group.get("transform"))  # diagonal, across the QR code too
    assert list(root)[-1] is group  # drawn last: over everything
    active = ET.fromstring(render_label_svg(artwork()))
    assert active.find(f".//{NS}g[@id='ended-band']") is None
