"""The consumer page in a real browser: headless Chromium against uvicorn on loopback.

Chromium renders ``/l/<id>`` at a phone's size (390 x 844) with its Accept-Language set to
Chinese and to English (the page picks its language from it); the screenshots are kept under
``test-artifacts/`` and the rendered DOM is checked for what a consumer must see.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from registry.app import create_app
from registry.config import load_settings
from registry.i18n import messages
from tests.nodes import ROOT, free_port, require_tool
from tests.registry.factories import bearer, footprint
from tests.registry.labels_data import make_keys
from tests.registry.test_pages import Page

pytestmark = pytest.mark.slow

ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


def chromium() -> str:
    require_tool("chromium")
    path = shutil.which("chromium")
    assert path is not None
    return path


def run_chromium(args: list[str], profile: Path) -> str:
    result = subprocess.run(
        [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The service on 127.0.0.1 (embedded chain, anchoring on): an anchored and a revoked label."""
    chromium()
    tmp = tmp_path_factory.mktemp("chromium")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = load_settings(
        data_dir=tmp / "data", base_url=base, batch_max_wait_seconds=0, poll_interval_seconds=0.05
    )
    app = create_app(settings)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="on", log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        keys = make_keys(app.state.engine)
        with httpx.Client(base_url=base, timeout=60) as client:
            ids = []
            for total in (212.5, 260.0):
                reply = client.post(
                    "/api/v1/footprints",
                    json=footprint(kg_co2e_per_unit=total, fossil_kg_co2e=total - 2.5),
                    headers=bearer(keys.enterprise),
                )
                reply = client.post(
                    "/api/v1/labels",
                    json={
                        "footprint_id": reply.json()["id"],
                        "valid_from": "2026-01-01",
                        "valid_until": "2099-12-31",
                    },
                    headers=bearer(keys.certifier),
                )
                assert reply.status_code == 201, reply.text
                ids.append(reply.json()["id"])
            while any(
                client.get(f"/api/v1/labels/{i}").json()["anchor_status"] != "anchored" for i in ids
            ):
                if time.monotonic() > deadline + 120:
                    raise AssertionError("labels were not anchored")
                time.sleep(0.1)
            reply = client.post(
                f"/api/v1/labels/{ids[1]}/revoke",
                json={"reason_code": 2, "note": "audit found a data error"},
                headers=bearer(keys.certifier),
            )
            assert reply.status_code == 200, reply.text
            anchor = client.get(f"/api/v1/labels/{ids[0]}/bundle").json()["anchor"]
        yield {"base": base, "anchored": ids[0], "revoked": ids[1], "anchor": anchor, "tmp": tmp}
    finally:
        server.should_exit = True
        thread.join(60)


@pytest.mark.parametrize(
    ("browser_lang", "lang", "product", "unit"),
    [
        ("zh-CN", "zh", "14英寸轻薄笔记本电脑", "kg CO₂e/台"),
        ("en-US", "en", "14-inch thin-and-light laptop", "kg CO₂e per unit"),
    ],
)
def test_anchored_label_renders_on_a_phone(
    served: dict[str, Any], browser_lang: str, lang: str, product: str, unit: str
) -> None:
    url = f"{served['base']}/l/{served['anchored']}"
    profile = served["tmp"] / f"profile-{lang}"
    dom = run_chromium([f"--accept-lang={browser_lang}", "--dump-dom", url], profile)
    page = Page(dom)
    t = messages(lang)  # type: ignore[arg-type]
    assert page.lang == ("zh-CN" if lang == "zh" else "en")
    assert page.of("product-name") == product
    assert page.of("footprint-value") == "212.5"
    assert page.of("footprint-unit") == unit
    assert page.of("grade-badge") == "A"
    assert page.attrs_by_id["status"]["data-status"] == "anchored"
    assert t["status_anchored"] in page.of("status")
    assert page.of("block") == str(served["anchor"]["blockNumber"])
    assert page.of("tx") == served["anchor"]["txHash"]

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / f"label-page-{lang}.png"
    shot.unlink(missing_ok=True)
    run_chromium(
        [f"--accept-lang={browser_lang}", f"--screenshot={shot}", "--window-size=390,844", url],
        profile,
    )
    assert shot.stat().st_size > 10_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_revoked_label_renders_revoked(served: dict[str, Any]) -> None:
    url = f"{served['base']}/l/{served['revoked']}?lang=en"
    dom = run_chromium(["--dump-dom", url], served["tmp"] / "profile-revoked")
    page = Page(dom)
    assert page.attrs_by_id["status"]["data-status"] == "revoked"
    assert "Revoked" in page.of("status")
    assert "audit found a data error" in page.of("status")
    shot = ARTIFACTS / "label-page-revoked-en.png"
    run_chromium(
        [f"--screenshot={shot}", "--window-size=390,844", url], served["tmp"] / "profile-revoked"
    )
    assert shot.stat().st_size > 10_000


def test_unknown_label_renders_the_bilingual_404(served: dict[str, Any]) -> None:
    dom = run_chromium(
        ["--accept-lang=en-US", "--dump-dom", f"{served['base']}/l/doesnotexist"],
        served["tmp"] / "profile-404",
    )
    page = Page(dom)
    assert messages("en")["not_found_title"] in page.text
    assert messages("zh")["not_found_title"] in page.text


def test_scanned_gs1_digital_link_opens_the_page(served: dict[str, Any]) -> None:
    # What a phone does with the QR code: open the GS1 Digital Link URL, follow the redirect.
    url = f"{served['base']}/01/06901234567892/21/{served['anchored']}"
    dom = run_chromium(["--accept-lang=en-US", "--dump-dom", url], served["tmp"] / "profile-gs1")
    page = Page(dom)
    assert page.of("product-name") == "14-inch thin-and-light laptop"
    assert page.attrs_by_id["status"]["data-status"] == "anchored"
