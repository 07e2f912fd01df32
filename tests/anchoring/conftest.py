"""Chain nodes for the anchoring tests: the embedded py-evm chain, a real `hardhat node` and a
real `anvil` mining at intervals.

Each node is a :class:`ChainNode`: a connected ``Web3``, a funded anchoring account, a funded
account holding no role, and a way to mine blocks (by sending real transactions, so it works on
every node).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from sqlalchemy import Engine
from sqlmodel import SQLModel, create_engine
from web3 import Web3

import anchoring.ledger  # noqa: F401  (registers the ledger tables on SQLModel.metadata)
from tests.database import ON_POSTGRESQL
from tests.nodes import HARDHAT_KEY_0, HARDHAT_KEY_1


@dataclass
class ChainNode:
    """One running chain and the accounts the tests sign with."""

    name: str
    w3: Web3
    anchorer: LocalAccount
    outsider: LocalAccount
    url: str | None = None

    def mine(self, blocks: int) -> None:
        """Mine ``blocks`` blocks, one self-transfer of the outsider each."""
        for _ in range(blocks):
            nonce = self.w3.eth.get_transaction_count(self.outsider.address, "pending")
            tx = {
                "to": self.outsider.address,
                "value": 0,
                "gas": 21_000,
                "nonce": nonce,
                "chainId": self.w3.eth.chain_id,
                "gasPrice": 2 * int(self.w3.eth.gas_price),
            }
            signed = self.outsider.sign_transaction(tx)
            tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
            self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)


def open_embedded(data_dir: Path, fund: list[str]) -> tuple[Web3, Callable[[], None]]:
    """Open the embedded chain in ``data_dir``; returns its Web3 and a closer."""
    from anchoring.embedded import EmbeddedChain

    chain = EmbeddedChain.open(data_dir, fund=fund)
    return chain.w3, chain.close


@pytest.fixture(scope="module")
def embedded_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChainNode]:
    """A fresh durable embedded chain (anchoring.embedded) with two funded accounts."""
    anchorer = Account.from_key(secrets.token_bytes(32))
    outsider = Account.from_key(secrets.token_bytes(32))
    w3, close = open_embedded(
        tmp_path_factory.mktemp("embedded"), [anchorer.address, outsider.address]
    )
    yield ChainNode("embedded", w3, anchorer, outsider)
    close()


@pytest.fixture(scope="module")
def hardhat_node(hardhat_url: str) -> ChainNode:
    """The session's `hardhat node` with its first two development accounts."""
    w3 = Web3(Web3.HTTPProvider(hardhat_url, request_kwargs={"timeout": 30}))
    return ChainNode(
        "hardhat",
        w3,
        Account.from_key(HARDHAT_KEY_0),
        Account.from_key(HARDHAT_KEY_1),
        url=hardhat_url,
    )


@pytest.fixture(scope="module")
def anvil_chain_node(anvil_url: str) -> ChainNode:
    """The session's `anvil` (interval mining) with its first two development accounts."""
    w3 = Web3(Web3.HTTPProvider(anvil_url, request_kwargs={"timeout": 30}))
    return ChainNode(
        "anvil",
        w3,
        Account.from_key(HARDHAT_KEY_0),
        Account.from_key(HARDHAT_KEY_1),
        url=anvil_url,
    )


@pytest.fixture
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a fresh ledger database of this pass (tests.database): a SQLite file, or in
    the PostgreSQL pass an empty database of a real server, with the ledger tables."""
    if ON_POSTGRESQL:
        url: str = request.getfixturevalue("postgres_database")
    else:
        url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    setup = create_engine(url)
    SQLModel.metadata.create_all(setup)
    setup.dispose()
    return url


@pytest.fixture
def engine(ledger_url: str) -> Iterator[Engine]:
    """An engine on the ledger database (:func:`ledger_url`)."""
    engine = create_engine(ledger_url)
    yield engine
    engine.dispose()


def random_root() -> bytes:
    """A fresh 32-byte root nobody anchored yet."""
    return secrets.token_bytes(32)
