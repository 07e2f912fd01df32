"""Every console page passes axe-core (no serious or critical violation) and works by keyboard.

Each demo person signs in and follows the console's navigation (``#console-nav``) and each page's
own links within ``/console`` (a bounded crawl, so pages added to the console are checked as they
appear); every HTML page is checked with axe-core and by Tab (:func:`keyboard_check`) and
screenshotted (``test-artifacts/console/a11y-<role>-<page>.png``). The pages before a session
(sign-in, with and without an error; a setup link) and the TOTP page are checked too, in each
language.
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from playwright.sync_api import Page

from registry.i18n import LANGUAGES
from tests.registry.console.browser import (
    ROLES,
    ConsoleServer,
    axe_check,
    keyboard_check,
    problems,
    screenshot,
    sign_in,
)
from tests.registry.server import TANJI

pytestmark = pytest.mark.slow

#: At most this many pages per person, and this many of one shape (``/console/reviews/*``).
MAX_PAGES = 40
MAX_PER_SHAPE = 2
#: Links a crawl never follows: signing out (a form anyway) and files to download.
SKIP = re.compile(r"^/console/(logout)(/|$)|\.(csv|png|svg|pdf|json|zip)$")


def _shape(path: str) -> str:
    """The path with its record ids as ``*`` (segments holding a digit)."""
    return "/".join("*" if re.search(r"\d", part) else part for part in path.split("/"))


def _key(url: str) -> str | None:
    """The page's path and query without ``lang`` (the crawl's identity of a page), or
    ``None`` for a link the crawl does not follow."""
    parts = urlsplit(url)
    if not parts.path.startswith("/console") or SKIP.search(parts.path):
        return None
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query) if k != "lang"))
    return parts.path + (f"?{query}" if query else "")


def _links(page: Page, origin: str) -> list[str]:
    hrefs: list[str] = page.eval_on_selector_all(
        "#console-nav a[href], main a[href]:not([download])", "els => els.map(e => e.href)"
    )
    return [h.split("#")[0] for h in hrefs if h.startswith(origin)]


def _check(page: Page, name: str) -> None:
    screenshot(page, f"a11y-{name}")
    axe_check(page, name=name)
    keyboard_check(page)
    assert not problems(page), problems(page)


@pytest.mark.parametrize("role", ROLES)
def test_every_console_page_a_person_reaches_passes_axe_and_keyboard(
    console: ConsoleServer, page: Page, role: str
) -> None:
    sign_in(page, role)
    queue = [f"{console.url}/console?lang=en"]
    seen: set[str] = set()
    shapes: Counter[str] = Counter()
    checked: list[str] = []
    while queue and len(checked) < MAX_PAGES:
        url = queue.pop(0)
        key = _key(url)
        if key is None or key in seen or shapes[_shape(key)] >= MAX_PER_SHAPE:
            continue
        seen.add(key)
        shapes[_shape(key)] += 1
        response = page.goto(url)
        assert response is not None
        assert response.status < 400, f"{url}: HTTP {response.status}"
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        assert urlsplit(page.url).path != "/console/login", f"{url} signed {role} out"
        _check(page, f"{role}-{key}")
        checked.append(key)
        queue += _links(page, console.url)
    assert "/console" in checked
    print(f"{role}: {len(checked)} pages: {' '.join(checked)}")


@pytest.mark.parametrize("role", ["enterprise_owner", "reviewer", "partner_hk", "city_admin"])
def test_console_pages_in_each_language_pass_axe(
    console: ConsoleServer, page: Page, role: str
) -> None:
    """The navigation's pages in every language (lang attributes, text in other scripts)."""
    sign_in(page, role)
    paths = page.eval_on_selector_all(
        "#console-nav a[href]", "els => els.map(e => new URL(e.href).pathname)"
    )
    for lang in LANGUAGES:
        for path in paths:
            response = page.goto(f"{path}?lang={lang}")
            assert response is not None and response.status < 400, f"{path}: {response}"
            assert page.get_attribute("html", "lang") == lang
            axe_check(page, name=f"{role}-{path}-{lang}")
    screenshot(page, f"a11y-{role}-last-{LANGUAGES[-1]}")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_sign_in_pages_pass_axe_and_keyboard(console: ConsoleServer, page: Page, lang: str) -> None:
    page.goto(f"/console/login?lang={lang}")
    _check(page, f"login-{lang}")
    page.fill("#email", "nobody@demo.tanji.example")
    page.fill("#password", "not the password")
    page.click("#login button[type=submit]")
    page.wait_for_selector("#error")
    _check(page, f"login-error-{lang}")
    page.goto(f"/console/setup/no-such-link?lang={lang}")
    _check(page, f"setup-invalid-{lang}")


def test_setup_and_totp_pages_pass_axe_and_keyboard(console: ConsoleServer, page: Page) -> None:
    org_id = console.users["viewer"].org_id
    command = [*TANJI, "user", "create", "--org", org_id, "--role", "viewer"]
    created = subprocess.run(
        [*command, "--email", "a11y-setup@demo.tanji.example", "--data-dir", str(console.data_dir)],
        check=True,
        capture_output=True,
        text=True,
    )
    link = re.search(r"/console/setup/\S+", created.stdout)
    assert link is not None, created.stdout
    page.goto(f"{link.group(0)}?lang=en")
    page.wait_for_selector("#setup")
    _check(page, "setup-en")
    page.fill("#password", "short")
    page.fill("#password_again", "different")
    page.eval_on_selector("#setup", "form => form.noValidate = true")
    page.click("#setup button[type=submit]")
    page.wait_for_selector("#error")
    _check(page, "setup-error-en")
    sign_in(page, "viewer")
    for lang in LANGUAGES:
        page.goto(f"/console/totp?lang={lang}")
        _check(page, f"totp-{lang}")


def _tab_to(page: Page, selector: str, limit: int = 30) -> None:
    """Press Tab until ``selector`` has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement?.matches(s) ?? false", selector):
            return
    raise AssertionError(f"Tab never reached {selector} on {page.url}")


def test_sign_in_and_out_with_the_keyboard_alone(console: ConsoleServer, page: Page) -> None:
    user = console.users["viewer"]
    page.goto("/console/login?lang=en")
    _tab_to(page, "#email")
    page.keyboard.type(user.email)
    page.keyboard.press("Tab")
    page.keyboard.type(user.password)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert urlsplit(page.url).path == "/console"
    _tab_to(page, "#logout button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert urlsplit(page.url).path == "/console/login"
    assert page.goto("/console") is not None
    assert urlsplit(page.url).path == "/console/login"  # signed out: back to the form


def test_the_checks_catch_what_they_look_for(console: ConsoleServer, page: Page) -> None:
    """axe_check and keyboard_check fail a page with an unlabelled field and a tab order jump."""
    page.goto("/console/login?lang=en")  # the server's origin, then a page of our own
    page.set_content(
        "<html><body><main><input id='x'><a href='/a' tabindex='2'>a</a>"
        "<button style='outline:none'>b</button></main></body></html>"
    )
    with pytest.raises(pytest.fail.Exception, match=r"label \(critical\)"):
        axe_check(page)
    with pytest.raises(pytest.fail.Exception, match="tabindex=2"):
        keyboard_check(page)
