"""The label page on a phone (412 x 915), in every language, for every verdict (issue 10).

``tanji demo`` seeds a registry with the whole mission (a supply chain two hops deep with a
partner's recognition, a revoked, a superseded and a pending label); uvicorn serves it on
loopback with the embedded chain, and headless Chromium opens each label page as a phone over the
DevTools protocol (tests/registry/phone.py). The page's in-browser verification runs for real.

For valid, superseded, revoked, pending, node-down and supply-chain labels, in zh-Hans, zh-Hant
and en: the figure and the one plain verdict sit inside the first 915 px
(``getBoundingClientRect``), the verdict is the expected one in the page's language, and the
first screen is saved as a PNG (under ``$TANJI_SCREENSHOTS`` when set, else the test's tmp dir).

``tanji verify`` is run against the same registry: a superseded label names the label that
replaced it and exits 3; a label prints what it verified; with the node down nothing is accepted.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from registry.app import create_app
from registry.config import load_settings
from registry.demo import run_demo
from registry.i18n import messages
from tests.nodes import free_port, require_tool
from tests.registry.phone import HEIGHT, Phone
from verifier import cli as verifier_cli

pytestmark = pytest.mark.slow

LANGS = ("zh-Hans", "zh-Hant", "en")
#: Each case: the demo label, a query to add, the page's verdict and the device check's.
CASES = {
    "valid": ("laptop", "", "VALID", "VALID"),
    "supply-chain": ("home_storage_pack", "", "VALID", "VALID"),
    "superseded": ("superseded_tyre", "", "SUPERSEDED", "SUPERSEDED"),
    "revoked": ("revoked_phone", "", "REVOKED", "INVALID"),
    "pending": ("pending_pv_module", "", "PENDING", "PENDING"),
    "node-down": ("laptop", "&rpc=http://127.0.0.1:{down}", "ERROR", "ERROR"),
}
DONE = "document.getElementById('tanji-verify')?.dataset.state === 'done'"
# Words a Chinese page may show in Latin letters: the unit, grade letters, codes.
ALLOWED_LATIN = re.compile(r"kg CO₂e|CO₂e|CO2e|GTIN|\b[A-Z]\b|[A-Z]{2,}-[\w-]+|\d")


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The demo, served by uvicorn on loopback with its embedded chain."""
    require_tool("chromium")
    tmp = tmp_path_factory.mktemp("phone")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    data_dir = tmp / "data"
    summary = run_demo(
        settings=load_settings(data_dir=data_dir, base_url=base), out_dir=tmp / "demo"
    )
    labels = {label.key: label for label in summary.labels}
    # Anchoring runs, but no batch closes while the test looks: the pending label stays pending.
    settings = load_settings(
        data_dir=data_dir,
        base_url=base,
        batch_max_wait_seconds=3600,
        batch_max_size=10_000,
        poll_interval_seconds=0.05,
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
        with httpx.Client(base_url=base, timeout=30) as client:
            # The browser reads revocations from the chain: wait until they are there.
            for key in ("superseded_tyre", "revoked_phone"):
                label_id = labels[key].label_id
                while (
                    client.get(f"/api/v1/labels/{label_id}").json()["revocation_status"]
                    != "anchored"
                ):
                    assert time.monotonic() < deadline + 120, f"{key}: revocation not anchored"
                    time.sleep(0.1)
        yield {"base": base, "labels": labels, "tmp": tmp, "demo": tmp / "demo", "summary": summary}
    finally:
        server.should_exit = True
        thread.join(60)


def _shots_dir(tmp: Path) -> Path:
    named = os.environ.get("TANJI_SCREENSHOTS")
    path = Path(named) if named else tmp / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def phone(registry: dict[str, Any]) -> Iterator[Phone]:
    with Phone(registry["tmp"] / "profile") as browser:
        yield browser


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("case", list(CASES))
def test_first_screen_holds_the_figure_and_one_verdict(
    registry: dict[str, Any], phone: Phone, case: str, lang: str
) -> None:
    key, query, verdict, device = CASES[case]
    label = registry["labels"][key]
    url = f"{registry['base']}/l/{label.label_id}?lang={lang}" + query.format(down=free_port())
    phone.open(url, ready=DONE)
    t = messages(lang)

    assert phone.evaluate("document.documentElement.lang") == lang
    assert phone.evaluate("document.getElementById('tanji-verify').dataset.verdict") == device
    assert phone.evaluate("document.getElementById('verdict').dataset.verdict") == verdict
    # The figure, its unit, the grade and the one verdict shown are on the first screen.
    shown = f"#verdict .v-{verdict}"
    for selector in ("#footprint-value", "#footprint-unit", "#grade-badge", shown):
        rect = phone.rect(selector)
        assert rect is not None and rect["height"] > 0, (selector, rect)
        assert rect["top"] >= 0 and rect["bottom"] <= HEIGHT, (selector, rect)
    # Exactly one verdict is visible, in the page's language.
    visible = phone.evaluate(
        "[...document.querySelectorAll('#verdict .v')]"
        ".filter(e => getComputedStyle(e).display !== 'none').map(e => e.dataset.for)"
    )
    assert visible == [verdict]
    headline = phone.text(f"{shown} .v-head")
    assert t[f"verdict_{verdict}"] in headline
    # The certifier's own note on a revocation is its data, shown as written.
    note = phone.text("#verdict .v-note")
    first_screen = (phone.text("#verdict") + "\n" + phone.text("#footprint")).replace(note, "")
    if lang == "en":
        assert not re.search(r"[\u3400-\u9fff]", phone.text("#verdict")), first_screen
        assert not re.search(r"[\u3400-\u9fff]", phone.text("#footprint")), first_screen
    else:
        latin = re.findall(r"[A-Za-z]{2,}", ALLOWED_LATIN.sub(" ", first_screen))
        assert latin == [], (latin, first_screen)
    assert phone.text("#footprint-value") == phone.evaluate(
        "document.getElementById('footprint-value').textContent"
    )
    if verdict == "SUPERSEDED":
        link = phone.rect("#new-label-link")
        assert link is not None and link["bottom"] <= HEIGHT
        href = phone.evaluate("document.getElementById('new-label-link').getAttribute('href')")
        assert href == f"/l/{label.superseded_by}?lang={lang}"
    if verdict == "REVOKED":
        assert t["revocation_reason"] in phone.text("#revocation-reason")
        assert "ended" in phone.evaluate("document.getElementById('footprint').className")
    if case == "supply-chain":
        # Folded below, worded for people; recognitions as sentences.
        assert phone.evaluate("document.getElementById('supply-chain-details').open") is False
        tree = phone.evaluate("document.getElementById('supply-chain').textContent")
        assert t["supply_signed_anchored"] in tree and "attestations[" not in tree
        recognitions = phone.text("#recognitions")
        assert recognitions and "recognitions[" not in recognitions
    # The checks and the chain are folded away.
    assert phone.evaluate("document.getElementById('device-check').open") is False
    assert phone.evaluate("document.getElementById('chain-details').open") is False

    shot = phone.screenshot(_shots_dir(registry["tmp"]) / f"label-{case}-{lang}.png")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000


def _verify(*argv: str) -> tuple[int, str]:
    out = StringIO()
    code = verifier_cli.main([*argv, "--local-wait", "0"], out=out)
    return code, out.getvalue()


def test_tanji_verify_names_the_replacing_label(registry: dict[str, Any]) -> None:
    old = registry["labels"]["superseded_tyre"]
    trust = str(registry["demo"] / "trust.json")
    code, text = _verify(f"{registry['base']}/l/{old.label_id}", "--trust", trust)
    assert code == verifier_cli.EXIT_SUPERSEDED == 3, text
    assert text.startswith("SUPERSEDED: ") and "FAIL" not in text
    new_url = f"{registry['base']}/l/{old.superseded_by}"
    assert f"replaced by label {old.superseded_by} ({new_url})" in text, text
    assert "whose record names this label as the one it replaces" in text
    assert f"tanji verify {new_url}" in text
    code, text = _verify(new_url, "--trust", trust, "--lang", "zh-Hans")
    assert code == 0, text

    code, text = _verify(f"{registry['base']}/l/{old.label_id}", "--trust", trust, "--json")
    report = json.loads(text)
    assert report["status"] == "SUPERSEDED"
    assert report["supersededBy"] == {"id": old.superseded_by, "url": new_url, "confirmed": True}


def _partner_trust(registry: dict[str, Any], label_id: str) -> str:
    proof = next(p for p in registry["summary"].proofs if p.label_id == label_id)
    return str(registry["demo"] / proof.trust_file)


@pytest.mark.parametrize("lang", LANGS)
def test_tanji_verify_prints_what_it_verified(registry: dict[str, Any], lang: str) -> None:
    label = registry["labels"]["home_storage_pack"]
    url = f"{registry['base']}/l/{label.label_id}"
    code, text = _verify(url, "--trust", _partner_trust(registry, label.label_id), "--lang", lang)
    assert code == 0, text
    from verifier.protocol.messages import report_message

    assert report_message("facts.verified", lang) in text
    for needle in (label.certificate_number, label.grade, f"{label.kg_co2e_per_unit:g}"):
        assert needle in text, (needle, text)
    assert report_message("facts.recognition", lang, {"text": ""}) in text
    if lang != "en":
        assert "recognised by" not in text and "what was verified" not in text


def test_tanji_verify_with_the_node_down_accepts_nothing(registry: dict[str, Any]) -> None:
    label = registry["labels"]["home_storage_pack"]
    down = f"http://127.0.0.1:{free_port()}"
    code, text = _verify(
        f"{registry['base']}/l/{label.label_id}",
        "--trust",
        _partner_trust(registry, label.label_id),
        "--rpc-url",
        down,
    )
    assert code == verifier_cli.EXIT_ERROR, text
    assert "of 1 accepted" not in text and "1 of" not in text, text
    assert "none checked" in text and "none accepted" in text, text
    assert "what the label states (not proven)" in text
    assert "recognition (could not be checked)" in text
