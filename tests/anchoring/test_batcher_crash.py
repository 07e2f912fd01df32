"""kill -9 at every step boundary of the batcher, then recovery by a fresh process.

A child process (``tests/anchoring/batcher_child.py``) runs the batcher and SIGKILLs itself right
after one step; a second child recovers. On Hardhat the chain lives in the node process, which
survives the child; on the embedded chain it lives in the data dir, which must survive too.
Afterwards every record must be anchored exactly once: one ``RootAnchored`` event per root, each
record in exactly one anchored batch, every stored proof leading to its root.
"""

from __future__ import annotations

import secrets
import signal
import subprocess
import sys
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from sqlalchemy import Engine
from sqlmodel import Session, select

from anchoring import ledger
from anchoring.client import AnchorClient
from anchoring.ledger import AnchorRevocation
from tests.anchoring.batcher_child import CRASH_ENV
from tests.anchoring.conftest import ChainNode, open_embedded
from tests.anchoring.test_batcher import assert_all_anchored_once, enqueue
from tests.nodes import HARDHAT_KEY_0, ROOT

pytestmark = pytest.mark.slow

BATCH_STEPS = ["sealed", "signed", "sent", "anchored"]
REVOCATION_STEPS = ["revocation_signed", "revocation_sent", "revocation_anchored"]


class CrashTarget(ABC):
    """Where the children find the chain, and how the parent looks at it afterwards."""

    def __init__(self, key: str, chain_args: list[str]) -> None:
        self.key = key
        self.chain_args = chain_args
        self.account: LocalAccount = Account.from_key(key)

    @abstractmethod
    def client(self, address: str | None = None) -> AbstractContextManager[AnchorClient]:
        """A client of the deployed contract (a new deployment when ``address`` is None)."""

    def run_child(self, db: str, contract: str, crash_after: str | None, max_batch: int) -> int:
        env = {"TANJI_SIGNER_KEY": self.key, "PATH": "/usr/bin:/bin", "ETH_HASH_BACKEND": "pysha3"}
        if crash_after:
            env[CRASH_ENV] = crash_after
        command = [sys.executable, "-m", "tests.anchoring.batcher_child", "--db-url", db]
        command += ["--contract", contract, "--max-batch", str(max_batch), *self.chain_args]
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, timeout=300)
        if done.returncode not in (0, -signal.SIGKILL):
            raise AssertionError(f"child failed ({done.returncode}): {done.stderr.decode()}")
        return done.returncode


class HardhatTarget(CrashTarget):
    def __init__(self, node: ChainNode) -> None:
        assert node.url is not None
        super().__init__(HARDHAT_KEY_0, ["--rpc-url", node.url])
        self.node = node

    @contextmanager
    def client(self, address: str | None = None) -> Iterator[AnchorClient]:
        if address is None:
            yield AnchorClient.deploy(self.node.w3, self.account)
        else:
            yield AnchorClient(self.node.w3, address, self.account)


class EmbeddedTarget(CrashTarget):
    def __init__(self, data_dir: Path) -> None:
        super().__init__("0x" + secrets.token_bytes(32).hex(), ["--embedded", str(data_dir)])
        self.data_dir = data_dir

    @contextmanager
    def client(self, address: str | None = None) -> Iterator[AnchorClient]:
        # The chain is opened only while the parent looks: children need the data dir's lock.
        w3, close = open_embedded(self.data_dir, [self.account.address])
        try:
            if address is None:
                yield AnchorClient.deploy(w3, self.account)
            else:
                yield AnchorClient(w3, address, self.account)
        finally:
            close()


@pytest.fixture(params=["embedded", pytest.param("hardhat", marks=pytest.mark.hardhat)])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> CrashTarget:
    if request.param == "hardhat":
        return HardhatTarget(request.getfixturevalue("hardhat_node"))
    return EmbeddedTarget(tmp_path / "data")


@pytest.mark.parametrize("step", BATCH_STEPS)
def test_kill_during_batch_then_recover(
    target: CrashTarget, engine: Engine, ledger_url: str, step: str
) -> None:
    with target.client() as client:
        contract = client.address
    enqueue(engine, 5)
    db = ledger_url
    # Two records per batch: the crash hits the first batch, the others wait behind it.
    assert target.run_child(db, contract, step, max_batch=2) == -signal.SIGKILL
    assert target.run_child(db, contract, None, max_batch=2) == 0
    with target.client(contract) as client:
        assert_all_anchored_once(engine, client)
        logs = client.contract.events.RootAnchored.get_logs(from_block=0)
        assert len(logs) == 3


@pytest.mark.parametrize("step", REVOCATION_STEPS)
def test_kill_during_revocation_then_recover(
    target: CrashTarget, engine: Engine, ledger_url: str, step: str
) -> None:
    with target.client() as client:
        contract = client.address
    keys = enqueue(engine, 3)
    db = ledger_url
    assert target.run_child(db, contract, None, max_batch=10) == 0
    with Session(engine) as session:
        ledger.request_revocation(session, record_type="label", record_id=keys[1][1], reason=5)
        session.commit()
    assert target.run_child(db, contract, step, max_batch=10) == -signal.SIGKILL
    assert target.run_child(db, contract, None, max_batch=10) == 0
    with Session(engine) as session:
        revocation = session.exec(select(AnchorRevocation)).one()
    assert revocation.status == "anchored"
    with target.client(contract) as client:
        logs = client.contract.events.LeafRevoked.get_logs(from_block=0)
        assert [(log["args"]["leaf"], log["args"]["reason"]) for log in logs] == [
            (bytes.fromhex(revocation.leaf_hash[2:]), 5)
        ]
        assert_all_anchored_once(engine, client)
