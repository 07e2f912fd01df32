"""Durable bulk footprint ingest through the registry's own code, on PostgreSQL and SQLite.

    python bench/ingest_footprints.py [--database postgresql,sqlite] [--batches 5]
        [--per-batch 1000] [--server-url postgresql://postgres@127.0.0.1:PORT]

Each batch goes through what ``POST /api/v1/footprints/bulk`` runs in its session, in process
(no HTTP: bench/registry_ingest.py times that): ``registry.crud.footprints.add_bulk`` (per-item
validation, GTIN prefix check, duplicate detection, salted record and leaf, the footprint rows,
their ledger rows and audit entries) and one ``COMMIT`` per batch, durable: PostgreSQL with
``fsync`` and ``synchronous_commit`` on (printed), SQLite in WAL mode with ``synchronous=FULL``
(as ``registry.db`` sets it). The first batch warms up and is not timed.

PostgreSQL is a fresh server (``initdb`` in a temporary directory, started WITHOUT the tests'
``-F``, so commits are fsynced), or a database created (and dropped) on ``--server-url``.

Baselines, measured in the same run on the same database: the same items inserted as footprint
rows (id, org, content hash, category, GTIN, data and record JSON, salt, time) into a plain table
with the same keys, one commit per batch: ``executemany`` (psycopg / sqlite3) and, on
PostgreSQL, ``COPY``. They are the database's own cost of storing the rows; ratio = ingest time /
executemany time. Target (issue 11): >= 2,000 footprints/s on PostgreSQL.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pwd
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

os.environ.setdefault("ETH_HASH_BACKEND", "pysha3")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from registry_ingest import footprint  # noqa: E402
from sqlmodel import Session  # noqa: E402

from registry.config import load_settings  # noqa: E402
from registry.crud.footprints import add_bulk  # noqa: E402
from registry.crud.orgs import create_org  # noqa: E402
from registry.crud.prefixes import grant_prefix  # noqa: E402
from registry.db import make_engine, migrate  # noqa: E402
from registry.models.orgs import OrgRole  # noqa: E402
from tests.nodes import free_port  # noqa: E402

TARGET = 2000
#: The GS1 company prefix of the bench footprints' GTIN (bench/registry_ingest.py).
PREFIX = "200000100002"
BASELINE_TABLE = (
    "CREATE TABLE bench_footprint (id TEXT PRIMARY KEY, org_id TEXT NOT NULL,"
    " content_hash TEXT NOT NULL, category TEXT, gtin TEXT, data {json}, record {json},"
    " master_salt TEXT, created_at {time}, UNIQUE (org_id, content_hash))"
)
COLUMNS = "id, org_id, content_hash, category, gtin, data, record, master_salt, created_at"


def _as_server_user(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


@contextmanager
def durable_server() -> Iterator[str]:
    """A fresh PostgreSQL server with the default (durable) settings; its URL."""
    base = Path(tempfile.mkdtemp(prefix="tanji-ingest-pg-"))
    data = base / "data"
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(base, user.pw_uid, user.pw_gid)
    port = free_port()
    quiet: dict[str, Any] = {"stdout": subprocess.DEVNULL, "stderr": subprocess.STDOUT}
    try:
        subprocess.run(
            _as_server_user(["initdb", "-D", str(data), "-U", "postgres", "-A", "trust"]),
            check=True,
            **quiet,
        )
        options = f"-h 127.0.0.1 -p {port} -k {base}"  # no -F: fsync stays on
        log = str(base / "server.log")
        start = ["pg_ctl", "-D", str(data), "-l", log, "-o", options, "-w", "start"]
        subprocess.run(_as_server_user(start), check=True, **quiet)
        yield f"postgresql://postgres@127.0.0.1:{port}"
    finally:
        if data.exists():
            stop = ["pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop"]
            subprocess.run(_as_server_user(stop), **quiet)
        shutil.rmtree(base, ignore_errors=True)


@contextmanager
def database(server_url: str) -> Iterator[str]:
    """A new database on the server (dropped on exit); its URL."""
    import psycopg

    name = f"tanji_ingest_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server_url}/{name}"
    finally:
        with psycopg.connect(f"{server_url}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def ingest(engine: sa.Engine, batches: list[list[dict[str, Any]]]) -> list[float]:
    """Seconds per batch through ``add_bulk`` + commit (the first batch untimed)."""
    with Session(engine) as session:
        org, _ = create_org(session, name="Bench enterprise", role=OrgRole.ENTERPRISE)
        grant_prefix(session, org_id=org.id, prefix=PREFIX)
        session.commit()
        session.refresh(org)
        session.expunge(org)
    times = []
    for number, batch in enumerate(batches):
        start = time.perf_counter()
        with Session(engine) as session:
            results = add_bulk(session, org=org, items=batch)
            session.commit()
        elapsed = time.perf_counter() - start
        created = sum(r.status == "created" for r in results)
        if created != len(batch):
            raise RuntimeError(f"batch {number}: {created} of {len(batch)} created")
        if number:
            times.append(elapsed)
    return times


def baseline_rows(batch: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """The batch as plain footprint rows (fresh ids; JSON text for data and record)."""
    rows = []
    for item in batch:
        ident = uuid.uuid4().hex
        data = json.dumps(item, ensure_ascii=False)
        record = json.dumps({"type": "footprint", "id": ident, **item}, ensure_ascii=False)
        digest = hashlib.sha256(data.encode()).hexdigest()
        salt = "0x" + os.urandom(32).hex()
        rows.append(
            (ident, "org-bench", digest, item["category"], item["gtin"], data, record, salt)
        )
    return rows


def pg_baselines(url: str, batches: list[list[dict[str, Any]]]) -> dict[str, float]:
    """Seconds for the raw inserts of the same rows: executemany and COPY."""
    import psycopg

    seconds = {}
    with psycopg.connect(url) as conn:
        for method in ("executemany", "copy"):
            conn.execute("DROP TABLE IF EXISTS bench_footprint")
            conn.execute(BASELINE_TABLE.format(json="JSONB", time="TIMESTAMPTZ"))
            conn.commit()
            rows = [baseline_rows(batch) for batch in batches]
            start = time.perf_counter()
            for batch_rows in rows:
                with conn.cursor() as cur:
                    if method == "executemany":
                        cur.executemany(
                            f"INSERT INTO bench_footprint ({COLUMNS})"
                            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, now())",
                            batch_rows,
                        )
                    else:
                        copy_sql = f"COPY bench_footprint ({COLUMNS.rsplit(',', 1)[0]}) FROM STDIN"
                        with cur.copy(copy_sql) as copy:
                            for row in batch_rows:
                                copy.write_row(row)
                conn.commit()
            seconds[method] = time.perf_counter() - start
        conn.execute("DROP TABLE bench_footprint")
        conn.commit()
    return seconds


def sqlite_baseline(path: Path, batches: list[list[dict[str, Any]]]) -> dict[str, float]:
    """Seconds for the raw ``sqlite3`` executemany of the same rows (registry.db's pragmas)."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute(BASELINE_TABLE.format(json="TEXT", time="TEXT"))
    rows = [baseline_rows(batch) for batch in batches]
    start = time.perf_counter()
    for batch_rows in rows:
        conn.executemany(
            f"INSERT INTO bench_footprint ({COLUMNS})"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, datetime('now'))",
            batch_rows,
        )
        conn.commit()
    seconds = time.perf_counter() - start
    conn.close()
    return {"executemany": seconds}


def settings_of(engine: sa.Engine) -> str:
    """The durability settings in force."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            names = ("fsync", "synchronous_commit", "wal_sync_method")
            values = [f"{n}={conn.execute(sa.text(f'SHOW {n}')).scalar()}" for n in names]
        else:
            values = [
                f"{n}={conn.execute(sa.text(f'PRAGMA {n}')).scalar()}"
                for n in ("journal_mode", "synchronous")
            ]
    return ", ".join(values)


def run(
    name: str,
    url: str | None,
    data_dir: Path,
    batches: list[list[dict[str, Any]]],
    baselines: Callable[[], dict[str, float]],
) -> None:
    """Time the ingest and the baselines on one database; print the table."""
    engine = make_engine(load_settings(data_dir=data_dir, database_url=url))
    migrate(engine)
    print(f"\n{name}: {settings_of(engine)}")
    times = ingest(engine, batches)
    engine.dispose()
    total = sum(len(b) for b in batches[1:])
    seconds = sum(times)
    raw = baselines()
    print(f"{'':<44}{'footprints/s':>14}{'s/batch':>10}")
    print(
        f"{'add_bulk + COMMIT (the bulk route path)':<44}{total / seconds:>14.0f}"
        f"{seconds / len(times):>10.3f}"
    )
    for method, raw_seconds in raw.items():
        label = f"baseline: raw {method}"
        print(f"{label:<44}{total / raw_seconds:>14.0f}{raw_seconds / len(times):>10.3f}")
    print(f"ratio ingest/executemany: {seconds / raw['executemany']:.1f}x the time")
    print(f"per-batch seconds: {', '.join(f'{t:.3f}' for t in times)}")
    if name == "postgresql":
        verdict = "meets" if total / seconds >= TARGET else "MISSES"
        print(f"target >= {TARGET:,} footprints/s: {verdict} ({total / seconds:.0f}/s)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="postgresql,sqlite")
    parser.add_argument("--batches", type=int, default=5, help="timed batches")
    parser.add_argument("--per-batch", type=int, default=1000)
    parser.add_argument("--server-url", help="an existing PostgreSQL server (default: a fresh one)")
    args = parser.parse_args(argv)
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(f"{args.batches} timed batches of {args.per_batch} footprints (+1 warm-up)")
    batches = [
        [footprint(b * args.per_batch + i) for i in range(args.per_batch)]
        for b in range(args.batches + 1)
    ]
    for name in args.database.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            data_dir = Path(tmp) / "data"
            if name == "sqlite":
                base = Path(tmp) / "baseline.sqlite3"
                run(name, None, data_dir, batches, partial(sqlite_baseline, base, batches[1:]))
                continue
            with contextmanager_or(args.server_url) as server, database(server) as url:
                run(name, url, data_dir, batches, partial(pg_baselines, url, batches[1:]))
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")
    return 0


@contextmanager
def contextmanager_or(server_url: str | None) -> Iterator[str]:
    """``server_url``, or a fresh durable server's."""
    if server_url:
        yield server_url
        return
    with durable_server() as url:
        yield url


if __name__ == "__main__":
    raise SystemExit(main())
