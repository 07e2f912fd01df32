"""``tanji serve --detach``: start the server in the background and return once it answers.

``tanji serve &`` returns at once, seconds before the server listens (it opens its database and
chain first), so a command pasted right after it finds nothing there. ``--detach`` starts the
same ``tanji serve`` as a child in a session of its own (output appended to
``<data dir>/serve.log``, its process id written to ``<data dir>/serve.pid``), waits until
``/healthz`` answers, and only then returns, exit status 0. The server keeps running; stop it
with ``kill $(cat <data dir>/serve.pid)``. If the child exits first, or does not answer within
the wait, the command fails (exit status 1) with the log's last lines, and stops the child.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import httpx

from registry.errors import RegistryError

#: Default seconds ``--detach`` waits for the server to answer.
DETACH_WAIT_SECONDS: Final = 120.0
LOG_NAME: Final = "serve.log"
PID_NAME: Final = "serve.pid"
_POLL_SECONDS: Final = 0.2
_LOG_TAIL_LINES: Final = 20


class DetachError(RegistryError):
    """The detached server did not come up (it exited, or did not answer in time)."""

    status_code = 500


@dataclass(frozen=True, slots=True)
class Detached:
    """A server started in the background and answering."""

    pid: int
    url: str
    log: Path
    pid_file: Path


def probe_host(host: str) -> str:
    """Where this machine reaches a server bound to ``host`` (a wildcard: the loopback)."""
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "::1"
    return host


def _url(host: str, port: int) -> str:
    host = probe_host(host)
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def port_taken(host: str, port: int) -> bool:
    """True when something on this machine already accepts connections at ``host:port``."""
    try:
        with socket.create_connection((probe_host(host), port), timeout=1):
            return True
    except OSError:
        return False


def start_detached(
    serve_args: Sequence[str],
    *,
    host: str,
    port: int,
    data_dir: Path,
    wait_seconds: float = DETACH_WAIT_SECONDS,
) -> Detached:
    """Run ``tanji serve SERVE_ARGS`` in the background; return once ``/healthz`` answers.

    Raises :class:`DetachError` (``port_in_use``, ``serve_exited``, ``serve_timeout``) when it
    does not; a child still running then is stopped.
    """
    if port_taken(host, port):
        raise DetachError(
            f"something already answers on {_url(host, port)}; stop it or choose --port",
            code="port_in_use",
            field="port",
        )
    data_dir.mkdir(parents=True, exist_ok=True)
    log, pid_file = data_dir / LOG_NAME, data_dir / PID_NAME
    with open(log, "ab") as out:
        child = subprocess.Popen(
            [sys.executable, "-m", "registry.cli", "serve", *serve_args],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a Ctrl-C in the shell that started it does not stop it
        )
    pid_file.write_text(f"{child.pid}\n", encoding="ascii")
    url = _url(host, port)
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            httpx.get(f"{url}/healthz", timeout=2)  # any answer: it serves (maybe degraded)
            return Detached(pid=child.pid, url=url, log=log, pid_file=pid_file)
        except httpx.TransportError:
            pass
        if child.poll() is not None:
            pid_file.unlink(missing_ok=True)
            raise DetachError(
                f"tanji serve exited with status {child.returncode}; {log} ends:\n{_tail(log)}",
                code="serve_exited",
            )
        if time.monotonic() > deadline:
            os.killpg(child.pid, signal.SIGTERM)
            child.wait(30)
            pid_file.unlink(missing_ok=True)
            raise DetachError(
                f"tanji serve did not answer within {wait_seconds:g} s; {log} ends:\n{_tail(log)}",
                code="serve_timeout",
            )
        time.sleep(_POLL_SECONDS)


def _tail(log: Path) -> str:
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    return "\n".join(lines[-_LOG_TAIL_LINES:])
