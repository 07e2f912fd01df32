"""Where the anchoring key comes from: ``TANJI_SIGNER_KEY`` or an encrypted keystore (v3 JSON).

The private key and the keystore password never appear in logs, reprs or exception messages:
errors say which source failed and why, with the underlying exception suppressed.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount

from anchoring.errors import SignerError

log = logging.getLogger(__name__)

ENV_KEY = "TANJI_SIGNER_KEY"
ENV_PASSWORD = "TANJI_KEYSTORE_PASSWORD"
DEV_KEYSTORE = Path("keystore") / "anchorer.json"
DEV_PASSWORD_FILE = Path("keystore") / ".password"


def load_signer(
    *,
    keystore: Path | None = None,
    password: str | None = None,
    env: Mapping[str, str] = os.environ,
) -> LocalAccount:
    """Load the anchoring account.

    With ``keystore`` the key is decrypted from that file with ``password`` (or
    ``TANJI_KEYSTORE_PASSWORD``); otherwise it is read from ``TANJI_SIGNER_KEY`` (hex).
    Raises :class:`SignerError` when neither is usable.
    """
    if keystore is not None:
        secret = password if password is not None else env.get(ENV_PASSWORD)
        if not secret:
            raise SignerError(f"no password for keystore {keystore} (set {ENV_PASSWORD})")
        return _decrypt(Path(keystore), secret)
    raw = env.get(ENV_KEY)
    if not raw:
        raise SignerError(f"no signer configured: set {ENV_KEY} or give a keystore file")
    return _from_hex(raw.strip(), source=ENV_KEY)


def create_keystore(
    path: Path, password: str, *, private_key: bytes | None = None, iterations: int | None = None
) -> str:
    """Write a new (or the given) key to ``path`` as an encrypted v3 keystore, mode 0600.

    ``iterations`` is scrypt's N (eth-account's default, 2**18, when None). Returns the account's
    checksummed address. Refuses to overwrite an existing file.
    """
    if not password:
        raise SignerError("a keystore needs a non-empty password")
    path = Path(path)
    key = private_key if private_key is not None else secrets.token_bytes(32)
    try:
        account = Account.from_key(key)
        keyfile = Account.encrypt(key, password, iterations=iterations)
    except (ValueError, TypeError):
        raise SignerError("the private key is not a valid secp256k1 key") from None
    _write_private(path, json.dumps(keyfile).encode())
    return str(account.address)


def dev_signer(data_dir: Path, *, env: Mapping[str, str] = os.environ) -> LocalAccount:
    """The embedded chain's anchoring account, kept encrypted in ``data_dir/keystore/``.

    On first use a random key is generated. Its password is ``TANJI_KEYSTORE_PASSWORD``, or, for
    local development only, a random password stored next to it in a 0600 file.
    """
    data_dir = Path(data_dir)
    keystore = data_dir / DEV_KEYSTORE
    password = env.get(ENV_PASSWORD) or _dev_password(data_dir / DEV_PASSWORD_FILE)
    if not keystore.exists():
        address = create_keystore(keystore, password)
        log.info("created anchoring key %s in %s", address, keystore)
    return load_signer(keystore=keystore, password=password, env=env)


def _dev_password(path: Path) -> str:
    log.warning(
        "%s is not set: using a generated keystore password stored in %s. "
        "This is for local development only.",
        ENV_PASSWORD,
        path,
    )
    return stored_password(path)


def stored_password(path: Path) -> str:
    """The random keystore password kept in ``path`` (mode 0600), generated on first use."""
    if path.exists():
        return path.read_text("utf-8").strip()
    password = secrets.token_urlsafe(32)
    _write_private(path, password.encode())
    return password


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # O_EXCL: never overwrite a key; 0600 from creation so the secret is never world-readable.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise SignerError(f"{path} already exists; not overwriting it") from exc
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


def _decrypt(path: Path, password: str) -> LocalAccount:
    try:
        keyfile: Any = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise SignerError(f"keystore {path} does not exist") from None
    except (OSError, ValueError) as exc:
        raise SignerError(f"keystore {path} is not readable JSON: {type(exc).__name__}") from None
    try:
        key = Account.decrypt(keyfile, password)
    except ValueError:
        reason = "wrong password or corrupt file"
        raise SignerError(f"cannot decrypt keystore {path}: {reason}") from None
    except (KeyError, TypeError):
        raise SignerError(f"keystore {path} is not a v3 keystore") from None
    return _from_hex(bytes(key), source=str(path))


def _from_hex(raw: str | bytes, *, source: str) -> LocalAccount:
    try:
        account: LocalAccount = Account.from_key(raw)
    except Exception:
        # `from None`: the original exception may quote the key.
        raise SignerError(f"{source} does not hold a valid private key") from None
    return account
