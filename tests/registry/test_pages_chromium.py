"""The consumer page in a real browser: headless Chromium against uvicorn on loopback.

Chromium renders ``/l/<id>`` at a phone's size (412 x 915) with its Accept-Language set to
Chinese and to English (the page picks its language from it); the screenshots are kept under
``test-artifacts/`` and the rendered DOM is checked for what a consumer must see.

The page's in-browser verifier runs for real: it fetches the label's bundle from the same server
and asks the embedded chain through the server's ``/rpc``. Anchored reads Genuine, revoked (on
chain) and a record tampered with in the registry's own database read Not genuine, a label not
yet anchored reads Pending, and a chain node that is down reads Could not verify.
"""

from __future__ import annotations

import copy
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
from sqlmodel import Session, select

from anchoring.ledger import AnchorRecord, leaf_hash_hex
from registry.app import create_app
from registry.config import load_settings
from registry.crud.footprints import salt_bytes
from registry.i18n import messages
from registry.models.labels import Label
from tests.nodes import CHROMIUM_FLAGS, ROOT, free_port, require_tool
from tests.registry.factories import bearer, footprint
from tests.registry.labels_data import make_keys
from tests.registry.test_browser_verify import _verdict_section
from tests.registry.test_pages import Page
from verifier.protocol.leaf import record_leaf_value

pytestmark = pytest.mark.slow

ARTIFACTS = ROOT / "test-artifacts"
BROWSER_FLAGS = [
    *CHROMIUM_FLAGS,
    "--hide-scrollbars",
]
# Lets the page's in-browser verification finish (virtual time waits while requests are open)
# before the DOM is dumped or the screenshot taken.
SETTLE = "--virtual-time-budget=15000"


def chromium() -> str:
    require_tool("chromium")
    path = shutil.which("chromium")
    assert path is not None
    return path


def run_chromium(args: list[str], profile: Path) -> str:
    result = subprocess.run(
        [chromium(), *BROWSER_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The service on 127.0.0.1 (embedded chain, anchoring on): anchored, revoked (on chain too),
    to-be-tampered and pending labels."""
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

            def issue(total: float) -> str:
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
                return str(reply.json()["id"])

            def wait(label_id: str, key: str) -> None:
                while client.get(f"/api/v1/labels/{label_id}").json()[key] != "anchored":
                    if time.monotonic() > deadline + 120:
                        raise AssertionError(f"{label_id}: {key} never became anchored")
                    time.sleep(0.1)

            ids = [issue(total) for total in (212.5, 260.0, 215.0)]
            for i in ids:
                wait(i, "anchor_status")
            reply = client.post(
                f"/api/v1/labels/{ids[1]}/revoke",
                json={"reason_code": 2, "note": "audit found a data error"},
                headers=bearer(keys.certifier),
            )
            assert reply.status_code == 200, reply.text
            wait(ids[1], "revocation_status")  # the browser reads revocation from the chain
            anchor = client.get(f"/api/v1/labels/{ids[0]}/bundle").json()["anchor"]
            # With the anchoring loop stopped the next label stays pending (the chain and /rpc
            # stay up); the lifespan's own stop at shut-down is then a no-op.
            assert app.state.loop.stop()
            pending = issue(230.0)
        yield {
            "base": base,
            "app": app,
            "anchored": ids[0],
            "revoked": ids[1],
            "tampered": ids[2],
            "pending": pending,
            "anchor": anchor,
            "tmp": tmp,
        }
    finally:
        server.should_exit = True
        thread.join(60)


@pytest.mark.parametrize(
    ("browser_lang", "lang", "product", "unit"),
    [
        ("zh-CN", "zh-Hans", "14英寸轻薄笔记本电脑", "kg CO₂e/台"),
        ("en-US", "en", "14-inch thin-and-light laptop", "kg CO₂e per unit"),
        # A Hong Kong phone: Traditional Chinese (the name has none yet: Simplified stands in).
        ("zh-HK", "zh-Hant", "14英寸轻薄笔记本电脑", "kg CO₂e/部"),
    ],
)
def test_anchored_label_renders_on_a_phone(
    served: dict[str, Any], browser_lang: str, lang: str, product: str, unit: str
) -> None:
    url = f"{served['base']}/l/{served['anchored']}"
    profile = served["tmp"] / f"profile-{lang}"
    dom = run_chromium([f"--accept-lang={browser_lang}", SETTLE, "--dump-dom", url], profile)
    page = Page(dom)
    t = messages(lang)
    assert page.lang == lang
    assert page.attrs_by_id[f"lang-{lang}"]["aria-current"] == "true"
    assert page.of("product-name") == product
    assert page.of("footprint-value") == "212.5"
    assert page.of("footprint-unit") == unit
    assert page.of("grade-badge") == "A"
    assert page.attrs_by_id["status"]["data-status"] == "anchored"
    assert t["status_anchored"] in page.of("status")
    assert page.of("block") == str(served["anchor"]["blockNumber"])
    assert page.of("tx") == served["anchor"]["txHash"]
    # The browser's own check, beside the registry's status and labelled as such.
    assert t["device_check"] in page.of("device-check")
    section = _verdict_section(dom)
    assert 'data-state="done"' in section and 'data-verdict="VALID"' in section, section
    # The page is in one language throughout: the device check's words are the page's only.
    if lang == "zh-Hans":
        assert "真实有效" in section and "Genuine" not in section
    elif lang == "en":
        assert "Genuine" in section and "真实有效" not in section
    # ... and the one plain verdict at the top reads the device's finding.
    assert page.attrs_by_id["verdict"]["data-verdict"] == "VALID"
    for check in ("format", "integrity", "inclusion", "anchored", "not_revoked", "issuer"):
        assert f'data-check="{check}" data-status="VALID"' in section, section
    assert '<code class="tv-rpc">/rpc</code>' in section  # asked through the registry's own node

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / f"label-page-{lang}.png"
    shot.unlink(missing_ok=True)
    run_chromium(
        [
            f"--accept-lang={browser_lang}",
            SETTLE,
            f"--screenshot={shot}",
            "--window-size=412,915",
            url,
        ],
        profile,
    )
    assert shot.stat().st_size > 10_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_revoked_label_renders_revoked(served: dict[str, Any]) -> None:
    url = f"{served['base']}/l/{served['revoked']}?lang=en"
    dom = run_chromium([SETTLE, "--dump-dom", url], served["tmp"] / "profile-revoked")
    page = Page(dom)
    assert page.attrs_by_id["status"]["data-status"] == "revoked"
    assert "Revoked" in page.of("status")
    assert "audit found a data error" in page.of("revocation-reason")
    assert page.attrs_by_id["verdict"]["data-verdict"] == "REVOKED"
    # The browser finds the revocation on chain by itself.
    section = _verdict_section(dom)
    assert 'data-state="done"' in section and 'data-verdict="INVALID"' in section, section
    # Reason 2 (withdrawn by the issuer) as the chain records it, in both languages.
    assert 'data-check="not_revoked" data-status="INVALID" data-code="501"' in section, section
    assert "withdrawn by the issuer" in section and "发证方已撤回" not in section
    assert 'data-check="integrity" data-status="VALID"' in section, section
    shot = ARTIFACTS / "label-page-revoked-en.png"
    run_chromium(
        [SETTLE, f"--screenshot={shot}", "--window-size=412,915", url],
        served["tmp"] / "profile-revoked",
    )
    assert shot.stat().st_size > 10_000


def test_record_tampered_in_the_registry_database_reads_not_genuine(
    served: dict[str, Any],
) -> None:
    """Someone with write access to our database greenwashes an anchored label. The server
    renders the new number as anchored; only the reader's own check can tell."""
    label_id = served["tampered"]
    url = f"{served['base']}/l/{label_id}?lang=en"
    profile = served["tmp"] / "profile-tampered"
    with Session(served["app"].state.engine) as session:
        label = session.get(Label, label_id)
        assert label is not None
        record = copy.deepcopy(label.record)
        assert record["footprint"]["kg_co2e_per_unit"] == 215.0
        record["footprint"]["kg_co2e_per_unit"] = 21.5
        label.record = record  # a new object, so the JSON column is written
        session.add(label)
        session.commit()
        salt = salt_bytes(label.master_salt)

    # 1. Only the record changed: our bundle route notices it no longer matches its anchored
    # leaf and refuses (503), so the browser has nothing to check: never Genuine.
    section = _verdict_section(run_chromium([SETTLE, "--dump-dom", url], profile))
    assert 'data-state="done"' in section and 'data-verdict="ERROR"' in section, section
    assert 'data-check="format" data-status="ERROR"' in section and "HTTP 503" in section

    # 2. The attacker also rewrites the ledger's leaf to match (the protocol is public), so our
    # server serves the bundle without complaint: record and leaf agree, the leaf is not in the
    # tree whose root is on chain.
    with Session(served["app"].state.engine) as session:
        row = session.exec(select(AnchorRecord).where(AnchorRecord.record_id == label_id)).one()
        row.leaf_value = record_leaf_value(record, salt)
        row.leaf_hash = leaf_hash_hex(row.leaf_value)
        session.add(row)
        session.commit()
    with httpx.Client(base_url=served["base"]) as client:
        served_bundle = client.get(f"/api/v1/labels/{label_id}/bundle")
    assert served_bundle.status_code == 200, served_bundle.text
    assert served_bundle.json()["record"]["footprint"]["kg_co2e_per_unit"] == 21.5

    dom = run_chromium([SETTLE, "--dump-dom", url], profile)
    page = Page(dom)
    # Our server's word, which is what the attacker changed...
    assert page.of("footprint-value") == "21.5"
    assert page.attrs_by_id["status"]["data-status"] == "anchored"
    # ...and the reader's own check, which it cannot change.
    section = _verdict_section(dom)
    assert 'data-state="done"' in section and 'data-verdict="INVALID"' in section, section
    assert "Not genuine" in section and "无效" not in section
    assert page.attrs_by_id["verdict"]["data-verdict"] == "INVALID"
    assert 'data-check="integrity" data-status="VALID"' in section, section
    assert 'data-check="inclusion" data-status="INVALID"' in section, section

    shot = ARTIFACTS / "label-page-tampered-en.png"
    shot.unlink(missing_ok=True)
    run_chromium([SETTLE, f"--screenshot={shot}", "--window-size=412,915", url], profile)
    assert shot.stat().st_size > 10_000


def test_pending_label_reads_pending(served: dict[str, Any]) -> None:
    url = f"{served['base']}/l/{served['pending']}?lang=zh"
    dom = run_chromium([SETTLE, "--dump-dom", url], served["tmp"] / "profile-pending")
    page = Page(dom)
    assert page.attrs_by_id["status"]["data-status"] == "pending"
    section = _verdict_section(dom)
    assert 'data-state="done"' in section and 'data-verdict="PENDING"' in section, section
    assert "待上链" in section and "Pending" not in section
    assert page.attrs_by_id["verdict"]["data-verdict"] == "PENDING"
    assert 'data-check="integrity" data-status="VALID"' in section, section
    assert 'data-check="anchored" data-status="SKIPPED"' in section, section


def test_readers_own_node_that_is_down_reads_could_not_verify(served: dict[str, Any]) -> None:
    """`?rpc=` names the reader's node; when it does not answer the page says it could not
    verify (an outage), never that the label is forged."""
    down = f"http://127.0.0.1:{free_port()}"
    url = f"{served['base']}/l/{served['anchored']}?lang=en&rpc={down}"
    dom = run_chromium([SETTLE, "--dump-dom", url], served["tmp"] / "profile-down")
    section = _verdict_section(dom)
    assert 'data-state="done"' in section and 'data-verdict="ERROR"' in section, section
    assert "Could not verify" in section and "Your chosen chain node" in section
    assert 'data-check="integrity" data-status="VALID"' in section, section
    assert 'data-check="anchored" data-status="ERROR"' in section, section


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
