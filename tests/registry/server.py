"""A real ``tanji serve`` process for tests that attack the registry through HTTP.

:func:`serve` starts it on a free loopback port with fast anchoring, waits for ``/healthz`` and
kills it on exit; :func:`create_org` makes an organisation with the CLI and returns its API key.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.nodes import free_port
from tests.registry.factories import ENTERPRISE_PREFIX

WAIT_SECONDS = 120
TANJI = (sys.executable, "-m", "registry.cli")
#: Anchor what arrives at once, in small batches, polling often.
FAST_ANCHORING: Mapping[str, str] = {
    "TANJI_BATCH_MAX_WAIT_SECONDS": "0",
    "TANJI_BATCH_MAX_SIZE": "16",
    "TANJI_POLL_INTERVAL_SECONDS": "0.05",
}


@contextmanager
def serve(
    data_dir: Path,
    log: Path,
    env: Mapping[str, str] | None = None,
    *,
    ready_status: tuple[int, ...] = (200,),
    port: int | None = None,
    args: Sequence[str] = (),
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """Run ``tanji serve`` on ``data_dir`` (output appended to ``log``); yield (process, URL).

    ``port``: a free one unless given; ``args``: more options of ``tanji serve``.
    """
    port = free_port() if port is None else port
    environ = {**os.environ, **FAST_ANCHORING, **(env or {})}
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [*TANJI, "serve", "--port", str(port), "--data-dir", str(data_dir), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=environ,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code in ready_status:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "tanji serve did not come up"
            time.sleep(0.1)
        yield proc, url
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(WAIT_SECONDS)


def create_org(
    data_dir: Path,
    role: str = "enterprise",
    name: str = "E",
    *,
    gs1_prefix: str | None = ENTERPRISE_PREFIX,
) -> str:
    """Create an organisation with ``tanji org create``; return its API key (the last line).

    An enterprise also gets the GS1 company prefix ``gs1_prefix`` confirmed (by default the one
    the factory footprints' GTIN is under; pass ``None`` for a second enterprise in one data
    dir: two organisations never hold overlapping prefixes).
    """
    command = [*TANJI, "org", "create", "--name", name, "--role", role]
    if role == "enterprise" and gs1_prefix is not None:
        command += ["--gs1-prefix", gs1_prefix]
    out = subprocess.run(
        [*command, "--data-dir", str(data_dir)], check=True, capture_output=True, text=True
    )
    return out.stdout.strip().splitlines()[-1]


def wait_anchored(url: str, path: str, headers: Mapping[str, str]) -> dict[str, object]:
    """Poll ``GET path`` until its ``anchor_status`` is ``anchored``; return the body."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        body: dict[str, object] = httpx.get(f"{url}{path}", headers=headers, timeout=10).json()
        if body.get("anchor_status") == "anchored":
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.1)
