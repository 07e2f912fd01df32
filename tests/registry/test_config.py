"""Settings: environment, the data dir's tanji.toml, defaults, secrets, unsafe combinations."""

from __future__ import annotations

from pathlib import Path

import pytest

from registry.config import Settings, load_settings
from registry.errors import ConfigError


def test_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TANJI_DATABASE_URL", raising=False)  # set in the PostgreSQL pass
    settings = load_settings()
    assert settings.data_dir == Path("tanji-data")
    assert settings.sqlalchemy_url == f"sqlite:///{tmp_path / 'tanji-data' / 'registry.sqlite3'}"
    assert settings.embedded_chain and settings.rpc_url is None


def test_browser_rpc_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The node label pages send browsers to: public_rpc_url, else own /rpc, else none."""
    monkeypatch.chdir(tmp_path)
    assert load_settings().browser_rpc_url == "/rpc"
    # The server's own node URL may carry an API key: never published unless asked for.
    node = "https://mainnet.example-provider.io/v3/0123456789abcdef"
    assert load_settings(rpc_url=node).browser_rpc_url is None
    monkeypatch.setenv("TANJI_PUBLIC_RPC_URL", "https://rpc.besu.example.cn")
    assert load_settings(rpc_url=node).browser_rpc_url == "https://rpc.besu.example.cn"
    assert load_settings().browser_rpc_url == "https://rpc.besu.example.cn"


def test_environment_and_toml_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "d"
    data.mkdir()
    (data / "tanji.toml").write_text(
        'base_url = "https://labels.example.cn/"\nbatch_max_size = 50\nconfirmations = 2\n'
    )
    monkeypatch.setenv("TANJI_DATA_DIR", str(data))
    monkeypatch.setenv("TANJI_BATCH_MAX_SIZE", "75")  # the environment beats the file
    monkeypatch.setenv("TANJI_DATABASE_URL", "postgresql://tanji@db/tanji")
    settings = load_settings()
    assert settings.data_dir == data
    assert settings.base_url == "https://labels.example.cn"
    assert (settings.batch_max_size, settings.confirmations) == (75, 2)
    assert settings.sqlalchemy_url == "postgresql+psycopg://tanji@db/tanji"
    assert load_settings(batch_max_size=9).batch_max_size == 9  # arguments beat both


def test_signer_key_is_secret(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    key = "0x" + "11" * 32
    monkeypatch.setenv("TANJI_SIGNER_KEY", key)
    settings = load_settings(data_dir=tmp_path)
    assert settings.signer_key is not None and settings.signer_key.get_secret_value() == key
    assert key not in repr(settings) and key[2:] not in str(settings.model_dump())


def test_bad_setting_names_the_field(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(data_dir=tmp_path, batch_max_size=0)
    assert info.value.field == "batch_max_size" and info.value.code == "invalid_setting"


def _settings(tmp_path: Path, **kw: object) -> Settings:
    return load_settings(data_dir=tmp_path, **kw)


def test_dev_password_only_on_loopback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TANJI_KEYSTORE_PASSWORD", raising=False)
    monkeypatch.delenv("TANJI_SIGNER_KEY", raising=False)
    settings = _settings(tmp_path)
    for host in ("127.0.0.1", "localhost", "::1"):
        settings.check_safe_to_serve(host)
    with pytest.raises(ConfigError) as info:
        settings.check_safe_to_serve("0.0.0.0")
    assert info.value.code == "unsafe_settings" and info.value.field == "host"
    monkeypatch.setenv("TANJI_KEYSTORE_PASSWORD", "a real password from a vault")
    settings.check_safe_to_serve("0.0.0.0")


def test_production_needs_key_source_and_https(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TANJI_KEYSTORE_PASSWORD", raising=False)
    monkeypatch.delenv("TANJI_SIGNER_KEY", raising=False)
    with pytest.raises(ConfigError) as info:
        _settings(tmp_path, environment="production").check_safe_to_serve("0.0.0.0")
    assert info.value.field == "keystore_password"
    prod = _settings(
        tmp_path,
        environment="production",
        keystore_password="from-vault",
        base_url="http://labels.example.cn",
    )
    with pytest.raises(ConfigError) as info:
        prod.check_safe_to_serve("0.0.0.0")
    assert info.value.field == "base_url"
    prod.model_copy(update={"base_url": "https://labels.example.cn"}).check_safe_to_serve("0.0.0.0")
