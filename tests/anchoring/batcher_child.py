"""Child process of the batcher crash tests: runs the batcher, optionally kill -9's itself.

Usage::

    python -m tests.anchoring.batcher_child --db-url URL --contract ADDRESS
        (--rpc-url URL | --embedded DATA_DIR) [--max-batch N]

The signing key comes from ``TANJI_SIGNER_KEY`` (set by the test). With
``TANJI_TEST_CRASH_AFTER=<step>`` (a :data:`anchoring.batcher.StepHook` step name) the process
sends itself SIGKILL right after that step, the harshest crash there is: no ``finally`` blocks,
no flushing, no atexit. Otherwise it runs the batcher until nothing is pending and prints the
number of batches it anchored.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

os.environ.setdefault("ETH_HASH_BACKEND", "pysha3")

CRASH_ENV = "TANJI_TEST_CRASH_AFTER"


def main(argv: list[str]) -> int:
    from sqlmodel import create_engine
    from web3 import Web3

    from anchoring.batcher import Batcher
    from anchoring.client import AnchorClient
    from anchoring.signer import load_signer

    parser = argparse.ArgumentParser()
    parser.add_argument("--db-url", required=True, help="the ledger's SQLAlchemy URL")
    parser.add_argument("--contract", required=True)
    parser.add_argument("--rpc-url")
    parser.add_argument("--embedded", type=Path)
    parser.add_argument("--max-batch", type=int, default=10_000)
    args = parser.parse_args(argv)

    crash_step = os.environ.get(CRASH_ENV)

    def on_step(name: str) -> None:
        if name == crash_step:
            os.kill(os.getpid(), signal.SIGKILL)

    close = None
    if args.embedded is not None:
        from anchoring.embedded import EmbeddedChain

        chain = EmbeddedChain.open(args.embedded)
        w3, close = chain.w3, chain.close
    else:
        w3 = Web3(Web3.HTTPProvider(args.rpc_url, request_kwargs={"timeout": 30}))
    engine = create_engine(args.db_url)
    client = AnchorClient(w3, args.contract, load_signer(), receipt_timeout=60)
    try:
        outcomes = Batcher(engine, client, max_batch=args.max_batch, on_step=on_step).run_pending()
    finally:
        engine.dispose()
        if close is not None:
            close()
    print(len(outcomes))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
