"""Registry settings: one pydantic-settings ``Settings``.

Sources, highest priority first: explicit arguments, ``TANJI_*`` environment variables, then an
optional ``tanji.toml`` in the data directory. Secrets are ``SecretStr`` so they never show in
reprs or logs.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from anchoring.finality import default_confirmations
from anchoring.rpc_limits import (
    DEFAULT_GAS_CAP,
    DEFAULT_MAX_BATCH,
    DEFAULT_RATE_BURST,
    DEFAULT_RATE_PER_SECOND,
)
from registry.errors import ConfigError

DEFAULT_DATA_DIR = Path("tanji-data")
SETTINGS_FILE = "tanji.toml"
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


class Settings(BaseSettings):
    """Everything the service and the CLI need to run; read once at start-up."""

    model_config = SettingsConfigDict(env_prefix="TANJI_", extra="ignore", frozen=True)

    environment: Literal["development", "production"] = "development"
    data_dir: Path = DEFAULT_DATA_DIR
    #: SQLAlchemy URL; unset → ``sqlite:///<data_dir>/registry.sqlite3``.
    database_url: str | None = None
    #: JSON-RPC URL of an EVM node; unset → the embedded chain in the data dir.
    rpc_url: str | None = None
    #: JSON-RPC URL the consumer page's in-browser verifier asks (readers' browsers must reach
    #: it, cross-origin needs CORS); unset → see :attr:`browser_rpc_url`.
    public_rpc_url: str | None = None
    anchor_address: str | None = None
    signer_key: SecretStr | None = None
    keystore: Path | None = None
    keystore_password: SecretStr | None = None
    base_url: str = "http://127.0.0.1:8000"
    batch_max_size: int = Field(default=256, ge=1, le=100_000)
    batch_max_wait_seconds: float = Field(default=10.0, ge=0)
    #: Blocks on top of an anchoring block before its batch is final; until then bundles and
    #: pages say "anchored, N confirmations". Unset → by chain id
    #: (:func:`anchoring.finality.default_confirmations`).
    confirmations: int | None = Field(default=None, ge=0, le=1000)
    #: Most an anchoring transaction may offer per gas, in gwei (EIP-1559 max fee, or legacy gas
    #: price): past a base-fee spike above it, transactions wait for fees to fall. Unset → no cap.
    max_fee_gwei: float | None = Field(default=None, gt=0, le=1_000_000)
    #: Seconds without a receipt before the anchoring loop looks whether its transaction was
    #: dropped (then sends it again) or is priced out (then replaces it with higher fees).
    resend_after_seconds: float = Field(default=30.0, gt=0, le=3600)
    #: Run the background anchoring loop in this process. With several API processes on one
    #: PostgreSQL database exactly one of them anchors; the others set this to false.
    anchoring: bool = True
    #: How often the anchoring loop looks at the ledger when idle.
    poll_interval_seconds: float = Field(default=0.5, gt=0, le=60)
    #: Largest request body (413 ``body_too_large`` past it): a bulk upload of 10,000 signed
    #: attestations is about 12 MiB.
    max_body_bytes: int = Field(default=32 * 1024 * 1024, ge=1024)
    #: Largest body of an anonymous ``/rpc`` request.
    rpc_max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    #: ``/rpc``: most gas one ``eth_call`` / ``eth_estimateGas`` may use (why this default:
    #: anchoring.rpc_limits); a verifier's ``check`` needs at most 41,188.
    rpc_gas_cap: int = Field(default=DEFAULT_GAS_CAP, ge=21_000, le=30_000_000)
    #: ``/rpc``: most calls one JSON-RPC batch may hold.
    rpc_max_batch: int = Field(default=DEFAULT_MAX_BATCH, ge=1, le=1000)
    #: ``/rpc``: requests a second each client address may make on average (then 429)...
    rpc_rate_per_second: float = Field(default=DEFAULT_RATE_PER_SECOND, gt=0, le=100_000)
    #: ...and in a burst after a quiet spell.
    rpc_rate_burst: int = Field(default=DEFAULT_RATE_BURST, ge=1, le=1_000_000)
    #: Deepest JSON nesting of a request body (422 ``json_too_deep`` past it); a label bundle
    #: with its supply chain and recognitions nests at most 96 deep (verifier._internal.bundle).
    max_json_depth: int = Field(default=128, ge=8, le=1000)
    #: Failed authentications a client may make in a row (then 429 until a token is back)...
    auth_failure_burst: int = Field(default=10, ge=1, le=10_000)
    #: ...and one more every this many seconds.
    auth_failure_refill_seconds: float = Field(default=6.0, gt=0, le=3600)
    #: Requests one API worker runs at once (registry.api.admission); more wait in line...
    max_concurrent_requests: int = Field(default=16, ge=1, le=1000)
    #: ...at most this many...
    max_queued_requests: int = Field(default=1000, ge=0, le=1_000_000)
    #: ...for at most this long; then (or with the line full at once) 503 ``overloaded``.
    queue_wait_seconds: float = Field(default=0.5, ge=0, le=30)
    #: API worker processes of ``tanji serve`` (each gets its own database pool).
    workers: int = Field(default=1, ge=1, le=64)
    #: Pooled database connections per worker; unset → from the settings above
    #: (registry.db.pool_size_for).
    db_pool_size: int | None = Field(default=None, ge=1, le=1000)
    #: PostgreSQL: connections per worker of the asyncpg pool that serves the public reads
    #: (registry.pg_reads), besides the pool above; unset → registry.db.read_pool_size_for.
    db_read_pool_size: int | None = Field(default=None, ge=1, le=1000)
    #: Longest wait for a pooled connection; then 503 ``database_busy``.
    db_pool_timeout_seconds: float = Field(default=1.0, gt=0, le=60)
    #: The domain in this deployment's PACT URNs (``urn:pact:<domain>:product-id:...``);
    #: unset → the host of ``base_url``.
    pact_domain: str | None = None
    #: Key that signs PACT access tokens (HMAC-SHA256); unset → a random key kept in
    #: ``<data_dir>/pact-token.key`` (every process of one deployment shares the data dir).
    pact_token_secret: SecretStr | None = None
    #: Lifetime of a PACT access token.
    pact_token_seconds: int = Field(default=3600, ge=60, le=86_400)
    #: First retry delay of an outgoing PACT event; doubles each attempt, up to 3 days in all.
    pact_retry_seconds: float = Field(default=2.0, gt=0, le=3600)

    @field_validator("base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The settings file lives in the data dir, so the data dir must be known first.
        data_dir = init_settings().get("data_dir") or env_settings().get("data_dir")
        toml_path = Path(data_dir or DEFAULT_DATA_DIR) / SETTINGS_FILE
        toml = TomlConfigSettingsSource(settings_cls, toml_file=toml_path)
        return (init_settings, env_settings, toml, file_secret_settings)

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL, with the default SQLite file and the psycopg driver filled in."""
        if self.database_url is None:
            return f"sqlite:///{(self.data_dir / 'registry.sqlite3').resolve()}"
        url = self.database_url
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url

    def confirmations_for(self, chain_id: int) -> int:
        """Confirmations before a batch is final: ``confirmations``, else the chain's default."""
        if self.confirmations is not None:
            return self.confirmations
        return default_confirmations(chain_id)

    @property
    def max_fee_per_gas(self) -> int | None:
        """``max_fee_gwei`` in wei (``None``: no cap)."""
        return None if self.max_fee_gwei is None else int(self.max_fee_gwei * 10**9)

    @property
    def embedded_chain(self) -> bool:
        """True when no ``rpc_url`` is set: the chain lives in the data dir."""
        return self.rpc_url is None

    @property
    def browser_rpc_url(self) -> str | None:
        """The chain node label pages name for in-browser verification, if any.

        ``public_rpc_url`` when set; else the registry's own ``/rpc`` on the embedded chain (a
        path, so it stays same-origin behind any proxy); else none: ``rpc_url`` is never shown
        to readers on its own, since it may carry an API key or be reachable only from the
        server. Without one the page goes without the in-browser check (readers can still run
        ``tanji verify`` against a node of their own).
        """
        if self.public_rpc_url:
            return self.public_rpc_url
        return "/rpc" if self.rpc_url is None else None

    def uses_dev_keystore_password(self, env: dict[str, str] | None = None) -> bool:
        """True when the anchoring key would be protected by a generated development password."""
        environ = os.environ if env is None else env
        if self.signer_key is not None or self.keystore_password is not None:
            return False
        return not environ.get("TANJI_KEYSTORE_PASSWORD")

    def check_safe_to_serve(self, host: str) -> None:
        """Refuse obviously unsafe combinations before the server listens.

        Development settings (a generated keystore password stored next to the key) are only for
        a loopback host; production needs a real key source and an https base URL.
        """
        loopback = _is_loopback(host)
        if self.environment == "development":
            if not loopback and self.uses_dev_keystore_password():
                raise ConfigError(
                    f"refusing to serve on non-loopback host {host!r} with the development "
                    "keystore password: set TANJI_KEYSTORE_PASSWORD (or TANJI_SIGNER_KEY) and "
                    "TANJI_ENVIRONMENT=production",
                    code="unsafe_settings",
                    field="host",
                )
            return
        if self.uses_dev_keystore_password():
            raise ConfigError(
                "production needs TANJI_KEYSTORE_PASSWORD or TANJI_SIGNER_KEY; the generated "
                "development keystore password is not allowed",
                code="unsafe_settings",
                field="keystore_password",
            )
        if not self.base_url.startswith("https://") and not _is_loopback_url(self.base_url):
            raise ConfigError(
                "production base_url must be https:// (QR codes carry it)",
                code="unsafe_settings",
                field="base_url",
            )


def load_settings(**overrides: Any) -> Settings:
    """Build :class:`Settings` from arguments, the environment and ``<data_dir>/tanji.toml``.

    ``None`` overrides are dropped so a CLI option left unset does not hide the environment.
    Raises :class:`ConfigError` naming the bad setting.
    """
    from pydantic import ValidationError

    given = {key: value for key, value in overrides.items() if value is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or None
        raise ConfigError(
            f"setting {field}: {first['msg']}", code="invalid_setting", field=field
        ) from None


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_loopback_url(url: str) -> bool:
    from urllib.parse import urlsplit

    return _is_loopback(urlsplit(url).hostname or "")
