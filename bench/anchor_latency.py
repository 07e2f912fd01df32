"""Anchoring latency: ``Batcher.run_once()`` from start to anchored, against a bare transaction.

    python bench/anchor_latency.py [--sizes 1,100,10000] [--repeat 3] [--nodes embedded,hardhat]

For each node (the durable embedded chain in a temporary data dir, and a ``hardhat node`` this
script starts on loopback) and each batch size, pending records are queued in a fresh SQLite
ledger (not timed), then one ``run_once()`` is timed: select the records, build the Merkle tree
from their leaf hashes, store root and proofs, sign and store the transaction, send it, wait for
the receipt, mark everything anchored (four SQLite commits).

Baseline, measured on the same node in the same run: a bare ``eth_sendRawTransaction`` of a
minimal transaction (a 0-value self-transfer, signed beforehand) followed by polling for its
receipt with the same poll interval. ratio = run_once seconds / baseline seconds: how many bare
transactions one anchored batch costs. Figures are medians of ``--repeat`` runs (one run for
batches of 10,000 and more); the machine may be shared, so its load average is printed.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

os.environ.setdefault("ETH_HASH_BACKEND", "pysha3")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from eth_account import Account
from eth_account.signers.local import LocalAccount
from sqlmodel import Session, SQLModel, create_engine
from web3 import Web3

from anchoring import ledger
from anchoring.batcher import Batcher
from anchoring.client import AnchorClient

POLL = 0.01


@contextmanager
def embedded_chain() -> Iterator[tuple[Web3, LocalAccount]]:
    """A fresh embedded chain with one funded account."""
    from anchoring.embedded import EmbeddedChain

    account = Account.from_key(secrets.token_bytes(32))
    with (
        tempfile.TemporaryDirectory() as data_dir,
        EmbeddedChain.open(Path(data_dir), fund=[account.address]) as chain,
    ):
        yield chain.w3, account


@contextmanager
def hardhat_chain() -> Iterator[tuple[Web3, LocalAccount]]:
    """A `hardhat node` started for this run, with its first development account."""
    from tests.nodes import HARDHAT_KEY_0, hardhat_node

    with hardhat_node() as url:
        yield Web3(Web3.HTTPProvider(url)), Account.from_key(HARDHAT_KEY_0)


def bare_transaction(w3: Web3, account: LocalAccount) -> float:
    """Seconds for eth_sendRawTransaction of a signed self-transfer plus its receipt."""
    tx = {
        "to": account.address,
        "value": 0,
        "gas": 21_000,
        "nonce": w3.eth.get_transaction_count(account.address, "pending"),
        "chainId": w3.eth.chain_id,
        "gasPrice": 2 * w3.eth.gas_price,
    }
    raw = account.sign_transaction(tx).raw_transaction
    started = time.perf_counter()
    tx_hash = w3.eth.send_raw_transaction(raw)
    while True:
        try:
            w3.eth.get_transaction_receipt(tx_hash)
            break
        except Exception:  # TransactionNotFound until mined
            time.sleep(POLL)
    return time.perf_counter() - started


def anchored_batch(client: AnchorClient, size: int, workdir: Path) -> float:
    """Seconds for one run_once() anchoring ``size`` freshly queued records."""
    engine = create_engine(f"sqlite:///{workdir / f'ledger-{secrets.token_hex(4)}.sqlite'}")
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        for i in range(size):
            record_id = f"LBL-{i:06d}"
            digest = "0x" + secrets.token_bytes(32).hex()
            ledger.enqueue(
                session,
                record_type="label",
                record_id=record_id,
                leaf_value=["label", record_id, digest],
            )
        session.commit()
    batcher = Batcher(engine, client, max_batch=size)
    started = time.perf_counter()
    outcome = batcher.run_once()
    elapsed = time.perf_counter() - started
    assert outcome is not None and outcome.record_count == size
    engine.dispose()
    return elapsed


def median_of(repeat: int, run: Callable[[], float]) -> float:
    return statistics.median(run() for _ in range(repeat))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,100,10000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--nodes", default="embedded,hardhat")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    nodes = {"embedded": embedded_chain, "hardhat": hardhat_chain}
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        for name in args.nodes.split(","):
            with nodes[name]() as (w3, account):
                client = AnchorClient.deploy(w3, account, poll_interval=POLL)
                baseline = median_of(max(args.repeat, 5), lambda: bare_transaction(w3, account))
                for size in sizes:
                    repeat = 1 if size >= 10_000 else args.repeat
                    seconds = median_of(
                        repeat,
                        lambda c=client, n=size: anchored_batch(c, n, Path(workdir)),
                    )
                    rows.append((name, size, seconds, baseline))
                    print(f"  {name} {size}: {seconds:.3f}s", file=sys.stderr)
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("| node | records | run_once (s) | bare tx (s) | ratio | ms/record |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, size, seconds, baseline in rows:
        print(
            f"| {name} | {size:,} | {seconds:.3f} | {baseline:.4f} | "
            f"{seconds / baseline:.1f} | {1000 * seconds / size:.3f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
