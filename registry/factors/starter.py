"""The starter factor datasets shipped in ``registry/data/factors/`` and their demo publisher.

Each file is a complete ``tanji-factors/1`` document. Its publisher is the **demo publisher**,
whose key is derived from a public string (:data:`DEMO_PUBLISHER_SEED`): anyone can compute it,
so its signature shows only that the data is the starter data as shipped, never who stands behind
it. ``tanji demo`` publishes the starter datasets under it (:func:`publish_starter`); a real
publisher imports the factors under its own key instead (``tanji factors import FILE.json
--dataset … --version … --key-env VAR``).

Which factors cite a source read for this dataset and which are illustrative is in each factor
(``source``, ``illustrative``, ``notes``) and in docs/ACCOUNTING.md ("Starter datasets").
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from eth_account import Account
from eth_account.messages import encode_defunct
from sqlmodel import Session, select

from registry.crud import suppliers
from registry.factors import crud
from registry.factors.models import FactorDatasetVersion
from registry.models.orgs import Organisation
from registry.models.suppliers import KeyRegistration, SupplierKey
from verifier.protocol.hashing import keccak

__all__ = [
    "DEMO_PUBLISHER_NAME",
    "DEMO_PUBLISHER_SEED",
    "STARTER_DIR",
    "demo_publisher_address",
    "publish_starter",
    "sign_document",
    "starter_documents",
]

STARTER_DIR: Final = Path(__file__).resolve().parents[1] / "data" / "factors"
#: The public string the demo publisher's key is derived from (keccak256 of its UTF-8).
DEMO_PUBLISHER_SEED: Final = "tanji/demo/factor-publisher/1"
DEMO_PUBLISHER_NAME: Final = "Tanji starter data (demo publisher)"


def _demo_key() -> bytes:
    return keccak(DEMO_PUBLISHER_SEED.encode())


def demo_publisher_address() -> str:
    """The EIP-55 address of the demo publisher (every starter document names it)."""
    return str(Account.from_key(_demo_key()).address)


@lru_cache(maxsize=1)
def _documents() -> tuple[tuple[str, str], ...]:
    return tuple(
        (path.name, path.read_text("utf-8")) for path in sorted(STARTER_DIR.glob("*.json"))
    )


def starter_documents() -> list[dict[str, Any]]:
    """Every starter document, by file name."""
    return [json.loads(text) for _, text in _documents()]


def sign_document(
    document: dict[str, Any], private_key: bytes | str, *, chain_id: int, contract: str
) -> str:
    """The 0x-hex EIP-712 ``FactorDataset`` signature of ``document`` by ``private_key``."""
    typed = crud.typed_data_of(document, chain_id=chain_id, contract=contract)
    signed = Account.sign_typed_data(private_key, full_message=typed)
    return "0x" + bytes(signed.signature).hex()


def _register_demo_key(session: Session, *, org: Organisation, base_url: str) -> None:
    address = demo_publisher_address()
    existing = session.exec(select(SupplierKey).where(SupplierKey.address == address)).first()
    if existing is not None:
        return
    text = suppliers.registration_message(base_url=base_url, org_id=org.id, address=address)
    signed = Account.sign_message(encode_defunct(text=text), private_key=_demo_key())
    body = KeyRegistration(address=address, signature="0x" + bytes(signed.signature).hex())
    suppliers.register_key(session, org=org, body=body, base_url=base_url)


def publish_starter(
    session: Session, *, org: Organisation, chain_id: int, contract: str, base_url: str
) -> list[FactorDatasetVersion]:
    """Register the demo key to publisher ``org`` and publish every starter dataset (no commit).

    Versions already published are returned as they are.
    """
    _register_demo_key(session, org=org, base_url=base_url)
    published = []
    for document in starter_documents():
        signature = sign_document(document, _demo_key(), chain_id=chain_id, contract=contract)
        row, _ = crud.publish(
            session,
            org=org,
            document=document,
            signature=signature,
            chain_id=chain_id,
            contract=contract,
        )
        published.append(row)
    return published
