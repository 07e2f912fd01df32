"""The first hour, through real processes: `tanji serve --detach` returns once the server
answers; the label page's "check it yourself" command runs as printed (its trust file is the
deployment's `/.well-known/tanji-trust.json`) and says OK; `tanji verify` waits briefly for a
server on this machine that is still starting, and not for one elsewhere."""

from __future__ import annotations

import html
import os
import re
import shlex
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from registry.i18n import messages
from registry.publication import TRUST_PATH
from tests.nodes import free_port
from tests.registry.factories import bearer, footprint
from tests.registry.server import FAST_ANCHORING, TANJI, WAIT_SECONDS, create_org
from verifier._internal.local_node import Patience, is_loopback_url

pytestmark = pytest.mark.slow

_COMMAND = re.compile(r'<p class="mono">(tanji verify [^<]+)</p>')


def _env() -> dict[str, str]:
    return {**os.environ, **FAST_ANCHORING}


def _stop(data: Path) -> None:
    """Stop the detached server whose pid file is in ``data`` and wait for it to go."""
    pid = int((data / "serve.pid").read_text())
    (data / "serve.pid").unlink()
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        assert time.monotonic() < deadline, "tanji serve did not stop"
        time.sleep(0.1)


def _issue_anchored_label(url: str, enterprise: str, certifier: str) -> str:
    reply = httpx.post(
        f"{url}/api/v1/footprints", json=footprint(), headers=bearer(enterprise), timeout=30
    )
    assert reply.status_code == 201, reply.text
    body = {"footprint_id": reply.json()["id"], "valid_from": "2026-01-01"}
    body["valid_until"] = "2099-12-31"
    reply = httpx.post(f"{url}/api/v1/labels", json=body, headers=bearer(certifier), timeout=30)
    assert reply.status_code == 201, reply.text
    label_id: str = reply.json()["id"]
    deadline = time.monotonic() + WAIT_SECONDS
    while httpx.get(f"{url}/api/v1/labels/{label_id}", timeout=10).json()["anchor_status"] != (
        "anchored"
    ):
        assert time.monotonic() < deadline, "the label was not anchored"
        time.sleep(0.1)
    return label_id


def _run(command: str) -> subprocess.CompletedProcess[str]:
    """Run a printed ``tanji ...`` command line as it reads (``tanji`` is this checkout's)."""
    argv = shlex.split(command)
    assert argv[0] == "tanji"
    return subprocess.run(
        [*TANJI, *argv[1:]], capture_output=True, text=True, env=_env(), timeout=WAIT_SECONDS
    )


def test_detached_server_and_the_label_pages_command(tmp_path: Path) -> None:
    data, port = tmp_path / "data", free_port()
    enterprise = create_org(data)
    certifier = create_org(data, role="certification_body", name="CQ certifier")
    started = _run(f"tanji serve --detach --port {port} --data-dir {data}")
    assert started.returncode == 0, started.stderr
    url = f"http://127.0.0.1:{port}"
    try:
        # Control came back once it answers: no waiting here.
        assert httpx.get(f"{url}/healthz", timeout=10).status_code == 200
        assert f"ready on {url}" in started.stdout
        again = _run(f"tanji serve --detach --port {port} --data-dir {tmp_path / 'other'}")
        assert again.returncode == 1 and "port_in_use" in again.stderr

        trust = httpx.get(f"{url}{TRUST_PATH}", timeout=10).json()
        assert trust["format"] == "tanji-trust/1"
        assert trust["chains"][0]["rpcUrl"] == f"{url}/rpc"

        label_id = _issue_anchored_label(url, enterprise, certifier)
        for lang in ("en", "zh-Hans", "zh-Hant"):
            page = httpx.get(f"{url}/l/{label_id}?lang={lang}", timeout=10).text
            match = _COMMAND.search(page)
            assert match is not None, page
            command = html.unescape(match[1])
            assert f"--trust {url}{TRUST_PATH}" in command
            # Why a careful verifier takes the trust file from the certifier's own publication.
            assert messages(lang)["verify_trust_source"] in html.unescape(page)
        checked = _run(command)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert checked.stdout.startswith("OK:"), checked.stdout

        # The README's order, at its worst: `tanji verify` runs while the server is down and
        # starting. It says it waits (so its first request was refused); then the server starts.
        _stop(data)
        # (a loaded machine may take longer than the default wait to start the server)
        argv = shlex.split(f"{command} --local-wait {WAIT_SECONDS}")
        verify = subprocess.Popen(
            [*TANJI, *argv[1:]],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(),
        )
        serve: subprocess.Popen[bytes] | None = None
        try:
            assert verify.stderr is not None
            told = ""
            while not told.startswith("waiting for "):
                told = verify.stderr.readline()
                assert told, "tanji verify ended without waiting"
            serve = subprocess.Popen(
                [*TANJI, "serve", "--port", str(port), "--data-dir", str(data)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=_env(),
                start_new_session=True,
            )
            out, err = verify.communicate(timeout=WAIT_SECONDS)
        finally:
            if verify.poll() is None:
                verify.kill()
                verify.wait(WAIT_SECONDS)
            if serve is not None:
                serve.terminate()
                serve.wait(WAIT_SECONDS)
        assert verify.returncode == 0, out + err
        assert out.startswith("OK:"), out
    finally:
        if (data / "serve.pid").exists():
            _stop(data)


def test_trust_urls_are_https_or_this_machine(tmp_path: Path) -> None:
    """Plain http from another host is refused before anything is fetched (951)."""
    out = subprocess.run(
        [*TANJI, "verify", str(tmp_path / "b.json"), "--trust", "http://203.0.113.9/t.json"],
        capture_output=True,
        text=True,
        timeout=WAIT_SECONDS,
    )
    assert out.returncode == 2
    assert "[951]" in out.stdout and "https" in out.stdout


def test_only_servers_on_this_machine_are_waited_for() -> None:
    assert is_loopback_url("http://127.0.0.1:8000/rpc")
    assert is_loopback_url("http://localhost:8000/rpc")
    assert is_loopback_url("http://[::1]:8000/rpc")
    assert not is_loopback_url("https://node.example.sg/rpc")
    told: list[str] = []
    patience = Patience(30, on_wait=told.append)
    assert patience.wait("https://node.example.sg/rpc") is False  # at once, not after 30 s
    assert told == []
    spent = Patience(0, on_wait=told.append)
    assert spent.wait("http://127.0.0.1:1/rpc") is False
