import io
import xml.etree.ElementTree as ET

import pytest
import zxingcpp
from PIL import Image

from registry.errors import InvalidInputError
from registry.qr import QUIET_ZONE, label_url, normalize_gtin, qr_matrix, qr_png, qr_svg

BASE = "https://tanji.example.cn/"
SVG_NS = "{http://www.w3.org/2000/svg}"


def decode_png(png: bytes) -> zxingcpp.Barcode:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    results = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    assert len(results) == 1
    return results[0]


def test_label_url_forms() -> None:
    assert label_url(BASE, "lbl_01J9Z") == "https://tanji.example.cn/l/lbl_01J9Z"
    assert (
        label_url(BASE, "lbl_01J9Z", gtin="6901234567892")
        == "https://tanji.example.cn/01/06901234567892/21/lbl_01J9Z"
    )
    # An explicit serial, percent-encoded as GS1 Digital Link requires for reserved characters.
    assert label_url(BASE, "x", gtin="06901234567892", serial="A/1 b").endswith("/21/A%2F1%20b")


@pytest.mark.parametrize(
    ("gtin", "gtin14"),
    [
        ("6901234567892", "06901234567892"),  # GTIN-13
        ("96385074", "00000096385074"),  # GTIN-8
        ("036000291452", "00036000291452"),  # GTIN-12 (UPC-A)
        ("10614141000415", "10614141000415"),  # GTIN-14
    ],
)
def test_normalize_gtin(gtin: str, gtin14: str) -> None:
    assert normalize_gtin(gtin) == gtin14


@pytest.mark.parametrize(
    "gtin", ["6901234567891", "12345", "69012345678a2", "６９０１２３４５６７８９２"]
)
def test_bad_gtin_is_rejected_with_code(gtin: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        label_url(BASE, "lbl_1", gtin=gtin)
    assert (info.value.code, info.value.field) == ("invalid_gtin", "gtin")


@pytest.mark.parametrize("gtin", [None, "6901234567892"])
def test_png_decodes_back_to_the_url(gtin: str | None) -> None:
    url = label_url(BASE, "lbl_01JD4Q8ZK3M5N7P9R1T3V5X7Z9", gtin=gtin)
    png = qr_png(url, box_size=6)
    barcode = decode_png(png)
    assert barcode.text == url
    assert barcode.ec_level == "M"
    # Quiet zone: the outer QUIET_ZONE modules are white.
    image = Image.open(io.BytesIO(png)).convert("L")
    n = len(qr_matrix(url))
    assert image.size == (n * 6, n * 6)
    border = QUIET_ZONE * 6
    assert image.crop((0, 0, image.width, border)).getextrema() == (255, 255)
    assert image.crop((0, 0, border, image.height)).getextrema() == (255, 255)


def test_svg_is_well_formed_and_draws_the_same_matrix() -> None:
    url = label_url(BASE, "lbl_01JD4Q8ZK3M5N7P9R1T3V5X7Z9", gtin="6901234567892")
    svg = qr_svg(url)
    root = ET.fromstring(svg.encode())
    assert root.tag == f"{SVG_NS}svg"
    matrix = qr_matrix(url)
    n = len(matrix)
    assert root.get("viewBox") == f"0 0 {n} {n}"
    # Re-rasterise the path (runs of one-module-high rectangles) and compare with the matrix.
    path = root.find(f"{SVG_NS}path")
    assert path is not None
    drawn = [[False] * n for _ in range(n)]
    for run in path.get("d", "").split("z")[:-1]:
        move, rest = run[1:].split("h", 1)
        x, y = (int(v) for v in move.split())
        width = int(rest.split("v")[0])
        for dx in range(width):
            drawn[y][x + dx] = True
    assert [tuple(r) for r in drawn] == [tuple(r) for r in matrix]


def test_long_gs1_url_at_two_pixels_per_module_decodes() -> None:
    # The smallest sensible print resolution still decodes with a real decoder.
    url = label_url(BASE, "L" * 20, gtin="10614141000415")
    assert decode_png(qr_png(url, box_size=2)).text == url
