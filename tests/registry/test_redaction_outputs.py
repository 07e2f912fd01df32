"""A node URL's secrets never reach `tanji` output or the server's log."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from registry.cli import main
from tests.nodes import HARDHAT_KEY_0, free_port
from tests.registry.server import serve
from tests.verifier.test_redaction import assert_clean, node_url


@pytest.mark.parametrize("verbose", [[], ["--verbose"]])
def test_deploy_and_anchor_errors_hide_the_node_key(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    verbose: list[str],
) -> None:
    monkeypatch.setenv("TANJI_SIGNER_KEY", HARDHAT_KEY_0)
    url = node_url(free_port())
    code = main(["deploy", "--rpc-url", url, "--data-dir", str(tmp_path), *verbose])
    out, err = capsys.readouterr()
    assert code == 1 and "error:" in err
    assert_clean(out + err)
    monkeypatch.setenv("TANJI_RPC_URL", url)
    monkeypatch.setenv("TANJI_ANCHOR_ADDRESS", "0x" + "11" * 20)
    code = main(["anchor", "--once", "--data-dir", str(tmp_path), *verbose])
    out, err = capsys.readouterr()
    assert code == 1 and "error:" in err
    assert_clean(out + err)


@pytest.mark.slow
def test_server_log_hides_the_node_key_while_the_node_is_down(tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    env = {
        "TANJI_RPC_URL": node_url(free_port()),
        "TANJI_ANCHOR_ADDRESS": "0x" + "11" * 20,
        "TANJI_SIGNER_KEY": HARDHAT_KEY_0,
    }
    with serve(tmp_path / "data", log, env, ready_status=(503,)):
        time.sleep(2)  # the chain monitor fails to connect and logs why, with the URL
    text = log.read_text()
    assert "cannot be reached" in text and "<redacted>" in text
    assert "Logging error" not in text
    assert_clean(text)
