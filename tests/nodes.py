"""Real chain nodes for tests: a `hardhat node` and Foundry's `anvil`, started and stopped on
127.0.0.1.

A test that needs Node may skip on a laptop without it, never in CI (CI=true): there it fails.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Hardhat's well-known development accounts are funded by the node itself; their keys are public
# test material printed by `hardhat node`, never used outside a local test node.
HARDHAT_KEY_0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
HARDHAT_KEY_1 = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
HARDHAT_CHAIN_ID = 31337
#: Anvil's chain id here: not Hardhat's, so the two nodes can never be mistaken for each other.
ANVIL_CHAIN_ID = 31338
#: Seconds between two Anvil blocks: interval mining, as on a real network (never auto-mine).
ANVIL_BLOCK_TIME = 1
#: Headless Chromium on this offline machine: no sandbox (root), no GPU, and none of the
#: background connections the closed network would refuse. Each test adds its own flags.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def require_tool(name: str) -> None:
    """Skip (or, in CI, fail) when an outside program is missing."""
    npm_missing = name == "npx" and not (ROOT / "node_modules" / "hardhat").exists()
    if shutil.which(name) is None or npm_missing:
        message = f"{name} (and `npm ci` in {ROOT}) is needed for this test"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " and CI must have it")
        pytest.skip(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rpc(url: str, method: str, params: list[object] | None = None, timeout: float = 2.0) -> object:
    payload = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}
    body = json.dumps(payload).encode()
    req = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read())["result"]


@dataclass(frozen=True)
class HardhatNode:
    """A running `hardhat node`: its URL, and its process group (npx and the node under it)."""

    url: str
    pgid: int

    def pause(self) -> None:
        """Freeze the node (SIGSTOP to the whole group): connections open, nothing answers."""
        os.killpg(self.pgid, signal.SIGSTOP)

    def resume(self) -> None:
        """Let a paused node run again (SIGCONT)."""
        os.killpg(self.pgid, signal.SIGCONT)


@contextmanager
def hardhat_node(startup_timeout: float = 60.0, *, port: int | None = None) -> Iterator[str]:
    """Start `npx hardhat node` on ``port`` (default: a free loopback port); yield its URL."""
    with hardhat_process(startup_timeout, port=port) as node:
        yield node.url


@contextmanager
def hardhat_process(
    startup_timeout: float = 60.0, *, port: int | None = None
) -> Iterator[HardhatNode]:
    """Start `npx hardhat node` on ``port`` (default: a free one); yield it; stop it.

    ``npx`` starts the node as a child in its own session, so signals go to the process group.
    """
    require_tool("npx")
    port = free_port() if port is None else port
    url = f"http://127.0.0.1:{port}"
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    # The log outlives this block (closed in `finally`), so no `with` here.
    log = open(artifacts / f"hardhat-node-{port}.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        ["npx", "hardhat", "node", "--hostname", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"hardhat node exited with {proc.returncode} before answering")
            try:
                rpc(url, "eth_chainId")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"hardhat node did not answer on {url} in {startup_timeout}s"
                    ) from None
                time.sleep(0.2)
        yield HardhatNode(url=url, pgid=proc.pid)
    finally:
        with suppress(ProcessLookupError):  # the group is gone if the node failed to start
            os.killpg(proc.pid, signal.SIGCONT)  # a paused node would not act on SIGTERM
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def anvil_binary() -> str:
    """The `anvil` of npm's `@foundry-rs/anvil` (its platform package ships the binary).

    Skips (in CI: fails) when it is not installed.
    """
    for path in sorted((ROOT / "node_modules" / "@foundry-rs").glob("anvil-*/bin/anvil")):
        if os.access(path, os.X_OK):
            return str(path)
    found = shutil.which("anvil")
    if found is not None:
        return found
    message = f"anvil (npm @foundry-rs/anvil: `npm ci` in {ROOT}) is needed for this test"
    if os.environ.get("CI") == "true":
        pytest.fail(message + " and CI must have it")
    pytest.skip(message)


@contextmanager
def anvil_node(
    *, block_time: float = ANVIL_BLOCK_TIME, startup_timeout: float = 30.0
) -> Iterator[str]:
    """Start `anvil` with interval mining (a block every ``block_time`` s); yield its URL.

    Its accounts are the same well-known development accounts as Hardhat's
    (:data:`HARDHAT_KEY_0`, ...), funded by the node.
    """
    binary = anvil_binary()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    log = open(artifacts / f"anvil-{port}.log", "w")  # noqa: SIM115 (closed in `finally`)
    command = [binary, "--host", "127.0.0.1", "--port", str(port), "--chain-id"]
    command += [str(ANVIL_CHAIN_ID), "--block-time", f"{block_time:g}", "--silent"]
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"anvil exited with {proc.returncode} before answering")
            try:
                rpc(url, "eth_chainId")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"anvil did not answer on {url} in {startup_timeout}s"
                    ) from None
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
