"""registry.qr_penalty scores masks exactly as qrcode does, so the codes are qrcode's own."""

import random

import pytest
import qrcode
import qrcode.constants
import qrcode.util

from registry.qr import label_url
from registry.qr_penalty import LabelQRCode, lost_point


def _urls(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    # Lengths from a bare /l/ URL to a long GS1 serial, so versions 2 to 10 and more appear.
    return [
        label_url(
            "https://tanji.example.cn", f"{rng.getrandbits(rng.choice([24, 64, 200, 600])):x}"
        )
        for _ in range(count)
    ]


@pytest.mark.parametrize("size", [1, 2, 5, 10, 11, 12, 21, 25, 33, 57, 177])
def test_score_equals_qrcode_on_random_matrices(size: int) -> None:
    rng = random.Random(size)
    for _ in range(40):
        dark_share = rng.random()
        modules = [[rng.random() < dark_share for _ in range(size)] for _ in range(size)]
        assert lost_point(modules) == qrcode.util.lost_point(modules)


def test_score_equals_qrcode_on_uniform_and_striped_matrices() -> None:
    # Edge cases of the packed lines: whole-line runs, and runs that end exactly at a line's end.
    for size in (5, 11, 21):
        for modules in (
            [[True] * size for _ in range(size)],
            [[False] * size for _ in range(size)],
            [[(r + c) % 2 == 0 for c in range(size)] for r in range(size)],
            [[c < 5 for c in range(size)] for _ in range(size)],
            [[r >= size - 5 for _ in range(size)] for r in range(size)],
        ):
            assert lost_point(modules) == qrcode.util.lost_point(modules)


def test_score_equals_qrcode_for_every_mask_of_real_codes() -> None:
    for url in _urls(60, seed=7):
        code = LabelQRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
        code.add_data(url)
        code.make(fit=True)
        for mask in range(8):
            code.makeImpl(True, mask)
            assert lost_point(code.modules) == qrcode.util.lost_point(code.modules), (url, mask)


def test_codes_are_module_for_module_those_of_qrcode() -> None:
    for url in _urls(150, seed=11):
        ours = LabelQRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
        stock = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
        for code in (ours, stock):
            code.add_data(url)
            code.make(fit=True)
        assert ours.get_matrix() == stock.get_matrix(), url


def test_empty_matrix_is_refused() -> None:
    with pytest.raises(ValueError):
        lost_point([])
