"""Hostile request bodies against a real ``tanji serve``: none kills, stalls or half-writes it.

A JSON body nested 70,000 deep (140 KB) used to crash the process with a segmentation fault
(py_ecc raised the recursion limit, so the C JSON parser overflowed the stack). Now depth and size
are bounded before any parser runs, and the server keeps serving and anchoring.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from tests.registry.factories import bearer, numbered
from tests.registry.server import create_org, serve, wait_anchored

pytestmark = pytest.mark.slow

DEEP = b"[" * 70_000 + b"]" * 70_000
DEEP_OBJECT = b'{"a":' * 70_000 + b"1" + b"}" * 70_000


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[subprocess.Popen[bytes], str, str]]:
    data = tmp_path_factory.mktemp("hostile") / "data"
    key = create_org(data)
    with serve(data, data.parent / "serve.log", {"TANJI_MAX_BODY_BYTES": str(4 * 1024 * 1024)}) as (
        proc,
        url,
    ):
        yield proc, url, key


def _error(response: httpx.Response) -> dict[str, object]:
    error: dict[str, object] = response.json()["error"]
    return error


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT], ids=["array", "object"])
@pytest.mark.parametrize(
    "path", ["/api/v1/footprints", "/api/v1/footprints/bulk", "/api/v1/orgs", "/rpc"]
)
def test_deeply_nested_json_is_refused_and_the_server_stays_up(
    server: tuple[subprocess.Popen[bytes], str, str], path: str, body: bytes
) -> None:
    proc, url, key = server
    for headers in ({}, bearer(key)):  # anonymous and authenticated alike
        r = httpx.post(
            url + path, content=body, headers={**headers, "content-type": "application/json"}
        )
        assert r.status_code == 422, r.text
        assert _error(r)["code"] == "json_too_deep"
        assert _error(r)["field"] == "body"
    assert proc.poll() is None
    assert httpx.get(f"{url}/healthz").status_code == 200


def test_after_hostile_bodies_records_are_still_accepted_and_anchored(
    server: tuple[subprocess.Popen[bytes], str, str],
) -> None:
    proc, url, key = server
    for body in (DEEP, DEEP_OBJECT, b"[" * 200_000):  # unbalanced too
        r = httpx.post(f"{url}/api/v1/footprints", content=body, headers=bearer(key))
        assert r.status_code == 422
    r = httpx.post(f"{url}/api/v1/footprints", json=numbered(1), headers=bearer(key))
    assert r.status_code == 201, r.text
    wait_anchored(url, f"/api/v1/footprints/{r.json()['id']}", bearer(key))
    assert proc.poll() is None


def test_brackets_inside_strings_do_not_count_as_depth(
    server: tuple[subprocess.Popen[bytes], str, str],
) -> None:
    _, url, key = server
    payload = numbered(2)
    payload["notes"] = "[" * 800 + "{" * 800  # far past the depth limit, were it structure
    r = httpx.post(f"{url}/api/v1/footprints", json=payload, headers=bearer(key))
    assert r.status_code == 201, r.text


def test_declared_oversized_body_is_refused_before_it_is_sent(
    server: tuple[subprocess.Popen[bytes], str, str],
) -> None:
    _, url, key = server
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            b"POST /api/v1/footprints/bulk HTTP/1.1\r\nHost: x\r\n"
            + f"Authorization: Bearer {key}\r\n".encode()
            + b"Content-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n"
        )
        head = _read_response(sock)
    assert head.startswith("HTTP/1.1 413"), head
    assert "body_too_large" in head


def _read_response(sock: socket.socket) -> str:
    """One whole HTTP response (headers and a Content-Length body), however TCP splits it."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data.decode("latin-1")
        data += chunk
    headers, _, body = data.partition(b"\r\n\r\n")
    length = re.search(rb"(?im)^content-length:\s*(\d+)", headers)
    while length and len(body) < int(length.group(1)):
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return (headers + b"\r\n\r\n" + body).decode("latin-1")


def test_streamed_oversized_body_is_cut_off(
    server: tuple[subprocess.Popen[bytes], str, str],
) -> None:
    _, url, key = server

    def chunks() -> Iterator[bytes]:  # no Content-Length: chunked transfer
        yield b'{"items": ['
        for _ in range(10_000):
            yield b'"' + b"x" * 1000 + b'",'
        yield b"1]}"

    r = httpx.post(f"{url}/api/v1/footprints/bulk", content=chunks(), headers=bearer(key))
    assert r.status_code == 413
    assert _error(r)["code"] == "body_too_large"
    assert _error(r)["details"] == [{"limit": 4 * 1024 * 1024}]


def test_rpc_has_its_own_smaller_body_limit(
    server: tuple[subprocess.Popen[bytes], str, str],
) -> None:
    _, url, _ = server
    call = {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}
    big = [call] * 40_000  # ~2.4 MB of small calls
    r = httpx.post(f"{url}/rpc", json=big)
    assert r.status_code == 413
    assert _error(r)["code"] == "body_too_large"


def test_bulk_past_its_item_limit_names_the_code(
    server: tuple[subprocess.Popen[bytes], str, str],
) -> None:
    _, url, key = server
    r = httpx.post(
        f"{url}/api/v1/footprints/bulk", json={"items": [{}] * 5001}, headers=bearer(key)
    )
    assert r.status_code == 422
    assert _error(r)["code"] == "too_many_items"
    assert _error(r)["field"] == "items"


def test_recursion_limit_stays_sane_after_every_ethereum_import() -> None:
    # In a child process: on failure this would crash the interpreter, not raise.
    code = (
        "import sys, json\n"
        "import registry.app, registry.cli, anchoring.embedded, anchoring.rpc, eth, eth_tester\n"
        "import py_ecc\n"
        "from verifier._internal.runtime import SAFE_RECURSION_LIMIT\n"
        "assert sys.getrecursionlimit() <= SAFE_RECURSION_LIMIT, sys.getrecursionlimit()\n"
        "try:\n"
        "    json.loads('[' * 70000 + ']' * 70000)\n"
        "except RecursionError:\n"
        "    print('refused')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "refused"
