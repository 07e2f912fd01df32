"""Bytes on disk per footprint, label, audit entry and ledger record on PostgreSQL (for capacity).

    python bench/row_sizes.py [--footprints 10000] [--labels 100000]

On a fresh durable PostgreSQL (bench/ingest_footprints.py's server), through the registry's own
code:

- ``--footprints`` footprints go in as the bulk route does (``registry.crud.footprints.add_bulk``,
  1,000 a commit, via bench/ingest_footprints.py's ``ingest``): each footprint row with its
  salted record, its ledger row (pending) and its audit entry;
- ``--labels`` labels are seeded by bench/seed_labels.py: label rows with their anchored ledger
  rows (proofs of batches of 1,000).

Then ``VACUUM ANALYZE`` and ``pg_total_relation_size`` (heap + indexes + TOAST) of each table,
divided by its live rows. Baseline, in the same database: the same footprints as plain rows
(bench/ingest_footprints.py's ``baseline_rows``: id, org, hash, category, GTIN, data and record
JSON, salt) in a table with the same keys, so ``ratio`` is what the registry's schema costs over
the bare data. DEPLOYMENT.md's storage estimate multiplies these figures.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("ETH_HASH_BACKEND", "pysha3")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from ingest_footprints import (  # noqa: E402
    BASELINE_TABLE,
    COLUMNS,
    baseline_rows,
    database,
    durable_server,
    ingest,
)
from registry_ingest import footprint  # noqa: E402

from registry.config import load_settings  # noqa: E402
from registry.db import make_engine, migrate  # noqa: E402

PG_BIN = "/usr/lib/postgresql/15/bin"
PER_COMMIT = 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--footprints", type=int, default=10_000)
    parser.add_argument("--labels", type=int, default=100_000)
    args = parser.parse_args(argv)
    if Path(PG_BIN).is_dir():
        os.environ["PATH"] = f"{PG_BIN}:{os.environ['PATH']}"
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    batches = [
        [footprint(b * PER_COMMIT + i) for i in range(PER_COMMIT)]
        for b in range(max(1, args.footprints // PER_COMMIT))
    ]
    with tempfile.TemporaryDirectory() as tmp, durable_server() as server, database(server) as url:
        engine = make_engine(load_settings(data_dir=Path(tmp) / "data", database_url=url))
        migrate(engine)
        ingest(engine, batches)
        engine.dispose()
        subprocess.run(
            [
                *(sys.executable, str(ROOT / "bench" / "seed_labels.py"), "--data-dir", tmp),
                *("--database-url", url, "--count", str(args.labels)),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(BASELINE_TABLE.format(json="JSONB", time="TIMESTAMPTZ"))
            with conn.cursor() as cur:
                for batch in batches:
                    cur.executemany(
                        f"INSERT INTO bench_footprint ({COLUMNS})"
                        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, now())",
                        baseline_rows(batch),
                    )
            conn.execute("VACUUM ANALYZE")
            tables = conn.execute(
                "SELECT relname, pg_total_relation_size(relid) FROM pg_stat_user_tables"
                " ORDER BY relname"
            ).fetchall()
            sizes: dict[str, tuple[int, int]] = {}
            for name, size in tables:
                found = conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()
                if found is not None and int(found[0]) >= PER_COMMIT:
                    sizes[str(name)] = (int(size), int(found[0]))
    base_size, base_rows = sizes.pop("bench_footprint")
    base = base_size / base_rows
    print(f"{'table':<16}{'rows':>10}{'MB':>10}{'bytes/row':>11}{'÷ baseline':>12}")
    for name, (size, count) in sizes.items():
        per_row = size / count
        print(
            f"{name:<16}{count:>10,}{size / 2**20:>10.1f}{per_row:>11,.0f}{per_row / base:>11.2f}x"
        )
    print(f"{'baseline':<16}{base_rows:>10,}{base_size / 2**20:>10.1f}{base:>11,.0f}  (plain rows)")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
