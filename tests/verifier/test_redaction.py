"""Node-URL secrets (user info, query, key-like path segments) never reach any output."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from tests.nodes import free_port
from tests.verifier.factories import anchored_set, make_bundle
from verifier.cli import main
from verifier.redaction import REDACTED, looks_like_key, redact_secrets, redacted_url

KEY = "9aa3d95b3bc440fa88ea12eaa4456161"
QUERY_KEY = "qk_live_7777777777"
PASSWORD = "pa55-w0rd-zz"


def node_url(port: int = 9) -> str:
    return f"http://ops:{PASSWORD}@127.0.0.1:{port}/v3/{KEY}?apikey={QUERY_KEY}"


def assert_clean(text: str) -> None:
    for secret in (KEY, QUERY_KEY, PASSWORD):
        assert secret not in text, text


@pytest.mark.parametrize(
    ("segment", "key"),
    [
        ("rpc", False),
        ("v3", False),
        ("eth-mainnet", False),
        ("ext/bc/C/rpc", False),
        (KEY, True),
        ("tk_live_0123456789", True),
        ("3f2504e0-4f89-11d3-9a0c-0305e82c3301", True),
    ],
)
def test_which_path_segments_look_like_keys(segment: str, key: bool) -> None:
    assert looks_like_key(segment) is key


def test_redacted_url_keeps_host_and_path_words() -> None:
    assert redacted_url(node_url()) == f"http://127.0.0.1:9/v3/{REDACTED}"
    assert redacted_url("https://api.avax.network/ext/bc/C/rpc") == (
        "https://api.avax.network/ext/bc/C/rpc"
    )


def test_text_quoting_the_url_whole_in_part_or_its_parts_alone() -> None:
    url = node_url()
    text = (
        f"node {url} is down; Max retries exceeded with url: /v3/{KEY}?apikey={QUERY_KEY} "
        f"(password {PASSWORD}); other https://u:p4ss@host.example/x?token=abcdef1234"
    )
    clean = redact_secrets(text, url)
    assert_clean(clean)
    assert "p4ss" not in clean and "abcdef1234" not in clean
    assert "http://127.0.0.1:9/v3/<redacted>?<redacted>" in clean
    # Without the node URL, full URLs are still cleaned; other text stays.
    assert redact_secrets("GET /api/v1/labels/CQ-LBL-2026-000001 HTTP/1.1") == (
        "GET /api/v1/labels/CQ-LBL-2026-000001 HTTP/1.1"
    )


@pytest.mark.parametrize("flags", [[], ["--json"], ["--verbose"]])
def test_tanji_verify_never_prints_the_node_key(tmp_path: Path, flags: list[str]) -> None:
    tree, records, salts = anchored_set(2)
    bundle = make_bundle(records[0], salts[0], tree, 0)
    (tmp_path / "b.json").write_text(json.dumps(bundle))
    trust = {
        "format": "tanji-trust/1",
        "name": "t",
        "chains": [
            {"chainId": 31337, "rpcUrl": node_url(free_port()), "contracts": ["0x" + "11" * 20]}
        ],
    }
    (tmp_path / "trust.json").write_text(json.dumps(trust))
    for extra in ([], ["--rpc-url", node_url(free_port())]):
        out = io.StringIO()
        code = main(
            [str(tmp_path / "b.json"), "--trust", str(tmp_path / "trust.json"), *extra, *flags],
            out=out,
        )
        assert code == 2  # the node is down: ERROR, never INVALID
        assert "127.0.0.1" in out.getvalue()
        assert_clean(out.getvalue())
