"""Headless Chromium as a phone, driven over the DevTools protocol (a real browser, no mocks).

:class:`Phone` starts ``chromium --headless --remote-debugging-port=0``, opens its page target's
WebSocket and sends DevTools commands: the viewport of a phone (412 x 915 CSS px, touch), a
navigation, a wait until the page's in-browser verification is done, ``getBoundingClientRect`` of
elements and a screenshot of the first screen. ``tests/registry/test_pages_chromium.py`` drives
Chromium from its command line; this is for what only a live page can tell: where things are.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any, Final

import httpx
from websockets.sync.client import ClientConnection, connect

from tests.nodes import CHROMIUM_FLAGS, require_tool

WIDTH: Final = 412
HEIGHT: Final = 915
FLAGS: Final = (
    *CHROMIUM_FLAGS,
    "--hide-scrollbars",
    "--remote-debugging-port=0",
    "--remote-allow-origins=*",
)
_LISTENING: Final = re.compile(r"DevTools listening on (ws://[^\s]+)")
START_SECONDS: Final = 60.0


class Phone:
    """One headless Chromium with one tab at a phone's size; use as a context manager."""

    def __init__(self, profile: Path) -> None:
        require_tool("chromium")
        path = shutil.which("chromium")
        assert path is not None
        self.proc = subprocess.Popen(
            [path, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        timer = threading.Timer(START_SECONDS, self.proc.kill)
        timer.start()
        browser_ws = None
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            match = _LISTENING.search(line)
            if match:
                browser_ws = match[1]
                break
        timer.cancel()
        assert browser_ws, "chromium did not start its DevTools endpoint"
        # Keep draining stderr, so a chatty browser never blocks on a full pipe.
        threading.Thread(target=self.proc.stderr.read, daemon=True).start()
        http = "http://" + browser_ws.split("/")[2]
        pages = [
            t for t in httpx.get(f"{http}/json/list", timeout=10).json() if t["type"] == "page"
        ]
        self.ws: ClientConnection = connect(pages[0]["webSocketDebuggerUrl"], max_size=None)
        self._next = 0
        self.send("Page.enable")
        self.send("Runtime.enable")
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=WIDTH,
            height=HEIGHT,
            deviceScaleFactor=1,
            mobile=True,
        )
        self.send("Emulation.setTouchEmulationEnabled", enabled=True)

    def __enter__(self) -> Phone:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection and stop the browser."""
        try:
            self.ws.close()
        finally:
            self.proc.kill()
            self.proc.wait(30)

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one DevTools command and return its result (events on the way are dropped)."""
        self._next += 1
        ident = self._next
        self.ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv(timeout=120))
            if message.get("id") == ident:
                assert "error" not in message, (method, message["error"])
                result: dict[str, Any] = message.get("result", {})
                return result

    def evaluate(self, expression: str) -> Any:
        """The JSON value of a JavaScript expression in the page."""
        reply = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        assert "exceptionDetails" not in reply, reply["exceptionDetails"]
        return reply["result"].get("value")

    def open(self, url: str, *, ready: str = "true", seconds: float = 60.0) -> None:
        """Navigate to ``url`` and wait until the page is loaded and ``ready`` (a JavaScript
        expression) is true."""
        self.send("Page.navigate", url=url)
        deadline = time.monotonic() + seconds
        condition = (
            f"document.readyState === 'complete' && location.href !== 'about:blank' && ({ready})"
        )
        status = "performance.getEntriesByType('navigation')[0]?.responseStatus ?? 0"
        while not self.evaluate(condition):
            # A page that came back as an HTTP error will never become ready: say so at once.
            answered = self.evaluate(f"document.readyState === 'complete' ? ({status}) : 0")
            assert not answered or answered < 400, f"{url} answered HTTP {answered}"
            assert time.monotonic() < deadline, f"{url} did not become ready: {ready}"
            time.sleep(0.2)

    def rect(self, selector: str) -> dict[str, float] | None:
        """``getBoundingClientRect()`` of the first element matching ``selector`` (at the top of
        the page), or None when there is none."""
        expression = (
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " if (!e) return null; const r = e.getBoundingClientRect();"
            " return {top: r.top, bottom: r.bottom, left: r.left, right: r.right,"
            " width: r.width, height: r.height}; })()"
        )
        value: dict[str, float] | None = self.evaluate(expression)
        return value

    def text(self, selector: str) -> str:
        """The rendered text (``innerText``) of the first element matching ``selector``."""
        return str(
            self.evaluate(f"document.querySelector({json.dumps(selector)})?.innerText ?? ''")
        )

    def screenshot(self, path: Path) -> Path:
        """The first screen (412 x 915) as a PNG at ``path``."""
        reply = self.send("Page.captureScreenshot", format="png")
        path.write_bytes(base64.b64decode(reply["data"]))
        return path
