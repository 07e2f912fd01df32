"""Bundle and proof lookup for random labels among many (10^6), in process: p50/p99.

    python bench/lookup_bundles.py --data-dir DIR [--database-url postgresql://...]
        [--lookups 2000]

``DIR`` is a data dir seeded by bench/seed_labels.py (its ``label_ids.txt``; SQLite in it unless
``--database-url`` names the PostgreSQL it was seeded into). Each lookup opens a session on the
registry's engine (``registry.db.make_engine``, pooled as the service is) and times, for a
label id drawn at random (each id once):

- ``bundle``: what ``GET /api/v1/labels/{id}/bundle`` runs on its read thread:
  ``crud.labels.get_label`` + ``records.bundle_of`` + JSON encoding (no HTTP);
- ``proof``: ``anchoring.ledger.anchored_leaf``, the leaf, Merkle proof and anchor alone;
- ``baseline``: one primary-key ``SELECT * FROM label WHERE id = :id`` on a connection from the
  same pool: the database's own floor for one row, measured in the same run.

The three kinds take turns (interleaved), each on ids of its own, so they meet the same cache
state. Target (issue 11): a bundle or proof lookup < 5 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("ETH_HASH_BACKEND", "pysha3")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from sqlmodel import Session  # noqa: E402

from anchoring import ledger  # noqa: E402
from registry.api.reads import json_bytes  # noqa: E402
from registry.config import load_settings  # noqa: E402
from registry.crud.labels import get_label  # noqa: E402
from registry.db import make_engine  # noqa: E402
from registry.records import bundle_of  # noqa: E402
from registry.records.bundles import PENDING  # noqa: E402
from verifier.protocol.records import LABEL  # noqa: E402

TARGET_MS = 5.0


def lookups(engine: sa.Engine) -> dict[str, Callable[[str], object]]:
    """The timed lookups by name, each from opening its session to its result."""

    def bundle(label_id: str) -> object:
        with Session(engine) as session:
            label = get_label(session, label_id=label_id)
            body = bundle_of(session, LABEL, label)
            if body.get("status") == PENDING:
                raise RuntimeError(f"label {label_id} is not anchored")
            return json_bytes(body)

    def proof(label_id: str) -> object:
        with Session(engine) as session:
            leaf = ledger.anchored_leaf(session, record_type=LABEL, record_id=label_id)
            if leaf is None:
                raise RuntimeError(f"label {label_id} is not anchored")
            return leaf

    query = sa.text("SELECT * FROM label WHERE id = :id")

    def baseline(label_id: str) -> object:
        with engine.connect() as conn:
            row = conn.execute(query, {"id": label_id}).first()
            if row is None:
                raise RuntimeError(f"label {label_id} is missing")
            return row

    return {"baseline": baseline, "bundle": bundle, "proof": proof}


def percentile(values: list[float], share: float) -> float:
    """The ``share`` percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--database-url", help="default: SQLite in the data dir")
    parser.add_argument("--lookups", type=int, default=2000, help="timed lookups of each kind")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    ids = (args.data_dir / "label_ids.txt").read_text(encoding="utf-8").split()
    engine = make_engine(load_settings(data_dir=args.data_dir, database_url=args.database_url))
    kinds = lookups(engine)
    rng = random.Random(args.seed)
    chosen = rng.sample(ids, len(kinds) * (args.lookups + 50))
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(f"{engine.dialect.name}, {len(ids):,} labels; {args.lookups} lookups of each kind")
    times: dict[str, list[float]] = {name: [] for name in kinds}
    for round_ in range(args.lookups + 50):  # the first 50 rounds warm the pool up, untimed
        for offset, (name, lookup) in enumerate(kinds.items()):
            label_id = chosen[round_ * len(kinds) + offset]
            start = time.perf_counter()
            lookup(label_id)
            elapsed = 1e3 * (time.perf_counter() - start)
            if round_ >= 50:
                times[name].append(elapsed)
    engine.dispose()
    print(f"{'':<44}{'p50 ms':>8}{'p99 ms':>8}{'max ms':>8}{'mean ms':>9}")
    label = {
        "baseline": "baseline: SELECT label by primary key",
        "bundle": "bundle (get_label + bundle_of + JSON)",
        "proof": "proof (ledger.anchored_leaf)",
    }
    for name, values in times.items():
        print(
            f"{label[name]:<44}{percentile(values, 0.5):>8.2f}{percentile(values, 0.99):>8.2f}"
            f"{max(values):>8.2f}{statistics.fmean(values):>9.2f}"
        )
    for name in ("bundle", "proof"):
        p99 = percentile(times[name], 0.99)
        verdict = "meets" if p99 < TARGET_MS else "MISSES"
        print(f"target {name} < {TARGET_MS:g} ms: {verdict} at p99 ({p99:.2f} ms)")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
