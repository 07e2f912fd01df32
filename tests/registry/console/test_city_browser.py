"""The city administrator's main path in Chromium, on the demo's ``tanji serve``: confirm a GS1
prefix an enterprise claimed (by keyboard), open the charts, download a chart's CSV and find the
table's numbers in it, look at anchoring health; axe-core on each page, screenshots to
``test-artifacts/console/city-*.png``.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess

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
from tests.registry.server import TANJI

pytestmark = pytest.mark.slow

PREFIX = "6909871"


def test_the_city_confirms_a_prefix_reads_the_charts_and_downloads_a_csv(
    console: ConsoleServer, page: Page
) -> None:
    enterprise = console.users["enterprise_owner"].org_id
    subprocess.run(
        [
            *TANJI,
            "org",
            "prefix",
            "add",
            "--org",
            enterprise,
            "--prefix",
            PREFIX,
            "--evidence",
            "GS1 China member certificate",
            "--data-dir",
            str(console.data_dir),
        ],
        check=True,
        capture_output=True,
    )
    sign_in(page, "city_admin")
    page.click("#console-nav >> text=GS1 prefixes")
    page.wait_for_url(re.compile(r"/console/city/prefixes"))
    row = page.locator(f"#prefix-{enterprise}-{PREFIX}")
    assert "GS1 China member certificate" in row.inner_text()
    axe_check(page, name="city prefixes")
    keyboard_check(page)
    screenshot(page, "city-prefixes")

    # Keyboard only: focus the row's Confirm button and press Enter.
    page.focus(f"#confirm-{enterprise}-{PREFIX}")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"done=prefix_confirmed"))
    assert page.locator("#notice").inner_text() == "The prefix is confirmed."
    page.goto("/console/city/prefixes?lang=en&status=confirmed")
    assert "Confirmed" in page.locator(f"#prefix-{enterprise}-{PREFIX} .prefix-status").inner_text()

    # The charts: labels by district (the demo's enterprises are placed by their names).
    page.click("#console-nav >> text=Statistics")
    page.wait_for_url(re.compile(r"/console/city/stats"))
    page.click("#chart-presets >> text=Labels issued by district")
    page.wait_for_url(re.compile(r"by=district"))
    chart = page.locator("#chart svg[role=img]")
    assert chart.count() == 1
    assert "Labels issued by district" in (page.locator("#chart-title").text_content() or "")
    total = int(page.locator("#grand-total").inner_text())
    assert total > 0  # the demo issued labels this month
    headers = page.locator("#chart-table thead th").all_inner_texts()
    assert "Bishan District" in headers
    axe_check(page, name="city stats")
    keyboard_check(page)
    screenshot(page, "city-stats-district")

    # The CSV holds the table's numbers.
    with page.expect_download() as download:
        page.click("#csv-link")
    path = download.value.path()
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert rows[0][0] == "month" and "bishan" in rows[0]
    assert rows[-1][0] == "total" and int(rows[-1][-1]) == total
    body_rows = page.locator("#chart-table tbody tr").all()
    table = [[c.strip() for c in r.locator("th, td").all_inner_texts()] for r in body_rows]
    assert [r[1:] for r in rows[1:-1]] == [r[1:] for r in table]

    # Grades, in Traditional Chinese.
    page.goto("/console/city/stats?lang=zh-Hant&measure=labels&by=grade")
    assert page.locator("html").get_attribute("lang") == "zh-Hant"
    assert page.locator("#chart-table").count() == 1
    axe_check(page, name="city stats grades zh-Hant")
    screenshot(page, "city-stats-grade-zh-Hant")

    # Anchoring health.
    page.goto("/console/city/health?lang=en")
    assert page.locator("#health-status").inner_text() in {"OK", "Degraded"}
    assert page.locator("#pending").inner_text().isdigit()
    axe_check(page, name="city health")
    screenshot(page, "city-health")

    # Districts: the demo's enterprises are placed by their names.
    page.click("#console-nav >> text=Districts")
    page.wait_for_url(re.compile(r"/console/city/districts"))
    assert page.locator("#org-districts tbody tr").count() >= 10
    axe_check(page, name="city districts")
    screenshot(page, "city-districts")

    # Publishers: the demo's publisher is listed.
    page.goto("/console/city/publishers?lang=en")
    assert page.locator("#publishers tbody tr").count() >= 1
    axe_check(page, name="city publishers")
    screenshot(page, "city-publishers")
    assert problems(page) == []
