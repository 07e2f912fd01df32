"""The signing keys of ``tanji demo``'s suppliers and partner bodies: generated, kept encrypted.

Each key is generated on the first run and kept in the data dir as an encrypted v3 keystore,
``keystore/demo/<name>.json`` (mode 0600), so a re-run signs with the same keys and reuses what
it signed. The password is ``TANJI_KEYSTORE_PASSWORD`` or, as for the embedded chain's
development key (:func:`anchoring.signer.dev_signer`), a random one stored beside the keys. The
keys are demo material (they sign fictional companies' statements), so the keystores use a light
scrypt cost to keep the demo quick. No key is ever printed or logged.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

from eth_account.signers.local import LocalAccount

from anchoring.errors import AnchoringError
from anchoring.signer import ENV_PASSWORD, create_keystore, load_signer, stored_password
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
    try:
        password = os.environ.get(ENV_PASSWORD) or stored_password(folder / PASSWORD_FILE)
        if not path.exists():
            create_keystore(path, password, iterations=SCRYPT_N)
        return load_signer(keystore=path, password=password)
    except AnchoringError as exc:
        raise DemoKeyError(f"demo key {name}: {exc}") from None
