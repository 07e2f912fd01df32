"""Draw docs/PERFORMANCE.md's plots (PNG, matplotlib) from the figures the benches wrote.

    python bench/plots.py [--scaling bench/SCALING.json] [--gas bench/GAS.json] [--out docs/img]

Inputs: ``bench/SCALING.json`` (``python bench/scaling.py --json bench/SCALING.json``) and
``bench/GAS.json`` (``npx hardhat run bench/gas.js``). Nothing is measured here; every point is a
figure of those files. Writes ``scaling_time.png``, ``scaling_memory.png``, ``lookup_p99.png``,
``storage_per_record.png``, ``gas_per_record.png`` and ``bytes_per_record.png``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

ROOT = Path(__file__).resolve().parent.parent
MB = 2**20


def _save(fig: Any, path: Path, source: str) -> None:
    fig.text(0.01, 0.01, source, fontsize=7, color="#555555")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def scaling_plots(data: dict[str, Any], out: Path) -> None:
    """Time, memory, lookup and storage against n."""
    source = f"source: {data['meta']['command']}"
    results = data["results"]
    trees = [r for r in results if r["stage"] == "tree"]
    pipes = [r for r in results if r["stage"] == "pipeline"]
    databases = sorted({r["database"] for r in pipes})

    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    n = [r["size"] for r in trees]
    ax.plot(n, [1e6 * r["build_s"] / r["size"] for r in trees], "o-", label="tree build")
    ax.plot(n, [1e6 * r["proofs_s"] / r["size"] for r in trees], "o-", label="all proofs")
    ax.plot(
        n, [1e6 * r["baseline_s"] / r["size"] for r in trees], "o--", label="raw keccak (baseline)"
    )
    for db in databases:
        rows = [r for r in pipes if r["database"] == db]
        m = [r["size"] for r in rows]
        ax.plot(m, [1e6 * r["queue_s"] / r["size"] for r in rows], "s-", label=f"queue ({db})")
        ax.plot(
            m,
            [1e6 * (r["seal_s"] + r["anchor_s"]) / r["size"] for r in rows],
            "^-",
            label=f"seal + anchor ({db})",
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("records n")
    ax.set_ylabel("µs per record (wall clock)")
    ax.set_title("Time per record as n grows")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    _save(fig, out / "scaling_time.png", source)

    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    ax.plot(n, [(r["peak"] - r["rss_start"]) / MB for r in trees], "o-", label="tree: peak − start")
    for db in databases:
        rows = [r for r in pipes if r["database"] == db]
        ax.plot(
            [r["size"] for r in rows],
            [r["peak_store"] / MB for r in rows],
            "s-",
            label=f"queue + seal + anchor, peak RSS ({db})",
        )
    ax.set_xscale("log")
    ax.set_xlabel("records n")
    ax.set_ylabel("MB")
    ax.set_title("Peak resident memory")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    _save(fig, out / "scaling_memory.png", source)

    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    for db in databases:
        rows = [r for r in pipes if r["database"] == db]
        m = [r["size"] for r in rows]
        ax.plot(m, [r["proof_p99_ms"] for r in rows], "o-", label=f"proof p99 ({db})")
        ax.plot(m, [r["bundle_p99_ms"] for r in rows], "^-", label=f"bundle p99 ({db})")
        ax.plot(
            m, [r["baseline_p99_ms"] for r in rows], "s--", label=f"SELECT p99 ({db}, baseline)"
        )
    ax.axhline(5.0, color="red", linewidth=0.8, linestyle=":", label="target 5 ms")
    ax.set_xscale("log")
    ax.set_xlabel("anchored records n")
    ax.set_ylabel("ms")
    ax.set_title("Lookup p99 among n records")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    _save(fig, out / "lookup_p99.png", source)

    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    for db in databases:
        rows = [r for r in pipes if r["database"] == db]
        m = [r["size"] for r in rows]
        ax.plot(m, [r["ledger_bytes"] / r["size"] for r in rows], "o-", label=f"ledger ({db})")
        ax.plot(
            m, [r["baseline_bytes"] / r["size"] for r in rows], "s--", label=f"plain tables ({db})"
        )
    ax.set_xscale("log")
    ax.set_xlabel("records n")
    ax.set_ylabel("bytes on disk per record")
    ax.set_title("Ledger storage per record (leaf, proof, indexes)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    _save(fig, out / "storage_per_record.png", source)


def gas_plots(data: dict[str, Any], out: Path) -> None:
    """Gas and on-chain bytes per record against batch size."""
    source = f"source: {data['command']} (hardhat {data['hardhat']}, {data['hardfork']})"
    anchors = data["anchors"]
    n = [a["n"] for a in anchors]
    naive_gas = data["naive"][-1]["perRecord"]
    naive_bytes = data["naive"][-1]["bytesPerRecord"]

    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    ax.plot(n, [a["gas"] / a["n"] for a in anchors], "o-", label="Tanji: anchor() gas / record")
    ax.axhline(
        naive_gas, color="gray", linestyle="--", label=f"one tx per record ({naive_gas:,.0f})"
    )
    leaf = {r["depth"]: r["gas"] for r in data["revokes"]}
    ax.axhline(
        leaf[17], color="purple", linestyle=":", label=f"revokeLeaf, depth 17 ({leaf[17]:,})"
    )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("records per root (batch size)")
    ax.set_ylabel("gas per record")
    ax.set_title("Gas per record as batches grow (one root: the same gas for any size)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    _save(fig, out / "gas_per_record.png", source)

    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    ax.plot(
        n, [a["bytes"]["onChain"] / a["n"] for a in anchors], "o-", label="tx + logs + new state"
    )
    ax.plot(n, [a["bytes"]["calldataBytes"] / a["n"] for a in anchors], "s-", label="calldata")
    ax.axhline(
        naive_bytes, color="gray", linestyle="--", label=f"one tx per record ({naive_bytes:,.0f})"
    )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("records per root (batch size)")
    ax.set_ylabel("on-chain bytes per record")
    ax.set_title("On-chain bytes per record as batches grow")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    _save(fig, out / "bytes_per_record.png", source)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scaling", type=Path, default=ROOT / "bench" / "SCALING.json")
    parser.add_argument("--gas", type=Path, default=ROOT / "bench" / "GAS.json")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.scaling.exists():
        scaling_plots(json.loads(args.scaling.read_text()), args.out)
    if args.gas.exists():
        gas_plots(json.loads(args.gas.read_text()), args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
