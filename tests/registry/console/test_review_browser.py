"""The certification review in Debian's Chromium: the enterprise puts a footprint in the queue,
then the demo's reviewer works it with the keyboard only (Tab, Enter, typing): sign in, the
queue, claim, comment, file evidence, approve (the label and its grade), revoke with a reason.
Every page passes axe-core and the keyboard check; screenshots in test-artifacts/console/."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

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
from tests.registry.test_reviews import PDF

pytestmark = pytest.mark.slow

#: Tab presses allowed to reach one element (a long review page has a few dozen stops).
MAX_TABS = 120


def tab_to(page: Page, selector: str) -> None:
    """Press Tab until the element ``selector`` has the focus (and shows it)."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate(
            "(s) => document.activeElement !== null && document.activeElement.matches(s)", selector
        ):
            visible = page.evaluate(
                """() => { const s = getComputedStyle(document.activeElement);
                return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0)
                  || (s.boxShadow && s.boxShadow !== 'none'); }"""
            )
            assert visible, f"{selector} has the focus but shows no focus indicator"
            return
    pytest.fail(f"Tab never reached {selector} on {page.url}")


def press_enter_on(page: Page, selector: str) -> None:
    """Tab to ``selector`` and press Enter, waiting for the page it leads to."""
    tab_to(page, selector)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def keyboard_sign_in(page: Page, console: ConsoleServer, role: str) -> None:
    user = console.users[role]
    page.goto("/console/login?lang=en")
    tab_to(page, "#email")
    page.keyboard.type(user.email)
    tab_to(page, "#password")
    page.keyboard.type(user.password)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert re.search(r"/console(\?|$)", page.url), page.url


def enterprise_api_key(page: Page) -> str:
    """An API key of the demo enterprise, made on its console page (shown once)."""
    sign_in(page, "enterprise_owner")
    page.goto("/console/api-keys?lang=en")
    page.click("#issue-key button[type=submit]")
    return page.input_value("#new-key")


def test_reviewer_path_by_keyboard_only(console: ConsoleServer, page: Page, tmp_path: Path) -> None:
    # The enterprise: a new footprint (by its API key), put in the queue from its console page.
    key = enterprise_api_key(page)
    value = 150.0 + secrets.randbelow(500) / 10
    reply = httpx.post(
        f"{console.url}/api/v1/footprints",
        json=footprint(gtin=None, kg_co2e_per_unit=value, fossil_kg_co2e=value - 2.5),
        headers=bearer(key),
        timeout=30,
    )
    assert reply.status_code == 201, reply.text
    footprint_id = reply.json()["id"]
    page.goto("/console/my-reviews?lang=en")
    axe_check(page, name="enterprise: my reviews")
    keyboard_check(page)
    page.check(f"#open-{footprint_id}")
    page.fill("#open-message", "Please review our 2025 laptop footprint.")
    with page.expect_navigation():
        page.click("#open-review button[type=submit]")
    review_path = page.url.split("?")[0]
    review_id = review_path.rsplit("/", 1)[1]
    screenshot(page, "review-enterprise-submitted")
    page.context.clear_cookies()

    # The reviewer, keyboard only.
    keyboard_sign_in(page, console, "reviewer")
    press_enter_on(page, 'a[href^="/console/reviews?"]')
    assert "/console/reviews" in page.url
    axe_check(page, name="review queue")
    keyboard_check(page)
    screenshot(page, "review-queue")
    press_enter_on(page, f'a[href^="/console/reviews/{review_id}?"]')
    screenshot(page, "review-detail-submitted")
    press_enter_on(page, "#claim button")
    assert page.locator("#approve").count() == 1
    keyboard_check(page)  # every action form of a review in review, from the top
    grade = page.inner_text("#grade")
    assert "grade" in grade

    tab_to(page, "#text")
    page.keyboard.type("The assembly electricity uses the 2023 Chongqing grid factor: fine.")
    press_enter_on(page, "#comment button")
    assert "2023 Chongqing grid factor" in page.inner_text("#events")

    evidence = tmp_path / "site-visit.pdf"
    evidence.write_bytes(PDF)
    tab_to(page, "#file")
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")  # the file dialog itself is the system's
    chooser.value.set_files(str(evidence))
    press_enter_on(page, "#upload button")
    assert "site-visit.pdf" in page.inner_text("#evidence-list")

    axe_check(page, name="review in review")
    screenshot(page, "review-detail-in-review")
    # After an action the page comes back at the section acted in (#evidence): Tab goes on from
    # there, and wraps round to the actions at the top.
    press_enter_on(page, "#approve button")
    label_text = page.inner_text("#label")
    assert "Certificate CQ-CFL-" in label_text and "anchors the SHA-256" in label_text
    assert page.get_attribute("#label-status", "data-status") == "active"
    axe_check(page, name="review approved")
    screenshot(page, "review-approved")

    tab_to(page, "#reason_code")  # a select keeps its first reason
    tab_to(page, "#note")
    page.keyboard.type("The site visit found estimated meter readings.")
    press_enter_on(page, "#revoke button")
    assert page.get_attribute("#label-status", "data-status") == "revoked"
    screenshot(page, "review-revoked")
    assert problems(page) == []
    # Every link, button and field of the page is reached by Tab from the top, focus shown.
    page.goto(f"{review_path}?lang=en")
    keyboard_check(page)
