"""Fixtures of the console's browser tests (usage: ``tests/registry/console/browser.py``).

``console``: one demo-seeded ``tanji serve`` for the whole session; ``chromium``: one browser
per test module; ``page``: a fresh context (no cookies) and page per test, its base URL the
server's.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.registry.console.browser import (
    ConsoleServer,
    console_server,
    launch_chromium,
    require_browser,
    track_problems,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page


@pytest.fixture(scope="session")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleServer]:
    """``tanji serve`` over a data dir seeded by ``tanji demo``, shared by the session."""
    require_browser()
    with console_server(tmp_path_factory.mktemp("console")) as server:
        yield server


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """Debian's Chromium through Playwright, shared by a test module. Not by the session:
    Playwright's sync API keeps an event loop running while it is open, and every async test
    after it in the session would fail (``Runner.run() cannot be called from a running event
    loop``)."""
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(console: ConsoleServer, chromium: Browser) -> Iterator[Page]:
    """A page in a fresh context (no cookies) whose base URL is the console server."""
    context = chromium.new_context(base_url=console.url, viewport={"width": 1280, "height": 900})
    try:
        browser_page = context.new_page()
        track_problems(browser_page)
        yield browser_page
    finally:
        context.close()
