"""The enterprise's main path in Chromium: claim a GS1 prefix (the operator confirms it), make a
product, make an API key; the footprint its machine submits is labelled; the product's page shows
the label with its state, and its QR code downloads (PNG and SVG). Pages pass axe-core and the
keyboard check; screenshots go to test-artifacts/console/enterprise-*.png."""

from __future__ import annotations

import re
import subprocess

import httpx
import pytest
from playwright.sync_api import Page

from tests.registry.console.browser import (
    ConsoleServer,
    axe_check,
    keyboard_check,
    problems,
    screenshot,
    sign_in,
)
from tests.registry.factories import bearer, footprint
from tests.registry.server import TANJI, create_org

pytestmark = pytest.mark.slow


#: A GS1 company prefix no demo organisation holds, and the GTIN-13 body the test numbers.
PREFIX = "694999901"
GTIN_BODY = "694999901001"


def with_check_digit(body: str) -> str:
    """``body`` and its GS1 check digit (weights 3, 1, 3, ... from the right)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


def operator(console: ConsoleServer, *args: str) -> str:
    """The server operator's ``tanji`` on the console's data dir; returns its output."""
    done = subprocess.run(
        [*TANJI, *args, "--data-dir", str(console.data_dir)],
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


def test_enterprise_makes_a_product_sees_its_label_and_downloads_the_qr(
    console: ConsoleServer, page: Page
) -> None:
    owner = sign_in(page, "enterprise_owner")
    gtin = with_check_digit(GTIN_BODY).rjust(14, "0")

    # The prefix: claimed in the console, confirmed by the operator.
    page.goto("/console/products?lang=en")
    axe_check(page, name="enterprise products")
    keyboard_check(page)
    page.fill("#prefix", PREFIX)
    page.press("#prefix", "Enter")
    page.wait_for_url(re.compile(r"/console/products\?lang=en$"))
    assert page.locator("#prefixes li[data-status=claimed]", has_text=PREFIX).count() == 1
    operator(
        console, "org", "prefix", "add", "--org", owner.org_id, "--prefix", PREFIX, "--confirm"
    )

    # The product, by keyboard (Enter in a field sends the form). A wrong check digit first:
    # the page says why, with the code and the field, and marks the field.
    page.reload()
    assert page.locator("#prefixes li[data-status=confirmed]", has_text=PREFIX).count() == 1
    page.fill("#gtin", gtin[:-1] + str((int(gtin[-1]) + 1) % 10))
    page.fill("#name-zh-Hans", "浏览器测试笔记本电脑")
    page.fill("#name-en", "Browser test laptop")
    page.press("#name-en", "Enter")
    page.wait_for_selector("#error")
    assert page.inner_text("#error-code") == "invalid_gtin"
    assert page.get_attribute("#gtin", "aria-invalid") == "true"
    axe_check(page, name="enterprise products with an error")
    screenshot(page, "enterprise-product-error")
    page.fill("#gtin", gtin)
    page.fill("#name-zh-Hans", "浏览器测试笔记本电脑")
    page.fill("#name-en", "Browser test laptop")
    page.select_option("#category", "laptop")
    screenshot(page, "enterprise-product-form")
    page.press("#name-en", "Enter")
    page.wait_for_url(re.compile(r"/console/products/prd-[0-9a-z]+\?lang=en$"))
    product_url = page.url
    assert page.inner_text("#product-name") == "Browser test laptop"
    assert page.inner_text("#product-gtin") == gtin
    assert page.locator("#labels-none").count() == 1

    # A machine of the enterprise submits the footprint with an API key made in the console,
    # and a certification body labels it.
    page.goto("/console/api-keys?lang=en")
    axe_check(page, name="enterprise api keys")
    page.click("#issue-key button[type=submit]")
    api_key = page.locator("#new-key").input_value()
    assert api_key.startswith("tnj_")
    axe_check(page, name="enterprise new api key")
    screenshot(page, "enterprise-api-key-new")
    made = httpx.post(
        f"{console.url}/api/v1/footprints",
        json=footprint(gtin=gtin, product_ids=["urn:tanji:sku:BROWSER-1"]),
        headers=bearer(api_key),
        timeout=30,
    )
    assert made.status_code == 201, made.text
    certifier = create_org(console.data_dir, "certification_body", "Browser test CB")
    issued = httpx.post(
        f"{console.url}/api/v1/labels",
        json={
            "footprint_id": made.json()["id"],
            "valid_from": "2026-01-01",
            "valid_until": "2099-12-31",
        },
        headers=bearer(certifier),
        timeout=30,
    )
    assert issued.status_code == 201, issued.text
    label_id = issued.json()["id"]

    # Its label shows on the product's page with its state and downloads.
    page.goto(product_url)
    label_row = page.locator(f"#product-labels #label-{label_id}")
    assert label_row.get_attribute("data-status") == "active"
    assert label_row.get_attribute("data-anchoring") in ("pending", "batched", "mined", "anchored")
    assert label_row.locator(".label-state").inner_text().strip() == "valid"
    assert page.locator(f"#product-footprints #footprint-{made.json()['id']}").count() == 1
    axe_check(page, name="enterprise product")
    keyboard_check(page)
    screenshot(page, "enterprise-product")

    with page.expect_download() as png_download:
        page.click(f"#qr-png-{label_id}")
    png = png_download.value
    png_path = png.path()
    assert png_path is not None and png_path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert png.suggested_filename == f"{label_id}-qr.png"
    with page.expect_download() as svg_download:
        page.focus(f"#qr-svg-{label_id}")
        page.keyboard.press("Enter")
    svg_path = svg_download.value.path()
    assert svg_path is not None and b"<svg" in svg_path.read_bytes()[:400]

    # The labels list, and the other enterprise pages, in Chinese too.
    for path, name in (
        ("/console/labels?lang=en", "enterprise-labels"),
        ("/console/suppliers?lang=zh-Hans", "enterprise-suppliers"),
        ("/console/sharing?lang=zh-Hant", "enterprise-sharing"),
    ):
        page.goto(path)
        axe_check(page, name=name)
        screenshot(page, name)
        if name == "enterprise-suppliers":  # the demo's label cites its suppliers' attestations
            assert page.locator("section.supply-chain li").count() >= 1
    assert page.locator(f"#label-{label_id}").count() == 0  # the sharing page lists no labels
    page.goto("/console/labels?lang=en")
    assert page.locator(f"#labels #label-{label_id}").count() == 1
    assert not problems(page), problems(page)
