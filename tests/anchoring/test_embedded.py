"""The durable embedded chain: restart, kill -9, the data-dir lock, the tx index, threads.

Everything runs on the real py-evm chain over real SQLite files; child processes are real
processes killed with SIGKILL.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractCustomError

from anchoring.embedded import (
    EMBEDDED_CHAIN_ID,
    ChainClosedError,
    ChainFundingError,
    EmbeddedChain,
    EmbeddedChainError,
)
from anchoring.errors import AnchoringError, ChainLockedError

ROOT = Path(__file__).resolve().parents[2]
ARTIFACT = json.loads((ROOT / "anchoring" / "artifacts" / "TanjiAnchorRegistry.json").read_text())
CRASH_CHILD = Path(__file__).with_name("crash_child.py")


@pytest.fixture
def account() -> LocalAccount:
    """A fresh key for each test (never a key written in code)."""
    return Account.create()


@pytest.fixture
def chain(tmp_path: Path, account: LocalAccount) -> Iterator[EmbeddedChain]:
    with EmbeddedChain.open(tmp_path, fund=[account.address]) as opened:
        yield opened


def send(w3: Web3, account: LocalAccount, tx: dict[str, Any]) -> Any:
    """Sign locally, send with eth_sendRawTransaction, wait for the receipt."""
    signed = account.sign_transaction(tx)
    return w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(signed.raw_transaction))


def deploy(w3: Web3, account: LocalAccount) -> Contract:
    factory = w3.eth.contract(abi=ARTIFACT["abi"], bytecode=ARTIFACT["bytecode"])
    nonce = w3.eth.get_transaction_count(account.address)
    tx = factory.constructor(account.address).build_transaction(
        {"from": account.address, "nonce": nonce}
    )
    receipt = send(w3, account, tx)
    assert receipt["status"] == 1
    return w3.eth.contract(address=receipt["contractAddress"], abi=ARTIFACT["abi"])


def anchor(w3: Web3, account: LocalAccount, contract: Contract, root: bytes) -> Any:
    nonce = w3.eth.get_transaction_count(account.address)
    tx = contract.functions.anchor(root, 3, b"\x01" * 32).build_transaction(
        {"from": account.address, "nonce": nonce}
    )
    receipt = send(w3, account, tx)
    assert receipt["status"] == 1
    return receipt


def anchored_block(contract: Contract, root: bytes) -> int:
    """The block a root was anchored in, read from the contract (0 when not anchored)."""
    return int(contract.functions.anchorOf(root).call()[0])


def test_open_creates_a_funded_chain_in_the_data_dir(
    tmp_path: Path, chain: EmbeddedChain, account: LocalAccount
) -> None:
    assert chain.w3.eth.chain_id == EMBEDDED_CHAIN_ID == 20240
    assert chain.w3.eth.get_balance(account.address) > 10**21
    assert chain.path == tmp_path / "chain" / "chain.sqlite"
    mode = sqlite3.connect(chain.path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    pid, command = (tmp_path / "chain" / "LOCK").read_text().splitlines()[:2]
    assert int(pid) == os.getpid()
    assert command


def test_contract_deploy_call_logs_and_revert_data(
    chain: EmbeddedChain, account: LocalAccount
) -> None:
    w3 = chain.w3
    contract = deploy(w3, account)
    root = os.urandom(32)
    receipt = anchor(w3, account, contract, root)
    assert anchored_block(contract, root) == receipt["blockNumber"]
    events = contract.events.RootAnchored().get_logs(from_block=0)
    assert [bytes(e["args"]["root"]) for e in events] == [root]
    # A revert reaches web3 with its data, as from a real node: decodable custom errors.
    with pytest.raises(ContractCustomError) as reverted:
        contract.functions.anchor(root, 3, b"\x01" * 32).call({"from": account.address})
    selector = Web3.keccak(text="TanjiRootAlreadyAnchored(bytes32,uint64)")[:4]
    assert bytes.fromhex(str(reverted.value.data)[2:10]) == selector


def test_restart_keeps_head_state_root_storage_and_receipts(
    tmp_path: Path, account: LocalAccount
) -> None:
    roots = [os.urandom(32) for _ in range(4)]
    with EmbeddedChain.open(tmp_path, fund=[account.address]) as chain:
        contract = deploy(chain.w3, account)
        receipts = [anchor(chain.w3, account, contract, root) for root in roots]
        head = chain.head()
        slot0 = chain.w3.eth.get_storage_at(contract.address, 0)
    assert chain.closed
    with EmbeddedChain.open(tmp_path, fund=[account.address]) as chain:
        assert chain.head() == head
        block = chain.w3.eth.get_block("latest")
        assert (block["number"], bytes(block["hash"]), bytes(block["stateRoot"])) == head
        reopened = chain.w3.eth.contract(address=contract.address, abi=ARTIFACT["abi"])
        for root, receipt in zip(roots, receipts, strict=True):
            assert anchored_block(reopened, root) == receipt["blockNumber"]
            again = chain.w3.eth.get_transaction_receipt(receipt["transactionHash"])
            assert again["blockNumber"] == receipt["blockNumber"]
            assert again["logs"][0]["topics"] == receipt["logs"][0]["topics"]
        assert chain.w3.eth.get_storage_at(contract.address, 0) == slot0
        # The reopened chain keeps going from its head: nonce and state continue.
        later = anchor(chain.w3, account, reopened, os.urandom(32))
        assert later["blockNumber"] == head[0] + 1


def test_reopen_refuses_to_fund_a_new_address(tmp_path: Path, account: LocalAccount) -> None:
    EmbeddedChain.open(tmp_path, fund=[account.address]).close()
    stranger = Account.create().address
    with pytest.raises(ChainFundingError) as refused:
        EmbeddedChain.open(tmp_path, fund=[account.address, stranger])
    assert stranger in str(refused.value)
    assert isinstance(refused.value, AnchoringError)
    # The refused open released the lock: the next open works.
    EmbeddedChain.open(tmp_path, fund=[account.address]).close()


def test_reopen_with_another_chain_id_is_refused(tmp_path: Path) -> None:
    EmbeddedChain.open(tmp_path).close()
    with pytest.raises(EmbeddedChainError, match="chain id 20240"):
        EmbeddedChain.open(tmp_path, chain_id=31337)


def test_bad_fund_address_is_refused(tmp_path: Path) -> None:
    with pytest.raises(EmbeddedChainError, match="not a hex address"):
        EmbeddedChain.open(tmp_path, fund=["0x1234"])


def test_closed_chain_refuses_requests(tmp_path: Path) -> None:
    chain = EmbeddedChain.open(tmp_path)
    chain.close()
    chain.close()  # idempotent
    with pytest.raises(ChainClosedError):
        chain.w3.eth.get_block("latest")


_TRY_OPEN = """
import sys
from pathlib import Path
from anchoring.embedded import EmbeddedChain
from anchoring.errors import ChainLockedError
try:
    EmbeddedChain.open(Path(sys.argv[1])).close()
except ChainLockedError as error:
    print("LOCKED", error.holder_pid, error)
    sys.exit(3)
print("OPENED")
"""


def _try_open_in_child(data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _TRY_OPEN, str(data_dir)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


def test_second_process_gets_chain_locked_error_naming_the_holder(tmp_path: Path) -> None:
    chain = EmbeddedChain.open(tmp_path)
    try:
        refused = _try_open_in_child(tmp_path)
        assert refused.returncode == 3, refused.stderr
        words = refused.stdout.split()
        assert words[:2] == ["LOCKED", str(os.getpid())]
        assert f"process {os.getpid()}" in refused.stdout
        # A second open in the same process is refused as well.
        with pytest.raises(ChainLockedError) as again:
            EmbeddedChain.open(tmp_path)
        assert again.value.holder_pid == os.getpid()  # type: ignore[attr-defined]
    finally:
        chain.close()
    opened = _try_open_in_child(tmp_path)
    assert opened.returncode == 0 and opened.stdout.strip() == "OPENED", opened.stderr


def _run_child_until_killed(
    data_dir: Path, key: str, rng: random.Random, contract: str | None
) -> list[dict[str, Any]]:
    """Run crash_child.py, read its reports, SIGKILL it after a random number of anchors."""
    args = [sys.executable, str(CRASH_CHILD), str(data_dir)] + ([contract] if contract else [])
    env = {**os.environ, "TANJI_SIGNER_KEY": key}
    child = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    assert child.stdout is not None
    kill_after = rng.randint(3, 12)
    events: list[dict[str, Any]] = []
    try:
        anchored = 0
        for line in child.stdout:
            events.append(json.loads(line))
            anchored += events[-1]["event"] == "anchored"
            if anchored >= kill_after:
                # Land the kill at a random point of the next transaction, not between two.
                threading.Event().wait(rng.uniform(0.0, 0.06))
                break
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        # Everything the child printed before dying counts as reported, read or not yet.
        events.extend(json.loads(line) for line in child.stdout)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL, f"child ended on its own: {child.returncode}"
    assert sum(e["event"] == "anchored" for e in events) >= kill_after
    return events


@pytest.mark.slow
def test_kill_9_mid_transaction_loses_nothing_reported(tmp_path: Path) -> None:
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    key = Account.create().key.to_0x_hex()
    account = Account.from_key(key)
    first = _run_child_until_killed(tmp_path, key, rng, None)
    contract_address = next(e["contract"] for e in first if e["event"] == "deployed")
    # The second run reopens the killed chain, keeps anchoring, and is killed again.
    second = _run_child_until_killed(tmp_path, key, rng, contract_address)
    reported = [e for e in first + second if e["event"] == "anchored"]

    with EmbeddedChain.open(tmp_path, fund=[account.address]) as chain:
        w3 = chain.w3
        contract = w3.eth.contract(address=contract_address, abi=ARTIFACT["abi"])
        number, block_hash, state_root = chain.head()
        last = reported[-1]
        # The head is the last reported block, or the one after it when the kill fell between
        # the block's commit and the child printing its receipt.
        assert number in (last["block"], last["block"] + 1), f"seed {seed}"
        if number == last["block"] + 1:
            (tx_hash,) = w3.eth.get_block(number)["transactions"]
            assert w3.eth.get_transaction(tx_hash)["nonce"] == last["nonce"] + 1
        block = w3.eth.get_block(number)
        assert (bytes(block["hash"]), bytes(block["stateRoot"])) == (block_hash, state_root)
        for event in reported:
            assert event["status"] == 1
            receipt = w3.eth.get_transaction_receipt(event["tx"])
            assert receipt["blockNumber"] == event["block"], f"seed {seed}"
            assert anchored_block(contract, bytes.fromhex(event["root"][2:])) == event["block"]
        # On chain, the account's nonces run without a gap and every reported transaction is the
        # one holding its nonce: nothing reported was lost and replaced. A kill that fell between
        # a block's commit and the child's print leaves one unreported transaction per kill.
        on_chain: dict[int, str] = {}
        for height in range(reported[0]["block"], number + 1):
            for tx_hash in w3.eth.get_block(height)["transactions"]:
                tx = w3.eth.get_transaction(tx_hash)
                assert tx["nonce"] not in on_chain, f"seed {seed}"
                on_chain[tx["nonce"]] = tx_hash.to_0x_hex()
        first_nonce = reported[0]["nonce"]
        assert sorted(on_chain) == list(range(first_nonce, first_nonce + len(on_chain)))
        for event in reported:
            assert on_chain[event["nonce"]] == event["tx"], f"seed {seed}"
        assert len(on_chain) - len(reported) <= 2, f"seed {seed}"
        # The chain is usable after the crash.
        receipt = anchor(w3, account, contract, os.urandom(32))
        assert receipt["blockNumber"] == number + 1


def test_receipt_lookup_at_height_500_uses_the_index(
    chain: EmbeddedChain, account: LocalAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    w3 = chain.w3
    contract = deploy(w3, account)
    root = os.urandom(32)
    receipt = anchor(w3, account, contract, root)
    chain.mine_empty_blocks(520)
    assert w3.eth.block_number >= 500

    # eth-tester's own lookup walks every block from the head down; make it fail loudly.
    import eth_tester.backends.pyevm.main as pyevm_main

    def scan(*args: object) -> None:
        raise AssertionError("eth-tester's block scan was used")

    monkeypatch.setattr(pyevm_main, "_get_transaction_by_hash", scan)
    hits = chain.backend.index_hits
    found = w3.eth.get_transaction_receipt(receipt["transactionHash"])
    tx = w3.eth.get_transaction(receipt["transactionHash"])
    assert chain.backend.index_hits == hits + 2
    assert found["blockNumber"] == tx["blockNumber"] == receipt["blockNumber"]
    assert found["transactionIndex"] == 0
    missing = "0x" + "ab" * 32
    with pytest.raises(Exception, match="not found"):
        w3.eth.get_transaction_receipt(missing)


def test_anchoring_thread_and_reader_threads_share_the_chain(
    chain: EmbeddedChain, account: LocalAccount
) -> None:
    from anchoring.rpc import handle_rpc

    w3 = chain.w3
    contract = deploy(w3, account)
    roots = [os.urandom(32) for _ in range(12)]
    receipts: list[Any] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def writer() -> None:
        try:
            for root in roots:
                receipts.append(anchor(w3, account, contract, root))
        except BaseException as error:  # reported by the main thread
            errors.append(error)
        finally:
            done.set()

    def reader() -> None:
        try:
            while not done.is_set():
                answer = handle_rpc(chain, {"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber"})
                assert isinstance(answer, dict) and "result" in answer, answer
                for receipt in list(receipts):
                    tx_hash = receipt["transactionHash"].to_0x_hex()
                    request = {
                        "jsonrpc": "2.0",
                        "id": 2,
                        "method": "eth_getTransactionReceipt",
                        "params": [tx_hash],
                    }
                    answer = handle_rpc(chain, request)
                    assert isinstance(answer, dict)
                    assert answer["result"]["status"] == "0x1", answer
                contract.functions.anchorOf(roots[0]).call()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=writer)] + [
        threading.Thread(target=reader) for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert len(receipts) == len(roots)
    for root, receipt in zip(roots, receipts, strict=True):
        assert anchored_block(contract, root) == receipt["blockNumber"]
