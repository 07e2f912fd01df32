"""Signer loading: env key, encrypted keystore, development keystore; secrets never leak."""

from __future__ import annotations

import json
import logging
import secrets
import stat
from pathlib import Path

import pytest
from eth_account import Account

from anchoring.errors import SignerError
from anchoring.signer import create_keystore, dev_signer, load_signer


def _leaks(exc: BaseException, *secrets_: str) -> bool:
    """Whether any secret appears in the exception, its chain or their reprs."""
    seen: BaseException | None = exc
    text = ""
    while seen is not None:
        text += str(seen) + repr(seen) + repr(seen.args)
        seen = seen.__cause__ or seen.__context__
    return any(s and s in text for s in secrets_)


def test_key_from_env() -> None:
    key = secrets.token_bytes(32)
    account = load_signer(env={"TANJI_SIGNER_KEY": "0x" + key.hex()})
    assert account.address == Account.from_key(key).address
    assert key.hex() not in repr(account)


def test_no_signer_configured() -> None:
    with pytest.raises(SignerError, match="TANJI_SIGNER_KEY"):
        load_signer(env={})


def test_malformed_env_key_is_not_echoed() -> None:
    bad = "0x" + "zz" * 32
    with pytest.raises(SignerError) as info:
        load_signer(env={"TANJI_SIGNER_KEY": bad})
    assert not _leaks(info.value, bad, "zz" * 32)


def test_keystore_roundtrip_and_file_mode(tmp_path: Path) -> None:
    key = secrets.token_bytes(32)
    path = tmp_path / "keys" / "anchorer.json"
    address = create_keystore(path, "correct horse", private_key=key)
    assert address == Account.from_key(key).address
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    keyfile = json.loads(path.read_text())
    assert keyfile["version"] == 3 and key.hex() not in path.read_text()
    assert load_signer(keystore=path, password="correct horse", env={}).address == address
    # The password may come from the environment instead.
    env = {"TANJI_KEYSTORE_PASSWORD": "correct horse"}
    assert load_signer(keystore=path, env=env).address == address
    with pytest.raises(SignerError, match="already exists"):
        create_keystore(path, "another")


def test_wrong_password_raises_without_leaking(tmp_path: Path) -> None:
    key = secrets.token_bytes(32)
    path = tmp_path / "anchorer.json"
    right, wrong = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    create_keystore(path, right, private_key=key)
    with pytest.raises(SignerError, match="wrong password") as info:
        load_signer(keystore=path, password=wrong, env={})
    assert not _leaks(info.value, key.hex(), right, wrong)
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_keystore_without_password_or_file(tmp_path: Path) -> None:
    with pytest.raises(SignerError, match="TANJI_KEYSTORE_PASSWORD"):
        load_signer(keystore=tmp_path / "k.json", env={})
    with pytest.raises(SignerError, match="does not exist"):
        load_signer(keystore=tmp_path / "k.json", password="x", env={})
    (tmp_path / "junk.json").write_text("{not json")
    with pytest.raises(SignerError, match="not readable JSON"):
        load_signer(keystore=tmp_path / "junk.json", password="x", env={})


def test_dev_signer_with_env_password(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    env = {"TANJI_KEYSTORE_PASSWORD": "operator secret"}
    with caplog.at_level(logging.DEBUG, logger="anchoring.signer"):
        first = dev_signer(tmp_path, env=env)
        again = dev_signer(tmp_path, env=env)
    assert first.address == again.address
    assert not (tmp_path / "keystore" / ".password").exists()
    assert "local development" not in caplog.text
    assert first.key.hex() not in caplog.text
    with pytest.raises(SignerError):
        dev_signer(tmp_path, env={"TANJI_KEYSTORE_PASSWORD": "other"})


def test_dev_signer_generated_password(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="anchoring.signer"):
        first = dev_signer(tmp_path, env={})
    assert "local development" in caplog.text
    password_file = tmp_path / "keystore" / ".password"
    keystore = tmp_path / "keystore" / "anchorer.json"
    for path in (password_file, keystore):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    password = password_file.read_text()
    assert password not in caplog.text and first.key.hex() not in caplog.text
    assert dev_signer(tmp_path, env={}).address == first.address
    assert load_signer(keystore=keystore, password=password, env={}).address == first.address
