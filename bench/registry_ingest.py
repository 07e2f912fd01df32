"""Bulk footprint ingest through the API: footprints per second, 1,000 per request.

    python bench/registry_ingest.py [--requests 5] [--per-request 1000]

The service runs as ``tanji serve`` would (uvicorn, one process, SQLite in WAL mode) in a
subprocess with a temporary data dir and the anchoring loop off, so only ingest is timed: HTTP,
JSON parsing, per-item validation (ISO 14067 fields, GTIN check digit, ISO 3166 codes, fossil +
biogenic split), duplicate detection, salted record and leaf computation, the footprint row and
its ledger row, one commit per request. Each request is sent over loopback with httpx.

Baseline, measured in the same run: the same rows (the request's JSON items) inserted with raw
``sqlite3`` ``executemany`` into a plain table, same pragmas, one commit per 1,000 rows: the
database's own cost. ratio = API time / baseline time. Target: >= 1,000 footprints/s.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

os.environ.setdefault("ETH_HASH_BACKEND", "pysha3")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from registry_pages import server
from sqlmodel import Session

from registry.config import load_settings
from registry.crud.orgs import create_org
from registry.crud.prefixes import grant_prefix
from registry.db import make_engine
from registry.models.orgs import OrgRole


def footprint(i: int) -> dict[str, Any]:
    """The i-th distinct, valid footprint (a battery pack per kWh)."""
    total = round(60.0 + (i % 9000) / 100, 2)
    return {
        "gtin": "2000001000021",
        "product_ids": [f"urn:tanji:bench:sku:{i:07d}"],
        "product_name": {"zh": f"示例电池包 {i}", "en": f"Demo battery pack {i}"},
        "category": "lithium_battery_pack",
        "declared_unit": "kWh",
        "declared_amount": 1,
        "kg_co2e_per_unit": total,
        "fossil_kg_co2e": round(total - 0.4, 2),
        "biogenic_kg_co2e": 0.4,
        "system_boundary": "cradle-to-gate",
        "reference_period": {"start": "2025-01-01", "end": "2025-12-31"},
        "geography": {"country": "CN", "subdivision": "CN-CQ"},
        "standards": ["ISO 14067:2018", "GB/T 24067-2024"],
        "primary_data_share": 70.0,
        "data_quality_rating": 2,
        "company_name": "Demo Liangjiang Power Battery (fictional)",
    }


def baseline(path: Path, batches: list[list[dict[str, Any]]]) -> float:
    """Seconds to insert the same rows with raw sqlite3, one commit per batch."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")  # as registry.db
    conn.execute(
        "CREATE TABLE footprint (id TEXT PRIMARY KEY, org_id TEXT, content_hash TEXT,"
        " category TEXT, gtin TEXT, data TEXT, created_at TEXT)"
    )
    conn.execute("CREATE INDEX ix_org_hash ON footprint (org_id, content_hash)")
    start = time.perf_counter()
    for batch in batches:
        conn.executemany(
            "INSERT INTO footprint VALUES (?, ?, ?, ?, ?, ?, datetime('now'))",
            [
                (
                    uuid.uuid4().hex,
                    "org-bench",
                    uuid.uuid4().hex,
                    item["category"],
                    item["gtin"],
                    json.dumps(item, ensure_ascii=False),
                )
                for item in batch
            ],
        )
        conn.commit()
    seconds = time.perf_counter() - start
    conn.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5)
    parser.add_argument("--per-request", type=int, default=1000)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    batches = [
        [footprint(r * args.per_request + i) for i in range(args.per_request)]
        for r in range(args.requests + 1)  # the first request warms up and is not timed
    ]
    total = args.requests * args.per_request
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        with server(data_dir, anchoring=False) as url:
            engine = make_engine(load_settings(data_dir=data_dir))
            with Session(engine) as session:
                org, key = create_org(session, name="Bench enterprise", role=OrgRole.ENTERPRISE)
                # The footprints' GTIN is under the GS1 company prefix it holds.
                grant_prefix(session, org_id=org.id, prefix="200000100002")
                session.commit()
            engine.dispose()
            headers = {"Authorization": f"Bearer {key}"}
            with httpx.Client(base_url=url, timeout=300, headers=headers) as client:
                latencies = []
                for number, batch in enumerate(batches):
                    start = time.perf_counter()
                    reply = client.post("/api/v1/footprints/bulk", json={"items": batch})
                    elapsed = time.perf_counter() - start
                    reply.raise_for_status()
                    body = reply.json()
                    if body["created"] != len(batch):
                        raise RuntimeError(f"request {number}: {body['created']} created, {body}")
                    if number:
                        latencies.append(elapsed)
        api_seconds = sum(latencies)
        base_seconds = baseline(Path(tmp) / "baseline.sqlite3", batches[1:])
    api_rate = total / api_seconds
    print(f"{args.requests} timed requests of {args.per_request} footprints (+1 warm-up)")
    print(f"{'':<40}{'per s':>10}{'s/request':>12}")
    per_request = api_seconds / args.requests
    print(f"{'API POST /api/v1/footprints/bulk':<40}{api_rate:>10.0f}{per_request:>12.3f}")
    print(
        f"{'baseline: raw sqlite3 executemany':<40}{total / base_seconds:>10.0f}"
        f"{base_seconds / args.requests:>12.3f}"
    )
    print(f"ratio API/baseline: {api_seconds / base_seconds:.1f}x the time of the raw insert")
    verdict = "meets" if api_rate >= 1000 else "MISSES"
    print(f"target >= 1,000 footprints/s: {verdict} ({api_rate:.0f}/s)")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
