"""The console in a real browser: a seeded ``tanji serve``, Chromium, sign-in, axe, screenshots.

Usage (the fixtures live in ``tests/registry/console/conftest.py``; put browser tests in
``tests/registry/console/`` so they get them)::

    import pytest
    from playwright.sync_api import Page

    from tests.registry.console.browser import ConsoleServer, axe_check, screenshot, sign_in

    pytestmark = pytest.mark.slow


    def test_review_queue(console: ConsoleServer, page: Page) -> None:
        sign_in(page, "reviewer")              # a demo person: see ROLES
        page.goto("/console/reviews")          # relative to the server (the page's base URL)
        page.keyboard.press("Tab")             # keyboard only: Tab, Enter, Space
        axe_check(page)                        # fails on a serious or critical violation
        screenshot(page, "reviewer-queue")     # test-artifacts/console/reviewer-queue.png

- ``console`` (session-scoped): ONE ``tanji serve`` on 127.0.0.1 over a data dir seeded by
  ``tanji demo`` (embedded chain, fast anchoring), shared by every browser test of the session.
  ``console.url``, ``console.data_dir``, ``console.out_dir`` (the demo's output:
  ``summary.json`` labels, bundles, proofs), ``console.summary`` (``summary.json`` parsed),
  ``console.users`` (key -> :class:`registry.demo_users.DemoUser`: email, password, role,
  org_id, org_name; from the demo's ``console-users.txt``).
  For API calls use httpx on ``console.url``. Tests share the data: make new records rather
  than change the demo's, or assert loosely.
- ``page`` (per test): a fresh browser context (no cookies) whose base URL is the server, so
  ``page.goto("/console")`` works. Console errors and page errors (a CSP refusal of an inline
  script, an exception) are collected: :func:`problems` lists them.
- :func:`sign_in` signs in through the sign-in form as one of :data:`ROLES` (the demo's people,
  :data:`registry.demo_users.PEOPLE`) and waits for ``/console``.

The session cookie is ``__Host-`` and ``Secure``: Chromium treats ``http://127.0.0.1`` as a
secure context and keeps such cookies there (as it does for a newcomer at
``http://127.0.0.1:8000/console``), so the server runs plain HTTP on loopback, no TLS needed.

axe-core is read from ``node_modules/axe-core/axe.min.js`` (npm devDependency, pinned) and run
in the page through the DevTools protocol, which the page's CSP does not block, so the page's
own CSP stays in force (no ``bypass_csp``). Chromium is Debian's ``/usr/bin/chromium``; a
missing browser or axe skips the test, and fails it under CI=true.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

import pytest

from registry.demo_users import PEOPLE, USERS_FILE, DemoUser, read_users_file
from tests.nodes import ROOT, free_port, require_tool
from tests.registry.server import TANJI, serve

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

__all__ = [
    "ARTIFACTS",
    "ROLES",
    "ConsoleServer",
    "axe_check",
    "console_server",
    "keyboard_check",
    "launch_chromium",
    "problems",
    "screenshot",
    "sign_in",
    "track_problems",
]

#: Where screenshots go (gitignored with the rest of test-artifacts/).
ARTIFACTS: Final = ROOT / "test-artifacts" / "console"
#: Debian's Chromium, and the flags it needs here (root: no sandbox; no GPU).
CHROMIUM: Final = "/usr/bin/chromium"
CHROMIUM_ARGS: Final = ("--no-sandbox", "--disable-gpu")
#: The axe-core build injected into pages (npm devDependency ``axe-core``).
AXE_SOURCE: Final = ROOT / "node_modules" / "axe-core" / "axe.min.js"
#: axe impacts that fail a page.
FAILING_IMPACTS: Final = frozenset({"serious", "critical"})
#: The demo's people, by key: ``enterprise_owner``, ``reviewer``, ``city_admin``, ...
ROLES: Final = tuple(person.key for person in PEOPLE)
#: Every browser test of the session signs in from 127.0.0.1, and some fail on purpose (a wrong
#: password, a bad API key): a deep bucket of failed attempts so that these never lock the
#: others out (the limit itself is tested in tests/registry/test_console_auth.py).
CONSOLE_ENV: Final = {"TANJI_AUTH_FAILURE_BURST": "1000"}
#: Seconds for the demo to seed (about 10 s on an idle machine).
SEED_SECONDS: Final = 600


@dataclass
class ConsoleServer:
    """A running ``tanji serve`` over a data dir the demo seeded."""

    url: str
    data_dir: Path
    out_dir: Path
    users: dict[str, DemoUser]
    summary: dict[str, Any]
    #: How long ``tanji demo`` took, in seconds (for the report; never asserted).
    seed_seconds: float = 0.0
    #: What ``tanji demo`` printed (its standard output).
    seed_output: str = ""
    log: Path = field(default_factory=Path)


_current: ConsoleServer | None = None


def _skip_or_fail(message: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(message + " and CI must have it")
    pytest.skip(message)


def require_browser() -> None:
    """Skip (in CI: fail) without Debian's Chromium or axe-core from npm."""
    require_tool("chromium")
    if not Path(CHROMIUM).exists():
        _skip_or_fail(f"{CHROMIUM} (Debian's chromium package) is needed for this test")
    if not AXE_SOURCE.exists():
        _skip_or_fail(f"axe-core (`npm ci` in {ROOT}) is needed for this test")


def seed_demo(data_dir: Path, out_dir: Path, base_url: str) -> subprocess.CompletedProcess[str]:
    """Run ``tanji demo`` (the real CLI) into ``data_dir`` and ``out_dir``."""
    command = [*TANJI, "demo", "--data-dir", str(data_dir), "--out", str(out_dir)]
    result = subprocess.run(
        [*command, "--base-url", base_url],
        capture_output=True,
        text=True,
        timeout=SEED_SECONDS,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


@contextmanager
def console_server(root: Path) -> Iterator[ConsoleServer]:
    """Seed a data dir under ``root`` with ``tanji demo`` and serve it; yield the server."""
    global _current
    data_dir, out_dir, log = root / "data", root / "demo-out", root / "serve.log"
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    seeded_by = seed_demo(data_dir, out_dir, base_url)
    seeded = time.monotonic() - started
    users = read_users_file(out_dir / USERS_FILE)
    summary = json.loads((out_dir / "summary.json").read_text(encoding="utf-8"))
    with serve(data_dir, log, CONSOLE_ENV, port=port, args=("--base-url", base_url)) as (_, url):
        server = ConsoleServer(
            url, data_dir, out_dir, users, summary, seeded, seeded_by.stdout, log
        )
        previous, _current = _current, server
        try:
            yield server
        finally:
            _current = previous


def launch_chromium(playwright: Any) -> Browser:
    """Debian's Chromium, headless, through Playwright."""
    browser: Browser = playwright.chromium.launch(
        executable_path=CHROMIUM, args=list(CHROMIUM_ARGS)
    )
    return browser


def track_problems(page: Page) -> None:
    """Collect the page's console errors and uncaught exceptions (see :func:`problems`)."""
    found: list[str] = []

    def console_message(message: Any) -> None:
        # A resource that failed is reported by `response` below, with its URL.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            found.append(f"console {message.type}: {message.text}")

    def response(reply: Any) -> None:
        # A page's own status (401 for a wrong password, 422 for a bad form) is its answer;
        # a script, style or image it needs that fails is a problem. The browser asks for
        # /favicon.ico on its own (the pages link none).
        kind = reply.request.resource_type
        if reply.status >= 400 and kind != "document" and not reply.url.endswith("/favicon.ico"):
            found.append(f"{kind} {reply.url}: HTTP {reply.status}")

    page.on("console", console_message)
    page.on("response", response)
    page.on("requestfailed", lambda request: found.append(f"failed: {request.url}"))
    page.on("pageerror", lambda error: found.append(f"page error: {error}"))
    page._tanji_problems = found  # type: ignore[attr-defined]


def problems(page: Page) -> list[str]:
    """Console errors (a CSP refusal, a failed script) and exceptions the page had so far."""
    return list(getattr(page, "_tanji_problems", []))


def sign_in(page: Page, role: str, *, lang: str = "en") -> DemoUser:
    """Sign in through the form as the demo's ``role`` person (one of :data:`ROLES`); waits
    until the console's home page shows. Returns the person (email, password, org_id, ...)."""
    if _current is None:
        raise RuntimeError("sign_in needs the `console` fixture (tests/registry/console)")
    if role not in _current.users:
        raise KeyError(f"no demo person {role!r}; the demo has {sorted(_current.users)}")
    user = _current.users[role]
    page.goto(f"{_current.url}/console/login?lang={lang}")
    page.fill("#email", user.email)
    page.fill("#password", user.password)
    with page.expect_navigation():
        page.click("#login button[type=submit]")
    if urlsplit(page.url).path != "/console":
        error = page.locator("#error")
        text = error.inner_text() if error.count() else page.url
        pytest.fail(f"{role} ({user.email}) could not sign in: {text}", pytrace=False)
    return user


def _axe_source() -> str:
    return AXE_SOURCE.read_text(encoding="utf-8")


def axe_check(page: Page, *, name: str | None = None) -> list[dict[str, Any]]:
    """Run axe-core on the page as it is; fail on any serious or critical violation (printing
    each rule id, impact, target and help). Returns every violation (minor ones included)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(f"() => {{ {_axe_source()}\n; window.axe = axe; }}")
    violations: list[dict[str, Any]] = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    failing = [v for v in violations if v.get("impact") in FAILING_IMPACTS]
    for violation in violations:  # the rest, for whoever reads the output (pytest -s)
        if violation not in failing:
            print(f"axe {violation['impact']}: {violation['id']} on {name or page.url}")
    if failing:
        lines = [f"axe: {len(failing)} serious or critical violations on {name or page.url}"]
        for violation in failing:
            targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]]
            lines.append(
                f"- {violation['id']} ({violation['impact']}): {violation['help']}"
                f" [{violation['helpUrl']}] at {'; '.join(targets[:5])}"
            )
        pytest.fail("\n".join(lines), pytrace=False)
    return violations


#: Marks every element a keyboard user must reach by Tab (visible, enabled, not tabindex=-1);
#: one radio button per group (Tab reaches a group once). Returns their descriptions.
_MARK_TABBABLE: Final = """() => {
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary,'
    + ' [tabindex], [contenteditable=""], [contenteditable=true]';
  const found = [];
  const radios = new Set();
  for (const el of document.querySelectorAll(selector)) {
    if (el.disabled || el.closest('[inert]') || el.getAttribute('tabindex') === '-1') continue;
    if (el.tagName === 'SUMMARY' && el.parentElement.tagName !== 'DETAILS') continue;
    if (!el.getClientRects().length || getComputedStyle(el).visibility === 'hidden') continue;
    if (el.type === 'radio') { if (radios.has(el.name)) continue; radios.add(el.name); }
    el.dataset.tanjiKeyboard = String(found.length);
    found.push({id: found.length, tag: el.tagName.toLowerCase(), name: el.name || '',
                text: (el.innerText || el.value || el.getAttribute('aria-label') || '')
                  .trim().slice(0, 40),
                href: el.getAttribute('href') || '', tabindex: el.getAttribute('tabindex'),
                radio: el.type === 'radio' ? el.name : null});
  }
  return found;
}"""
#: The focused element's mark (or its radio group's) and whether a focus indicator shows.
_FOCUSED: Final = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  const ring = style.boxShadow && style.boxShadow !== 'none';
  let mark = el.dataset.tanjiKeyboard;
  if (mark === undefined && el.type === 'radio') {
    const group = `input[type=radio][name="${CSS.escape(el.name)}"]`;
    const first = document.querySelector(group + '[data-tanji-keyboard]');
    mark = first ? first.dataset.tanjiKeyboard : undefined;
  }
  return {mark: mark === undefined ? null : Number(mark), visible: outline || ring,
          tag: el.tagName.toLowerCase(), text: (el.innerText || el.name || '').trim().slice(0, 40)};
}"""


def keyboard_check(page: Page, *, max_tabs: int = 300) -> list[dict[str, Any]]:
    """Tab through the page from its top like a keyboard user and fail unless every link,
    button and field is reached, none has a positive ``tabindex`` (it would jump the order)
    and each shows a focus indicator when focused. Returns the tabbable elements, in order."""
    tabbable: list[dict[str, Any]] = page.evaluate(_MARK_TABBABLE)
    wrong = [
        f"{el['tag']} {el['text']!r} has tabindex={el['tabindex']}"
        for el in tabbable
        if el["tabindex"] not in (None, "") and int(el["tabindex"]) > 0
    ]
    page.evaluate("() => { document.activeElement?.blur(); window.scrollTo(0, 0); }")
    reached: set[int] = set()
    order: list[str] = []
    last: int | None = None
    for _ in range(min(max_tabs, 4 * len(tabbable) + 8)):
        page.keyboard.press("Tab")
        focused = page.evaluate(_FOCUSED)
        if focused is None:
            if reached:
                break  # past the last element: focus left the page
            continue
        mark = focused["mark"]
        if mark is not None and mark == last:
            continue  # a date or time field: Tab steps through its parts
        order.append(f"{focused['tag']} {focused['text']!r}")
        last = mark
        if mark is None:
            continue  # focusable, though not a control the check looks for
        if mark in reached:
            break  # round again
        reached.add(mark)
        if not focused["visible"]:
            wrong.append(f"{focused['tag']} {focused['text']!r} shows no focus indicator")
    missed = [el for el in tabbable if el["id"] not in reached]
    wrong += [f"Tab never reaches {el['tag']} {el['text'] or el['href']!r}" for el in missed]
    page.evaluate(
        "() => document.querySelectorAll('[data-tanji-keyboard]')"
        ".forEach(el => delete el.dataset.tanjiKeyboard)"
    )
    if wrong:
        wrong.append("Tab went: " + " > ".join(order))
        pytest.fail(f"keyboard on {page.url}:\n- " + "\n- ".join(wrong), pytrace=False)
    return tabbable


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot as ``test-artifacts/console/<name>.png``; return its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "page"
    path = ARTIFACTS / f"{safe}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
