"""Time, peak memory and storage for 10^3, 10^5 and 10^6 records: batching, proof storage, lookup.

    python bench/scaling.py [--sizes 1000,100000,1000000] [--databases sqlite,postgresql]
        [--batch-size 10000] [--lookups 2000] [--json bench/SCALING.json]

Each measurement runs in a subprocess of its own (one per size, and per size and database), so
its peak resident memory (``ru_maxrss``) is its own; the RSS when the stage starts is printed
beside it. In the pipeline the peaks are read after the queue stage and after seal + anchor;
the later stages hold this script's own copy of every proof for the baseline, which is not the
registry's memory (``peak`` in the JSON). Wall-clock seconds (``time.perf_counter``); the
machine may be shared, so the load average is printed before and after. Every figure has a
baseline measured in the same subprocess on the same data:

* **tree** (no database): the batcher's Merkle work for ONE tree over all n leaf hashes:
  ``anchoring.tree.MerkleTree.from_leaf_hashes`` (sort + n - 1 inner nodes) and every record's
  ``proof_hex`` (computed, then dropped). Baseline: one raw keccak-256 (pysha3) per leaf hash.
  (The registry seals at most ``batch_max_size`` <= 100,000 records a tree; 10^6 shows growth.)
* **pipeline** (SQLite in WAL with ``synchronous=FULL``, and a durable PostgreSQL: fsync and
  synchronous_commit on, started without the tests' ``-F``), on the registry's own schema
  (``registry.db.migrate``) and engine (``registry.db.make_engine``):

  - ``queue``: what intake does per record, in chunks of 10,000 with one commit each: the
    record's salted leaf (``verifier.protocol.leaf.record_leaf_value``) and
    ``anchoring.ledger.enqueue_new`` (leaf hash + multi-row insert). Baseline: the same rows,
    prepared beforehand, inserted by ``executemany`` on the raw DBAPI connection into a plain
    table of the same columns, one commit per chunk.
  - ``seal`` and ``anchor``: ``anchoring.batcher.Batcher.run_once`` until nothing is pending,
    ``--batch-size`` records a batch, on a durable embedded py-evm chain in a temporary
    directory: ``seal`` is select pending + tree + root, leaf indexes and proofs stored + commit
    (until the batcher's ``sealed`` step), ``anchor`` the rest (sign, send, receipt, records
    marked anchored). Baseline: the same proofs (read back afterwards) inserted by
    ``executemany`` as ``(id, proof JSON)`` into a plain table, one commit per batch.
  - ``lookup``: ``--lookups`` random records each (each id once), interleaved: ``proof`` is
    ``anchoring.ledger.anchored_leaf``; ``bundle`` is that plus ``anchoring.bundle.build_bundle``
    (which recomputes the record's leaf) and JSON encoding; the baseline is one
    ``SELECT * FROM anchor_record WHERE record_type = ? AND record_id = ?`` (the unique index,
    one row) on a connection of the same pool. p50 and p99 (nearest rank), ms.
  - ``storage``: bytes on disk of the ledger after the run: SQLite's file + WAL after a
    checkpoint (``anchor_record`` and ``anchor_batch`` are the only populated tables), and on
    PostgreSQL ``pg_total_relation_size`` of ``anchor_record`` and ``anchor_batch`` (heap +
    indexes + TOAST). Per record = bytes / n.

The label bundle through the registry's label tables at 10^6 labels is bench/lookup_bundles.py.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

os.environ.setdefault("ETH_HASH_BACKEND", "pysha3")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

CHUNK = 10_000
#: Debian's PostgreSQL server binaries (initdb, pg_ctl), not on PATH by default.
PG_BIN = "/usr/lib/postgresql/15/bin"
RECORD_TYPE = "footprint"
COMMAND = "python bench/scaling.py"


# -- memory and time ---------------------------------------------------------------------------


def rss_now() -> int:
    """Resident bytes of this process now."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


def rss_peak() -> int:
    """Most resident bytes this process has had (Linux reports ``ru_maxrss`` in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def percentile(values: list[float], share: float) -> float:
    """The ``share`` percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


# -- the records -------------------------------------------------------------------------------


def record_of(index: int) -> dict[str, Any]:
    """A small footprint-like record, regenerated from its index (for the bundle lookups)."""
    return {
        "type": RECORD_TYPE,
        "id": f"fp-{index:07d}",
        "product": f"laptop model {index % 97}",
        "value": 100 + index % 1000,
        "unit": "kg CO2e",
    }


def salt_of(index: int) -> bytes:
    """The record's 32-byte master salt, deterministic so lookups can rebuild the bundle."""
    return hashlib.sha256(b"tanji-bench-salt" + index.to_bytes(8, "big")).digest()


# -- child: tree -------------------------------------------------------------------------------


def child_tree(size: int) -> dict[str, Any]:
    """One tree over ``size`` leaf hashes, every proof; baseline raw keccak per leaf."""
    from sha3 import keccak_256

    from anchoring.ledger import leaf_hash_hex
    from verifier.protocol.leaf import record_leaf_value

    hashes = [
        bytes.fromhex(leaf_hash_hex(record_leaf_value(record_of(i), salt_of(i)))[2:])
        for i in range(min(size, CHUNK))
    ]
    # Beyond the first 10,000 (real record leaves), distinct leaf hashes derived from them:
    # the tree's cost does not depend on what the 32 bytes are.
    while len(hashes) < size:
        hashes.append(keccak_256(hashes[len(hashes) - CHUNK]).digest())
    from anchoring.tree import MerkleTree

    rss_start = rss_now()
    start = time.perf_counter()
    [keccak_256(h).digest() for h in hashes]
    baseline = time.perf_counter() - start

    start = time.perf_counter()
    tree = MerkleTree.from_leaf_hashes(hashes)
    build = time.perf_counter() - start
    peak_build = rss_peak()
    start = time.perf_counter()
    depth = 0
    for index in range(size):
        depth = max(depth, len(tree.proof_hex(index)))
    proofs = time.perf_counter() - start
    return {
        "stage": "tree",
        "size": size,
        "baseline_s": baseline,
        "build_s": build,
        "proofs_s": proofs,
        "depth": depth,
        "rss_start": rss_start,
        "peak_build": peak_build,
        "peak": rss_peak(),
    }


# -- child: pipeline ---------------------------------------------------------------------------


def child_pipeline(size: int, database_url: str | None, batch_size: int, lookups: int) -> Any:
    """Queue, seal, anchor and look up ``size`` records on one database."""
    import sqlalchemy as sa

    from registry.config import load_settings
    from registry.db import make_engine, migrate

    result: dict[str, Any] = {"stage": "pipeline", "size": size, "batch_size": batch_size}
    with tempfile.TemporaryDirectory(prefix="tanji-scaling-") as tmp:
        data_dir = Path(tmp)
        settings = load_settings(data_dir=data_dir, database_url=database_url)
        engine = make_engine(settings)
        migrate(engine)
        result["database"] = engine.dialect.name
        json_type = "JSONB" if engine.dialect.name == "postgresql" else "TEXT"
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "CREATE TABLE bench_record (id INTEGER PRIMARY KEY, record_type TEXT,"
                    f" record_id TEXT, leaf_value {json_type}, leaf_hash TEXT, status TEXT,"
                    " created_at TEXT, UNIQUE (record_type, record_id))"
                )
            )
            conn.execute(
                sa.text(f"CREATE TABLE bench_proof (id INTEGER PRIMARY KEY, proof {json_type})")
            )
        result["rss_start"] = rss_now()
        result.update(_queue(engine, size))
        result.update(_seal_and_anchor(engine, size, batch_size, data_dir / "chain"))
        result.update(_lookups(engine, size, lookups))
        result.update(_storage(engine, settings.data_dir))
        engine.dispose()
    return result


def _queue(engine: Any, size: int) -> dict[str, Any]:
    """Intake's ledger work per record, and its baseline, chunk by chunk, interleaved."""
    from sqlmodel import Session

    from anchoring import ledger
    from verifier.protocol.leaf import record_leaf_value

    queue_s = queue_baseline_s = 0.0
    now = ledger.utc_now().isoformat()
    insert = "INSERT INTO bench_record VALUES ({})".format(", ".join(["{p}"] * 7))
    for first in range(0, size, CHUNK):
        indexes = range(first, min(size, first + CHUNK))
        start = time.perf_counter()
        leaves = []
        for i in indexes:
            record = record_of(i)
            leaves.append((RECORD_TYPE, record["id"], record_leaf_value(record, salt_of(i))))
        with Session(engine) as session:
            ledger.enqueue_new(session, leaves)
            session.commit()
        queue_s += time.perf_counter() - start
        rows = [
            (i + 1, t, rid, json.dumps(v), ledger.leaf_hash_hex(v), "pending", now)
            for i, (t, rid, v) in zip(indexes, leaves, strict=True)
        ]
        queue_baseline_s += _executemany(engine, insert, rows)
    return {"queue_s": queue_s, "queue_baseline_s": queue_baseline_s, "peak_queue": rss_peak()}


def _seal_and_anchor(engine: Any, size: int, batch_size: int, chain_dir: Path) -> dict[str, Any]:
    """``Batcher.run_once`` until nothing is pending, on a durable embedded chain; baseline."""
    import sqlalchemy as sa
    from eth_account import Account

    from anchoring import ledger
    from anchoring.batcher import Batcher
    from anchoring.client import AnchorClient
    from anchoring.embedded import EmbeddedChain

    account = Account.from_key(hashlib.sha256(b"tanji-bench-scaling").digest())
    with EmbeddedChain.open(chain_dir, fund=[account.address]) as chain:
        client = AnchorClient.deploy(chain.w3, account, poll_interval=0.01)
        sealed_at: list[float] = []

        def on_step(step: str) -> None:
            if step == "sealed":
                sealed_at.append(time.perf_counter())

        batcher = Batcher(engine, client, max_batch=batch_size, on_step=on_step)
        seal_s = anchor_s = 0.0
        batches = 0
        while True:
            start = time.perf_counter()
            outcome = batcher.run_once()
            end = time.perf_counter()
            if outcome is None:
                break
            batches += 1
            seal_s += sealed_at[-1] - start
            anchor_s += end - sealed_at[-1]
    result = {"seal_s": seal_s, "anchor_s": anchor_s, "batches": batches, "peak_store": rss_peak()}
    with engine.connect() as conn:
        proofs = conn.execute(sa.text("SELECT id, proof FROM anchor_record ORDER BY id")).all()
        anchored = conn.execute(
            sa.text("SELECT count(*) FROM anchor_record WHERE status = :s"),
            {"s": ledger.RECORD_ANCHORED},
        ).scalar_one()
    proofs = [(i, p if isinstance(p, list) else json.loads(p)) for i, p in proofs]
    if anchored != size:
        raise RuntimeError(f"{anchored} of {size} records anchored")
    store_baseline_s = 0.0
    for first in range(0, size, batch_size):
        chunk = [(int(i), json.dumps(p)) for i, p in proofs[first : first + batch_size]]
        store_baseline_s += _executemany(engine, "INSERT INTO bench_proof VALUES ({p}, {p})", chunk)
    result["store_baseline_s"] = store_baseline_s
    return result


def _lookups(engine: Any, size: int, lookups: int) -> dict[str, Any]:
    """p50/p99 of proof, bundle and baseline lookups of random records, interleaved."""
    import sqlalchemy as sa
    from sqlmodel import Session

    from anchoring import ledger
    from anchoring.bundle import build_bundle
    from registry.api.reads import json_bytes

    def anchored(i: int) -> ledger.AnchoredLeaf:
        with Session(engine) as session:
            leaf = ledger.anchored_leaf(session, record_type=RECORD_TYPE, record_id=f"fp-{i:07d}")
        if leaf is None:
            raise RuntimeError(f"record {i} not anchored")
        return leaf

    def bundle(i: int) -> object:
        return json_bytes(build_bundle(record=record_of(i), salt=salt_of(i), leaf=anchored(i)))

    query = sa.text("SELECT * FROM anchor_record WHERE record_type = :t AND record_id = :id")

    def baseline(i: int) -> object:
        with engine.connect() as conn:
            row = conn.execute(query, {"t": RECORD_TYPE, "id": f"fp-{i:07d}"}).first()
        if row is None:
            raise RuntimeError(f"record {i} missing")
        return row

    kinds: dict[str, Callable[[int], object]] = {
        "baseline": baseline,
        "proof": anchored,
        "bundle": bundle,
    }
    rounds = lookups + 50  # the first 50 rounds warm the pool up, untimed
    picks = random.Random(size).sample(range(size), min(size, len(kinds) * rounds))
    warm_up = 50 if len(picks) == len(kinds) * rounds else 0  # too few records: time them all
    times: dict[str, list[float]] = {name: [] for name in kinds}
    for round_ in range(len(picks) // len(kinds)):
        for offset, (name, lookup) in enumerate(kinds.items()):
            start = time.perf_counter()
            lookup(picks[round_ * len(kinds) + offset])
            elapsed = 1e3 * (time.perf_counter() - start)
            if round_ >= warm_up:
                times[name].append(elapsed)
    result: dict[str, Any] = {"lookups": len(times["proof"]), "peak": rss_peak()}
    for name, values in times.items():
        result[f"{name}_p50_ms"] = percentile(values, 0.5)
        result[f"{name}_p99_ms"] = percentile(values, 0.99)
        result[f"{name}_mean_ms"] = statistics.fmean(values)
    return result


def _executemany(engine: Any, statement: str, rows: list[tuple[Any, ...]]) -> float:
    """Seconds to insert ``rows`` with the raw DBAPI ``executemany`` and commit."""
    raw = engine.raw_connection()
    try:
        placeholder = "%s" if engine.dialect.name == "postgresql" else "?"
        cursor = raw.cursor()
        start = time.perf_counter()
        cursor.executemany(statement.format(p=placeholder), rows)
        raw.commit()
        return time.perf_counter() - start
    finally:
        raw.close()


def _storage(engine: Any, data_dir: Path) -> dict[str, int]:
    import sqlalchemy as sa

    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            sizes = {
                table: int(
                    conn.execute(
                        sa.text("SELECT pg_total_relation_size(:t)"), {"t": table}
                    ).scalar_one()
                )
                for table in ("anchor_record", "anchor_batch", "bench_record", "bench_proof")
            }
            return {
                "ledger_bytes": sizes["anchor_record"] + sizes["anchor_batch"],
                "baseline_bytes": sizes["bench_record"] + sizes["bench_proof"],
            }
        # SQLite: dbstat gives each table's and index's pages.
        rows = conn.execute(sa.text("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name")).all()
        conn.execute(sa.text("PRAGMA wal_checkpoint(TRUNCATE)"))
    tables = dict(rows)
    ledger_bytes = sum(
        int(v)
        for k, v in tables.items()
        if k.startswith(
            (
                "anchor_record",
                "anchor_batch",
                "ix_anchor_record",
                "ix_anchor_batch",
                "sqlite_autoindex_anchor_record",
                "sqlite_autoindex_anchor_batch",
            )
        )
    )
    baseline_bytes = sum(
        int(v)
        for k, v in tables.items()
        if k.startswith(("bench_record", "bench_proof", "sqlite_autoindex_bench"))
    )
    file = data_dir / "registry.sqlite3"
    return {
        "ledger_bytes": ledger_bytes,
        "baseline_bytes": baseline_bytes,
        "file_bytes": file.stat().st_size,
    }


# -- parent ------------------------------------------------------------------------------------


def run_child(args: list[str]) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter; its last stdout line is its JSON."""
    done = subprocess.run(
        [sys.executable, __file__, *args], check=True, stdout=subprocess.PIPE, text=True
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


@contextmanager
def postgres() -> Iterator[str]:
    """A fresh durable PostgreSQL server (bench/ingest_footprints.py's); its URL."""
    from ingest_footprints import durable_server

    with durable_server() as url:
        yield url


def mb(value: float) -> str:
    return f"{value / 2**20:,.0f}"


def report(results: list[dict[str, Any]]) -> str:
    """The markdown tables of ``results``."""
    lines = []
    trees = [r for r in results if r["stage"] == "tree"]
    if trees:
        lines += [
            "### Merkle batching: one tree over n leaf hashes (the batcher's path)",
            "",
            "| records n | depth | build s | all n proofs s | raw keccak per leaf s (baseline) "
            "| build ÷ baseline | µs / record (build + proofs) | RSS at start MB | peak RSS MB "
            "| peak − start MB |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for r in trees:
            lines.append(
                f"| {r['size']:,} | {r['depth']} | {r['build_s']:.3f} | {r['proofs_s']:.3f} | "
                f"{r['baseline_s']:.3f} | {r['build_s'] / r['baseline_s']:.1f}× | "
                f"{1e6 * (r['build_s'] + r['proofs_s']) / r['size']:.2f} | {mb(r['rss_start'])} | "
                f"{mb(r['peak'])} | {mb(r['peak'] - r['rss_start'])} |"
            )
        lines.append("")
    pipes = [r for r in results if r["stage"] == "pipeline"]
    if pipes:
        lines += [
            "### Proof storage: queue, seal (tree + proofs stored) and anchor, durable",
            "",
            "| database | records n | batches | queue s | per s | baseline insert s | ratio "
            "| seal s | anchor s | stored per s (seal + anchor) | baseline proofs insert s "
            "| ratio | RSS at start MB | peak RSS after queue MB | after seal + anchor MB |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
            "| ---: | ---: | ---: |",
        ]
        for r in pipes:
            n = r["size"]
            store = r["seal_s"] + r["anchor_s"]
            lines.append(
                f"| {r['database']} | {n:,} | {r['batches']:,} | {r['queue_s']:.2f} | "
                f"{n / r['queue_s']:,.0f} | {r['queue_baseline_s']:.2f} | "
                f"{r['queue_s'] / r['queue_baseline_s']:.1f}× | {r['seal_s']:.2f} | "
                f"{r['anchor_s']:.2f} | {n / store:,.0f} | {r['store_baseline_s']:.2f} | "
                f"{r['seal_s'] / r['store_baseline_s']:.1f}× (seal) | {mb(r['rss_start'])} | "
                f"{mb(r['peak_queue'])} | {mb(r['peak_store'])} |"
            )
        lines += [
            "",
            "### Lookup among n anchored records (ms, p50 / p99)",
            "",
            "| database | records n | lookups | proof p50 | proof p99 | bundle p50 | bundle p99 "
            "| baseline SELECT p50 | baseline p99 | proof p99 ÷ baseline p99 |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for r in pipes:
            lines.append(
                f"| {r['database']} | {r['size']:,} | {r['lookups']:,} | {r['proof_p50_ms']:.2f} | "
                f"{r['proof_p99_ms']:.2f} | {r['bundle_p50_ms']:.2f} | {r['bundle_p99_ms']:.2f} | "
                f"{r['baseline_p50_ms']:.2f} | {r['baseline_p99_ms']:.2f} | "
                f"{r['proof_p99_ms'] / r['baseline_p99_ms']:.1f}× |"
            )
        lines += [
            "",
            "### Ledger storage on disk",
            "",
            "| database | records n | ledger MB (anchor_record + anchor_batch, with indexes) "
            "| bytes / record | baseline plain tables MB | ratio |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        for r in pipes:
            lines.append(
                f"| {r['database']} | {r['size']:,} | {r['ledger_bytes'] / 2**20:,.1f} | "
                f"{r['ledger_bytes'] / r['size']:,.0f} | {r['baseline_bytes'] / 2**20:,.1f} | "
                f"{r['ledger_bytes'] / r['baseline_bytes']:.2f}× |"
            )
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000,1000000")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--batch-size", type=int, default=10_000)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument(
        "--json", type=Path, help="also write the results here (for bench/plots.py)"
    )
    parser.add_argument(
        "--from-json",
        type=Path,
        help="print the tables of an earlier run's --json, measure nothing",
    )
    parser.add_argument("--child", choices=("tree", "pipeline"), help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.from_json is not None:
        data = json.loads(args.from_json.read_text())
        print(
            f"{data['meta']['command']} (load average after: {data['meta']['loadavg_after']:.2f})"
        )
        print(report(data["results"]))
        return 0
    if args.child == "tree":
        print(json.dumps(child_tree(args.size)))
        return 0
    if args.child == "pipeline":
        out = child_pipeline(args.size, args.database_url, args.batch_size, args.lookups)
        print(json.dumps(out))
        return 0

    sizes = [int(s) for s in args.sizes.split(",")]
    databases = args.databases.split(",")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    results: list[dict[str, Any]] = []
    common = ["--batch-size", str(args.batch_size), "--lookups", str(args.lookups)]
    if Path(PG_BIN).is_dir():
        os.environ["PATH"] = f"{PG_BIN}:{os.environ['PATH']}"
    with _maybe_postgres("postgresql" in databases) as pg:
        for size in sizes:
            print(f"  tree {size:,} ...", file=sys.stderr, flush=True)
            results.append(run_child(["--child", "tree", "--size", str(size)]))
            for database in databases:
                print(f"  pipeline {database} {size:,} ...", file=sys.stderr, flush=True)
                extra = []
                if database == "postgresql":
                    from ingest_footprints import database as pg_database

                    with pg_database(str(pg)) as url:
                        extra = ["--database-url", url]
                        results.append(
                            run_child(["--child", "pipeline", "--size", str(size), *common, *extra])
                        )
                else:
                    results.append(run_child(["--child", "pipeline", "--size", str(size), *common]))
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(report(results))
    if args.json is not None:
        meta = {
            "command": " ".join([COMMAND, *(argv if argv is not None else sys.argv[1:])]),
            "loadavg_after": os.getloadavg()[0],
        }
        args.json.write_text(json.dumps({"meta": meta, "results": results}, indent=1) + "\n")
    return 0


@contextmanager
def _maybe_postgres(wanted: bool) -> Iterator[str | None]:
    if not wanted:
        yield None
        return
    with postgres() as url:
        yield url


if __name__ == "__main__":
    raise SystemExit(main())
