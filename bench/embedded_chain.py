"""Embedded chain throughput and receipt lookups, against eth-tester's own, in the same run.

    python bench/embedded_chain.py [--txs 1000] [--baseline-txs 200] [--lookups 5]

* Throughput: ``anchor(root, count, batchRef)`` transactions signed locally and sent with
  ``eth_sendRawTransaction`` through ``web3`` (waiting for each receipt, one block per tx), on
  the durable embedded chain (SQLite, ``synchronous=FULL``) and, as the baseline, on eth-tester's
  stock in-memory chain (``EthereumTesterProvider()``).
* Receipt lookup: after ``--txs`` anchors (height ~ ``--txs``), the receipt of the first anchor
  (the oldest: eth-tester's lookup walks from the head down) looked up through the embedded
  chain's index (``w3.eth.get_transaction_receipt``) and through eth-tester's stock lookup
  (``PyEVMBackend.get_transaction_receipt``, the block scan) on the same chain.

Ratios are printed as embedded / baseline (throughput) and scan / index (lookup).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("ETH_HASH_BACKEND", "pysha3")

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_tester.backends.pyevm.main import PyEVMBackend
from web3 import Web3
from web3.providers.eth_tester import EthereumTesterProvider

from anchoring.embedded import EmbeddedChain

ARTIFACT = json.loads(
    (
        Path(__file__).resolve().parents[1] / "anchoring/artifacts/TanjiAnchorRegistry.json"
    ).read_text()
)


def deploy(w3: Web3, account: LocalAccount) -> Any:
    factory = w3.eth.contract(abi=ARTIFACT["abi"], bytecode=ARTIFACT["bytecode"])
    tx = factory.constructor(account.address).build_transaction(
        {"from": account.address, "nonce": w3.eth.get_transaction_count(account.address)}
    )
    raw = account.sign_transaction(tx).raw_transaction
    receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(raw))
    return w3.eth.contract(address=receipt["contractAddress"], abi=ARTIFACT["abi"])


def anchor_many(w3: Web3, account: LocalAccount, count: int) -> tuple[float, list[bytes]]:
    """Send ``count`` anchors; returns (transactions per second, their hashes)."""
    contract = deploy(w3, account)
    nonce = w3.eth.get_transaction_count(account.address)
    hashes = []
    start = time.perf_counter()
    for i in range(count):
        tx = contract.functions.anchor(os.urandom(32), 10, os.urandom(32)).build_transaction(
            {"from": account.address, "nonce": nonce + i, "gas": 200_000}
        )
        tx_hash = w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction)
        receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
        assert receipt["status"] == 1
        hashes.append(bytes(tx_hash))
    return count / (time.perf_counter() - start), hashes


def timed(fn: Any, repeat: int) -> float:
    """Best of ``repeat`` runs, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--txs", type=int, default=1000)
    parser.add_argument("--baseline-txs", type=int, default=200)
    parser.add_argument("--lookups", type=int, default=5)
    args = parser.parse_args(argv)
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cpus")

    account = Account.create()
    stock = Web3(EthereumTesterProvider())
    # eth-tester's stock chain funds its own keys only: move funds to our locally held key.
    stock.eth.send_transaction(
        {"from": stock.eth.accounts[0], "to": account.address, "value": 10**22}
    )
    baseline_tps, _ = anchor_many(stock, account, args.baseline_txs)

    with (
        tempfile.TemporaryDirectory() as data_dir,
        EmbeddedChain.open(Path(data_dir), fund=[account.address]) as chain,
    ):
        tps, hashes = anchor_many(chain.w3, account, args.txs)
        height = chain.w3.eth.block_number
        oldest = hashes[0]
        index_s = timed(lambda: chain.w3.eth.get_transaction_receipt(oldest), args.lookups)
        scan_s = timed(
            lambda: PyEVMBackend.get_transaction_receipt(chain.backend, oldest), args.lookups
        )
        direct_s = timed(lambda: chain.backend.get_transaction_receipt(oldest), args.lookups)

    print("throughput, anchor() via web3, signed locally, one block per tx:")
    print(f"  eth-tester in memory (baseline, {args.baseline_txs} txs): {baseline_tps:8.1f} tx/s")
    print(f"  embedded, SQLite WAL synchronous=FULL ({args.txs} txs): {tps:8.1f} tx/s")
    print(f"  ratio embedded / baseline: {tps / baseline_tps:.2f}")
    print(f"receipt of the oldest anchor at height {height} (best of {args.lookups}):")
    print(f"  eth-tester block scan (baseline, backend): {scan_s * 1000:9.2f} ms")
    print(f"  embedded index (backend):                  {direct_s * 1000:9.2f} ms")
    print(f"  embedded index (through web3):             {index_s * 1000:9.2f} ms")
    print(f"  ratio scan / index (backend): {scan_s / direct_s:.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
