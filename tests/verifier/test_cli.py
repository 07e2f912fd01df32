"""``tanji verify`` without a chain: URLs over loopback HTTP, label-page mapping, exit codes."""

from __future__ import annotations

import http.server
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.nodes import free_port
from tests.verifier.factories import anchored_set, make_bundle
from verifier.cli import bundle_url, main
from verifier.protocol.languages import LANGUAGES


@pytest.fixture(scope="module")
def bundle() -> dict[str, Any]:
    tree, records, salts = anchored_set(3)
    return make_bundle(records[2], salts[2], tree, 2)


@pytest.fixture(scope="module")
def server(bundle: dict[str, Any]) -> Iterator[str]:
    """A real HTTP server on loopback serving the registry's bundle route."""
    body = json.dumps(bundle, ensure_ascii=False).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/api/v1/labels/CQ-LBL-2026-000002/bundle":
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)
            else:
                self.send_response(404)
                self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_label_page_url_maps_to_bundle_url() -> None:
    assert (
        bundle_url("https://tanji.example/l/CQ-1")
        == "https://tanji.example/api/v1/labels/CQ-1/bundle"
    )
    assert bundle_url("https://tanji.example/l/CQ-1/?lang=zh") == (
        "https://tanji.example/api/v1/labels/CQ-1/bundle"
    )
    other = "https://tanji.example/api/v1/labels/CQ-1/bundle"
    assert bundle_url(other) == other


def test_verify_from_label_page_url(server: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([f"{server}/l/CQ-LBL-2026-000002", "--offline"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("OK: ") and "CQ-LBL-2026-000002" in out


def test_http_error_is_exit_2(server: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([f"{server}/l/nope", "--offline"]) == 2
    assert "HTTP 404" in capsys.readouterr().out
    assert main([f"http://127.0.0.1:{free_port()}/l/x", "--offline", "--timeout", "2"]) == 2


def test_json_and_zh_output(
    tmp_path: Path, bundle: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "b.json"
    path.write_text(json.dumps(bundle))
    assert main([str(path), "--offline", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["format"] == "tanji-verification/1" and report["mode"] == "offline"
    assert [c["name"] for c in report["checks"]] == ["format", "integrity", "inclusion"]
    assert all(c["reasons"][lang] for c in report["checks"] for lang in LANGUAGES)

    tampered = dict(bundle, root="0x" + "00" * 32)
    path.write_text(json.dumps(tampered))
    assert main([str(path), "--offline", "--lang", "zh"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("FAIL: ") and "默克尔证明" in out and " 300 " in out


def test_malformed_file_is_invalid_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "b.json"
    path.write_text("{oops")
    assert main([str(path), "--offline", "--verbose"]) == 1
    out = capsys.readouterr().out
    assert " 100 " in out


def test_bad_trust_file_is_exit_2(
    tmp_path: Path, bundle: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "b.json"
    path.write_text(json.dumps(bundle))
    trust = tmp_path / "trust.json"
    trust.write_text(
        json.dumps({"format": "tanji-trust/1", "chains": [{"chainId": 0, "contracts": []}]})
    )
    assert main([str(path), "--trust", str(trust)]) == 2
    out = capsys.readouterr().out
    assert out.startswith("ERROR: [951]") and "chains[0].chainId" in out


def test_python_dash_m_verifier(tmp_path: Path, bundle: dict[str, Any]) -> None:
    path = tmp_path / "b.json"
    path.write_text(json.dumps(bundle))
    done = subprocess.run(
        [sys.executable, "-m", "verifier", str(path), "--offline"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("OK: ")
