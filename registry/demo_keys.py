"""The signing keys of ``tanji demo``'s suppliers and partner bodies: generated, kept encrypted.

Each key is generated on the first run and kept in the data dir as an encrypted v3 keystore,
``keystore/demo/<name>.json`` (mode 0600), so a re-run signs with the same keys and reuses what
it signed. The password is ``TANJI_KEYSTORE_PASSWORD`` or, as for the embedded chain's
development key (:func:`anchoring.signer.dev_signer`), a random one stored beside the keys. The
keys are demo material (they sign fictional companies' statements), so the keystores use a light
scrypt cost to keep the demo quick. No key is ever printed or logged.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Final

from eth_account import Account
from eth_account.signers.local import LocalAccount

from anchoring.errors import AnchoringError
from anchoring.signer import ENV_PASSWORD, load_signer
from registry.errors import RegistryError

__all__ = ["DEMO_KEYSTORE_DIR", "DemoKeyError", "demo_key"]

#: Where the demo keys live, under the data dir.
DEMO_KEYSTORE_DIR: Final = Path("keystore") / "demo"
PASSWORD_FILE: Final = ".password"
#: scrypt's N for the demo keystores (eth-account's default, 2**18, takes about a second each).
SCRYPT_N: Final = 2**14


class DemoKeyError(RegistryError):
    """A demo key could not be created or read (the message says which and why)."""

    code = "demo_key_failed"
    status_code = 500


def demo_key(data_dir: Path, name: str) -> LocalAccount:
    """The demo key ``name`` of ``data_dir`` (generated and stored encrypted on first use)."""
    folder = Path(data_dir) / DEMO_KEYSTORE_DIR
    path = folder / f"{name}.json"
    password = os.environ.get(ENV_PASSWORD) or _password(folder / PASSWORD_FILE)
    if not path.exists():
        keyfile = Account.encrypt(secrets.token_bytes(32), password, iterations=SCRYPT_N)
        _write_private(path, json.dumps(keyfile).encode())
    try:
        return load_signer(keystore=path, password=password)
    except AnchoringError as exc:
        raise DemoKeyError(f"demo key {name}: {exc}") from None


def _password(path: Path) -> str:
    if path.exists():
        return path.read_text("utf-8").strip()
    password = secrets.token_urlsafe(32)
    _write_private(path, password.encode())
    return password


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:  # O_EXCL and 0600 from creation: never overwrite a key, never world-readable
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise DemoKeyError(f"{path} already exists; not overwriting it") from None
    with os.fdopen(fd, "wb") as out:
        out.write(data)
