"""Crash test: SIGKILL `tanji serve` at random moments, at least 50 times, under load.

    python bench/crash_serve.py [--kills 50] [--seed 14] [--max-uptime 2.5] [--rpc embedded|hardhat]
                                [--data-dir DIR]

A client thread streams distinct footprints (single and bulk POSTs, each with an
Idempotency-Key, resent after a kill until answered) while the server anchors batches of up to 16
records as fast as they come (no batching delay, 50 ms polling). After a random uptime from a
seeded generator the server gets SIGKILL; the database it left is checked (every record
acknowledged so far present, pending or on its way) and the server is started again. After the
last kill the backlog drains, the server stops, and the database and the chain are checked: every
acknowledged record anchored in exactly one batch, every batch root anchored by exactly one
``RootAnchored`` event, every stored proof leading to its root.

Prints one line per kill, where the kills landed, and the summary: kills, acknowledged records,
lost records, records anchored twice, batches, seconds. Target: 0 lost and 0 twice. Exits 1
otherwise. The driver is ``tests/registry/crashloop.py`` (also run in CI with 8 kills).

``--rpc hardhat`` anchors on a `hardhat node` started for the run (needs `npm ci`): the chain then
lives in the node, which survives the kills.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

os.environ.setdefault("ETH_HASH_BACKEND", "pysha3")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.nodes import HARDHAT_KEY_0, ROOT, hardhat_node
from tests.registry.crashloop import CrashPlan, KillPoint, run_crash_loop


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=50, help="SIGKILLs (default 50)")
    parser.add_argument("--seed", type=int, default=14, help="seed of the kill times and requests")
    parser.add_argument("--max-uptime", type=float, default=2.5, help="longest run before a kill")
    parser.add_argument("--rpc", choices=("embedded", "hardhat"), default="embedded")
    parser.add_argument("--data-dir", type=Path, help="keep the data dir here (default: temp)")
    args = parser.parse_args(argv)
    if args.kills < 1:
        parser.error("--kills must be at least 1")
    if args.rpc == "hardhat" and (
        shutil.which("npx") is None or not (ROOT / "node_modules" / "hardhat").exists()
    ):
        print("--rpc hardhat needs npx and `npm ci` in the repository", file=sys.stderr)
        return 2

    with ExitStack() as stack:
        if args.data_dir is None:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tanji-crash-")))
            data_dir = work / "data"
        else:
            data_dir = args.data_dir.resolve()
            if data_dir.exists() and any(data_dir.iterdir()):
                parser.error(f"--data-dir {data_dir} is not empty")
        rpc_url = signer_key = None
        if args.rpc == "hardhat":
            rpc_url, signer_key = stack.enter_context(hardhat_node()), HARDHAT_KEY_0
        plan = CrashPlan(
            kills=args.kills,
            seed=args.seed,
            max_uptime=args.max_uptime,
            rpc_url=rpc_url,
            signer_key=signer_key,
        )
        print(
            f"crash test: {plan.kills} SIGKILLs of `tanji serve` on the {args.rpc} chain, "
            f"uptime 0-{plan.max_uptime} s, seed {plan.seed}, data {data_dir}",
            flush=True,
        )

        def progress(number: int, point: KillPoint) -> None:
            open_batches = f"sealed {point.sealed}, sent {point.sent_unmined}+{point.sent_mined}"
            when = "starting" if point.while_starting else "running "
            print(
                f"  kill {number:3d} {when} {point.uptime:4.2f} s: acknowledged "
                f"{point.acknowledged:6d}, missing {point.lost}, in flight "
                f"{'yes' if point.request_in_flight else 'no '}, unfinished batches: "
                f"{open_batches}",
                flush=True,
            )

        report = run_crash_loop(data_dir, plan, progress=progress)
    print(report.coverage())
    print(
        f"requests {report.requests} (resent after a kill: {report.retried_requests}); "
        f"roots anchored twice {report.roots_twice}; roots the database does not know "
        f"{report.unknown_roots}; bad proofs {report.bad_proofs}"
    )
    print(
        f"of {report.seconds:.0f} s: {report.start_seconds:.0f} s waiting for restarts, "
        f"{report.drain_seconds:.0f} s draining the backlog at the end"
    )
    for failure in report.failures:
        print(f"FAILURE: {failure}")
    print(report.summary())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
