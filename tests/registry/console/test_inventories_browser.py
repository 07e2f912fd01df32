"""The enterprise's inventory path in Chromium against a real, demo-seeded ``tanji serve``:
upload an inventory file, change a line with the keyboard, calculate, submit it as a footprint.
Each page passes axe-core; screenshots go to ``test-artifacts/console/inventories-*.png``."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.registry.calculations_data import example
from tests.registry.console.browser import (
    ConsoleServer,
    axe_check,
    keyboard_check,
    problems,
    screenshot,
    sign_in,
)

pytestmark = pytest.mark.slow

GRINDING = "grinding-electricity"


def test_upload_edit_calculate_and_submit_in_the_browser(
    console: ConsoleServer, page: Page, tmp_path: Path
) -> None:
    sign_in(page, "enterprise_editor")
    page.goto("/console/inventories?lang=en")
    expect(page.locator("h1")).to_have_text("Inventories")
    axe_check(page, name="inventories list")
    keyboard_check(page)
    screenshot(page, "inventories-list")

    # Upload: a file of the example cement inventory (an id of its own: the demo data is shared).
    document = example("cement.json")
    document["id"] = f"inv-browser-{secrets.token_hex(4)}"
    path = tmp_path / "cement.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    page.set_input_files("#inventory-file", str(path))
    page.click("#upload-button")
    page.wait_for_url("**/console/inventories/draft-*")
    expect(page.locator("#inventory-id")).to_have_text(document["id"])
    axe_check(page, name="inventory draft")
    keyboard_check(page)
    screenshot(page, "inventories-draft")

    # Edit one line with the keyboard alone: its Edit link, the amount, Enter.
    page.focus(f"#edit-{GRINDING}")
    page.keyboard.press("Enter")
    expect(page.locator("#editor-heading")).to_have_text(f"Change line {GRINDING}")
    assert "edit=" not in page.url  # htmx swapped the editor in place (a link without script)
    amount = page.locator("#line-amount")
    expect(amount).to_have_value("38")
    amount.focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("41.5")
    page.keyboard.press("Enter")
    expect(page.locator(f"#line-{GRINDING} td.num")).to_have_text("41.5")
    expect(page.locator("#revision")).to_have_text("2")

    # Calculate: the result per declared unit, the interval, the charts, the factor versions.
    page.focus("#calculate-button")
    page.keyboard.press("Enter")
    expect(page.locator("#per-unit")).to_be_visible()
    expect(page.locator("#interval")).to_contain_text("kg CO2e")
    expect(page.locator("#stage-chart rect").first).to_be_attached()
    expect(page.locator("#factor-versions li")).to_have_count(len(document["factorDatasets"]))
    axe_check(page, name="inventory result")
    screenshot(page, "inventories-result")

    # Submit as a footprint.
    page.fill("#period-start", "2025-01-01")
    page.fill("#period-end", "2025-12-31")
    page.fill("#subdivision", "CN-CQ")
    page.click("#submit-button")
    page.wait_for_url("**submitted=fp-*")
    expect(page.locator("#submitted")).to_contain_text("Submitted as footprint fp-")
    footprint_id = page.url.split("submitted=", 1)[1]
    expect(page.locator("#footprint-id")).to_have_text(footprint_id)
    axe_check(page, name="inventory submitted")
    screenshot(page, "inventories-submitted")
    # The footprint is one the enterprise can now put in a certification body's review queue.
    page.click("#to-review")
    expect(page.locator(f"#open-{footprint_id}")).to_be_attached()
    assert problems(page) == []


def test_a_refused_upload_shows_each_fault_beside_its_line(
    console: ConsoleServer, page: Page, tmp_path: Path
) -> None:
    sign_in(page, "enterprise_editor", lang="zh-Hans")
    page.goto("/console/inventories?lang=zh-Hans")
    document = example("cement.json")
    document["lines"][2]["unit"] = "furlong"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    page.set_input_files("#inventory-file", str(path))
    page.click("#upload-button")
    expect(page.locator("#upload-error")).to_be_visible()
    expect(page.locator("#upload-line-2")).to_contain_text("bad_unit")
    expect(page.locator("#upload-line-2")).to_contain_text("inventory.lines[2].unit")
    axe_check(page, name="refused upload")
    screenshot(page, "inventories-upload-refused")
