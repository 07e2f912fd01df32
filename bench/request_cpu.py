"""CPU per request through the whole application, one client in process: a figure that machine
load does not move much (unlike latency), for comparing code before and after a change.

    python bench/request_cpu.py --data-dir DIR [--database-url URL] [--source TREE]
        [--requests 400]

``DIR`` is a data dir seeded by ``bench/seed_labels.py`` (its ``label_ids.txt`` gives the ids);
``--source`` measures another source tree's code (seed its own data dir with
``TANJI_BENCH_SOURCE=TREE``: an older tree cannot open a database a newer one migrated). Each
request picks a random label; the figure is ``time.process_time`` per request over
``--requests`` requests (anchoring off). ``floor`` is a 404 through the same stack, the HTTP
machinery's own share (Starlette's test client included).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

os.environ.setdefault("ETH_HASH_BACKEND", "pysha3")
ROOT = Path(__file__).resolve().parent.parent

PATHS = {
    "floor": "/no-such-path/%s",
    "json": "/api/v1/labels/%s",
    "page": "/l/%s",
    "bundle": "/api/v1/labels/%s/bundle",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--database-url")
    parser.add_argument("--source", type=Path, default=ROOT)
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(args.source.resolve()))
    from fastapi.testclient import TestClient

    from registry.app import create_app
    from registry.config import load_settings

    settings = load_settings(
        data_dir=args.data_dir, database_url=args.database_url, anchoring=False
    )
    ids = (args.data_dir / "label_ids.txt").read_text().split()
    rng = random.Random(2)
    with TestClient(create_app(settings)) as client:
        for name, path in PATHS.items():
            for _ in range(30):  # warm-up: imports, templates, pool
                client.get(path % rng.choice(ids))
            sample = [rng.choice(ids) for _ in range(args.requests)]
            cpu, wall = time.process_time(), time.perf_counter()
            for label_id in sample:
                reply = client.get(path % label_id)
                assert reply.status_code in (200, 404), (reply.status_code, reply.text[:200])
            cpu = time.process_time() - cpu
            wall = time.perf_counter() - wall
            print(
                f"{name:7s} CPU {1e3 * cpu / args.requests:6.2f} ms/request  "
                f"(wall {1e3 * wall / args.requests:6.2f} ms)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
