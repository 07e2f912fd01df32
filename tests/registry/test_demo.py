"""``run_demo`` on a fresh data dir: every bundle it writes verifies against the real chain.

The flow is the one a user follows: ``tanji demo``, then ``tanji serve`` (which serves the
embedded chain at ``/rpc``), then ``tanji verify`` with the demo's trust file.
"""

from __future__ import annotations

import io
import json
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
import zxingcpp
from PIL import Image

import registry.demo
from registry.app import create_app
from registry.catalogue import CATEGORIES
from registry.config import Settings, load_settings
from registry.crud.prefixes import covers
from registry.demo import DEMO_PRODUCTS_FILE, run_demo
from registry.demo_computed import EXAMPLE_INVENTORIES
from registry.i18n import LANGUAGES, NAME_KEYS
from registry.qr import normalize_gtin
from tests.nodes import free_port
from verifier.cli import main as verify_main

pytestmark = pytest.mark.slow

STARTER_FACTORS = Path(registry.demo.__file__).resolve().parent / "data" / "factors"

PLAN_CATEGORIES = {
    "laptop",
    "lithium_battery_pack",
    "nev",
    "motorcycle",
    "mobile_phone",
    "steel_rebar",
    "cement",
    "aluminium_ingot",
    "pvc_resin",
    "tyre",
    "pv_module",
    "hotpot_seasoning",
}


@contextmanager
def serving(settings: Settings, port: int) -> Iterator[str]:
    """``tanji serve`` in a thread: the app with uvicorn on 127.0.0.1:``port``."""
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings), host="127.0.0.1", port=port, lifespan="on", log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(60)


def test_demo_products_cover_the_plan_and_are_marked_demo() -> None:
    data = json.loads(DEMO_PRODUCTS_FILE.read_text(encoding="utf-8"))
    products = data["products"]
    assert len(products) >= 12
    assert {p["footprint"]["category"] for p in products} >= PLAN_CATEGORIES
    for product in products:
        footprint = product["footprint"]
        assert footprint["category"] in CATEGORIES
        assert "(fictional)" in product["company"] and "示例" in product["company"]
        assert product["basis"].startswith("illustrative")
        # The name in every language, keyed as a label record keys it (zh-Hant for Hong Kong).
        assert list(footprint["product_name"]) == [NAME_KEYS[lang] for lang in LANGUAGES]
        if "gtin" in footprint:
            # GS1 restricted-circulation numbers: never a real trade item.
            assert normalize_gtin(footprint["gtin"]).startswith("02")
            # The company holds the GS1 company prefix its GTIN is under.
            assert covers(product["gs1_prefix"], normalize_gtin(footprint["gtin"]))
    prefixes = [p["gs1_prefix"] for p in products if "gs1_prefix" in p]
    assert len(prefixes) == len(set(prefixes))
    assert not [(a, b) for a in prefixes for b in prefixes if a != b and b.startswith(a)]


def test_demo_seeds_anchors_and_exports_verifiable_labels(tmp_path: Path) -> None:
    port = free_port()
    settings = load_settings(data_dir=tmp_path / "data", base_url=f"http://127.0.0.1:{port}")
    out = tmp_path / "out"
    messages: list[str] = []
    summary = run_demo(settings=settings, out_dir=out, progress=messages.append)

    assert len(summary.labels) >= 12
    assert {label.category for label in summary.labels} >= PLAN_CATEGORIES
    assert messages and any("anchoring" in m for m in messages)
    trust = json.loads((out / "trust.json").read_text("utf-8"))
    assert trust["format"] == "tanji-trust/1"
    assert trust["chains"] == [
        {
            "chainId": summary.chain_id,
            "rpcUrl": f"http://127.0.0.1:{port}/rpc",
            "contracts": [summary.contract],
        }
    ]
    assert trust["issuers"][0]["address"] == summary.issuer
    document = json.loads((out / "summary.json").read_text("utf-8"))
    assert document["format"] == "tanji-demo-summary/1"
    assert [label["label_id"] for label in document["labels"]] == [
        label.label_id for label in summary.labels
    ]
    assert all(label.product_name["zh-Hant"] for label in summary.labels)
    assert document["labels"][0]["product_name"] == summary.labels[0].product_name
    grades = {label.grade for label in summary.labels}
    assert len(grades) >= 4  # the demo shows the scale, not one grade

    for label in summary.labels:
        bundle = json.loads((out / label.bundle_file).read_text("utf-8"))
        assert bundle["format"] == "tanji-bundle/1"
        assert bundle["record"]["id"] == label.label_id
        if label.state != "pending":
            assert bundle["anchor"]["contract"] == summary.contract
        assert label.url.startswith(f"http://127.0.0.1:{port}/")
        if label.qr_file is None or label.artwork_file is None:
            assert label.state != "valid"  # refused only for a label no longer valid
            continue
        png = Image.open(io.BytesIO((out / label.qr_file).read_bytes()))
        assert [r.text for r in zxingcpp.read_barcodes(png)] == [label.url]
        svg = ET.fromstring((out / label.artwork_file).read_bytes())
        assert label.certificate_number in "".join(svg.itertext())

    # The valid labels verify against the chain the service now serves, with the demo's trust
    # file (test_demo_mission checks the revoked, superseded and pending ones).
    assert {label.state for label in summary.labels} == {
        "valid",
        "revoked",
        "superseded",
        "pending",
    }
    bundles = [str(out / label.bundle_file) for label in summary.labels if label.state == "valid"]
    with serving(settings, port) as url:
        assert verify_main([*bundles, "--trust", str(out / "trust.json")], out=io.StringIO()) == 0
        # A label page URL resolves to the same bundle (what a phone's QR scan leads to).
        page_url = summary.labels[0].page_url
        assert page_url.startswith(url)
        assert verify_main([page_url, "--trust", str(out / "trust.json")], out=io.StringIO()) == 0
        # A tampered bundle does not verify.
        tampered = json.loads(Path(bundles[0]).read_text("utf-8"))
        tampered["record"]["footprint"]["kg_co2e_per_unit"] = 1.0
        bad = tmp_path / "tampered.json"
        bad.write_text(json.dumps(tampered), "utf-8")
        assert verify_main([str(bad), "--trust", str(out / "trust.json")], out=io.StringIO()) == 1
        # A computed label recomputes from the inventory written beside its bundle.
        computed = [label for label in summary.labels if label.computed]
        assert len(computed) == len(EXAMPLE_INVENTORIES)
        assert sorted(p.name for p in (out / "inventories").iterdir()) == sorted(
            f"{label.label_id}.json" for label in computed
        )
        first = computed[0]
        assert first.inventory_file == f"inventories/{first.label_id}.json"
        report = io.StringIO()
        args = [str(out / first.bundle_file), "--trust", str(out / "trust.json")]
        args += ["--inventory", str(out / first.inventory_file)]
        for dataset in sorted(STARTER_FACTORS.glob("*.json")):
            args += ["--factors", str(dataset)]
        assert verify_main(args, out=report) == 0, report.getvalue()
        assert "MATCH" in report.getvalue()

    # Running the demo again on the same data dir reuses its labels instead of failing.
    again = run_demo(settings=settings, out_dir=tmp_path / "out2")
    assert [label.label_id for label in again.labels] == [
        label.label_id for label in summary.labels
    ]
