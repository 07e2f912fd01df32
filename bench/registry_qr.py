"""QR code PNGs per second: ``registry.qr.qr_png`` for distinct label URLs.

    python bench/registry_qr.py [--count 1000] [--box-size 8]

Every URL is different (GS1 Digital Link form with a fresh serial), so the matrix cache in
``registry.qr`` never hits: each PNG is encoded from scratch (QR matrix with mask selection,
then the PNG). The SVG form is measured too.

Baseline, measured in the same run: Pillow encoding a blank 1-bit PNG of the same pixel size,
i.e. the image-writing part alone. ratio = QR time / baseline time. Target: >= 200 QR PNGs/s.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image

from registry.qr import label_url, qr_matrix, qr_png, qr_svg

BASE = "https://tanji.example.cn"


def urls(count: int, salt: str) -> list[str]:
    return [
        label_url(BASE, f"{salt}{i:08d}", gtin="2000001000014", serial=f"{salt}{i:08d}")
        for i in range(count)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--box-size", type=int, default=8)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")

    targets = urls(args.count, "p")
    start = time.perf_counter()
    sizes = [len(qr_png(url, box_size=args.box_size)) for url in targets]
    qr_seconds = time.perf_counter() - start

    svg_targets = urls(args.count, "s")
    start = time.perf_counter()
    for url in svg_targets:
        qr_svg(url)
    svg_seconds = time.perf_counter() - start

    side = len(qr_matrix(targets[0])) * args.box_size
    blank = Image.new("1", (side, side), 1)
    start = time.perf_counter()
    for _ in range(args.count):
        out = io.BytesIO()
        blank.save(out, format="PNG", optimize=False)
    base_seconds = time.perf_counter() - start

    qr_rate = args.count / qr_seconds
    print(f"{args.count} distinct URLs, e.g. {targets[0]} ({len(targets[0])} chars)")
    print(f"image: {side} x {side} px, mean PNG {sum(sizes) / len(sizes):.0f} bytes")
    print(f"{'':<34}{'per s':>10}{'ms each':>10}")
    print(f"{'qr_png (matrix + PNG)':<34}{qr_rate:>10.0f}{qr_seconds / args.count * 1e3:>10.2f}")
    print(
        f"{'qr_svg (matrix + SVG path)':<34}{args.count / svg_seconds:>10.0f}"
        f"{svg_seconds / args.count * 1e3:>10.2f}"
    )
    print(
        f"{'baseline: blank PNG, same size':<34}{args.count / base_seconds:>10.0f}"
        f"{base_seconds / args.count * 1e3:>10.2f}"
    )
    print(
        f"ratio qr_png/baseline: {qr_seconds / base_seconds:.1f}x the time of writing the PNG alone"
    )
    verdict = "meets" if qr_rate >= 200 else "MISSES"
    print(f"target >= 200 QR PNGs/s: {verdict} ({qr_rate:.0f}/s)")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
