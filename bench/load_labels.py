"""A crowd of phones: label JSON, consumer page and bundle under wrk, every request a distinct id.

    python bench/load_labels.py [--database sqlite|postgresql] [--count 100000]
        [--clients 10,50,200,500] [--seconds 10] [--workers 1] [--data-dir DIR]
        [--open-rates 250,500,1000] [--compare-with OTHER_SOURCE_TREE]

Seeds ``--count`` anchored labels (bench/seed_labels.py; a ``--data-dir`` that already holds
``label_ids.txt`` is reused, with ``--database-url`` for its PostgreSQL), starts ``tanji serve``
(``--workers``; several workers run with anchoring off, as API-only workers do) and runs ``wrk``
at each client count against:

- ``json``: ``GET /api/v1/labels/{id}``, ``page``: ``GET /l/{id}`` (every id distinct, so the
  page cache never hits), ``bundle``: ``GET /api/v1/labels/{id}/bundle``;
- ``floor``: ``GET /no-such-path``, a 404 through the same server, middleware and error handler
  with no database read (``x floor`` is the endpoint's throughput as a share of it). A 404 is
  matched against every route, so it is not the cheapest answer the registry gives;
- ``ceiling`` (PostgreSQL): ``bench/ceiling_app.py``, a bare ASGI application on the same
  worker count that runs the label's statement on the same asyncpg pool and answers its row, no
  framework, middleware or answer building around it: the bound this machine sets, measured in
  the same run (``x ceiling`` is the endpoint's throughput as a share of it).

Each request picks a random id from ``label_ids.txt`` (a wrk Lua script), so no two clients
read the same row at once and no cache helps. Statuses are counted per class: ``503`` (refused
past capacity: ``overloaded`` or ``database_busy``, with ``Retry-After``) and ``other`` (any
non-2xx that is not a 503, which must stay 0). ``answers/s`` counts every answer (503s too),
``200s/s`` the served ones; ``server CPU ms/answer`` is the CPU of the served process and its
workers (not PostgreSQL's) over the run, per answer; ``next request`` is one request sent right
after each crowd.

**Open loop** (``--open-rates``; ``bench/open_loop.py``): wrk is closed-loop, so at 200 clients
it measures how long 200 waiting clients wait (Little's law: p99 < 50 ms at 200 clients needs
over 4,000 answers a second), not what a phone arriving at a given rate sees. Each endpoint is
then offered each rate (requests due at fixed intervals, latency counted from when each was
due, over up to 500 connections), as wrk2's ``-R`` would.

**Verifications per second**: bundles fetched from the server, checked in this process by the
verifier's offline checks (format, integrity, inclusion: ``tanji verify`` less the chain).

Every row carries the one-minute load average when it ended (``os.getloadavg``): the machine's
other work shows there.

``--compare-with DIR`` serves the same data from another source tree too (e.g. ``git archive``
of an earlier commit unpacked in DIR) and prints both, one after the other in the same run.

The load generator and the server share the machine; on a 2-core machine shared with other
work, figures move by tens of percent from run to run. ``wrk`` comes from Debian
(``apt-get install wrk``); CI does not run this.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

os.environ.setdefault("ETH_HASH_BACKEND", "pysha3")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
import open_loop  # noqa: E402

ENDPOINTS = {
    "json": "/api/v1/labels/%s",
    "page": "/l/%s",
    "bundle": "/api/v1/labels/%s/bundle",
}
FLOOR_PATH = "/no-such-path/%s"
CEILING_PATH = "/ceiling/%s"

#: wrk script: a random id per request; statuses counted per thread and summed in done().
WRK_LUA = r"""
local ids = {}
local fmt
local threads = {}
s503, other = 0, 0
setup = function(thread) table.insert(threads, thread) end
init = function(args)
  for line in io.lines(os.getenv("IDS_FILE")) do ids[#ids + 1] = line end
  fmt = os.getenv("PATH_FMT")
  math.randomseed(os.time() + (tonumber(tostring({}):sub(8)) or 0))
end
request = function()
  return wrk.format("GET", string.format(fmt, ids[math.random(#ids)]))
end
response = function(status, headers, body)
  if status == 503 then s503 = s503 + 1
  elseif status >= 300 and not (status == 404 and fmt:find("no%-such%-path")) then
    other = other + 1
  end
end
done = function(summary, latency, requests)
  local a, b = 0, 0
  for _, t in ipairs(threads) do a = a + t:get("s503"); b = b + t:get("other") end
  io.write(string.format("COUNTS s503=%d other=%d sockerr=%d\n", a, b,
    summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout))
end
"""


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(
    source: Path, data_dir: Path, database_url: str | None, workers: int
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``tanji serve`` from ``source`` on a free port; yields its URL and process."""
    port = free_port()
    # PYTHONPATH given to this script comes after the tree (e.g. a directory holding uvloop,
    # which uvicorn then runs its event loop on).
    path = os.pathsep.join(p for p in (str(source), os.environ.get("PYTHONPATH")) if p)
    env = {**os.environ, "PYTHONPATH": path, "TANJI_DATA_DIR": str(data_dir)}
    if database_url:
        env["TANJI_DATABASE_URL"] = database_url
    command = [sys.executable, "-m", "registry.cli", "serve", "--port", str(port)]
    if workers > 1:
        command += ["--workers", str(workers)]
        env["TANJI_ANCHORING"] = "false"  # API-only workers (registry.workers.check_workers)
    url = f"http://127.0.0.1:{port}"
    with open(data_dir / f"serve-{port}.log", "wb") as log:
        proc = subprocess.Popen(command, cwd=source, env=env, stdout=log, stderr=subprocess.STDOUT)
        with _running(proc, f"{url}/healthz", f"tanji serve (see {log.name})", 180):
            yield url, proc


@contextmanager
def serve_ceiling(
    source: Path, database_url: str, workers: int
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``bench/ceiling_app.py`` under uvicorn as ``tanji serve`` runs (its worker count, uvloop,
    httptools with TCP_NODELAY, no access log); yields its URL and process."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(source), "TANJI_DATABASE_URL": database_url}
    command = [sys.executable, "-m", "uvicorn", "ceiling_app:app", "--app-dir", "bench"]
    command += ["--port", str(port), "--workers", str(workers), "--loop", "uvloop"]
    command += ["--http", "registry.workers:NoDelayHttp", "--no-access-log", "--log-level"]
    command += ["warning"]
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(command, cwd=source, env=env)
    with _running(proc, f"{url}/ceiling/none", "the ceiling server", 60):
        yield url, proc


@contextmanager
def _running(
    proc: subprocess.Popen[bytes], probe: str, what: str, wait_seconds: float
) -> Iterator[None]:
    """Once ``probe`` answers (any status), run the block; then stop ``proc``."""
    try:
        deadline = time.monotonic() + wait_seconds
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{what} exited with {proc.returncode}")
            try:
                httpx.get(probe, timeout=2)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{what} did not start") from None
                time.sleep(0.2)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if match is None:
        return float("nan")
    value, unit = match.groups()
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}[unit]


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` and its children (Linux ``/proc``)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # fields[0] is the state; ppid, utime and stime are fields 4, 14 and 15 of stat(5).
        if int(stat.parent.name) == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def run_wrk(
    url: str, path_fmt: str, ids_file: Path, clients: int, seconds: int, lua: Path, pid: int
) -> dict[str, float]:
    """One wrk run; requests/s, p50 and p99 (ms), the status counts, server CPU ms a request."""
    env = {**os.environ, "IDS_FILE": str(ids_file), "PATH_FMT": path_fmt}
    command = ["wrk", "-t2", f"-c{clients}", f"-d{seconds}s", "--timeout", "30s", "--latency"]
    cpu_before = cpu_seconds(pid)
    out = subprocess.run(
        [*command, "-s", str(lua), url], capture_output=True, text=True, env=env, check=True
    ).stdout
    cpu = cpu_seconds(pid) - cpu_before

    def find(pattern: str) -> str:
        match = re.search(pattern, out)
        return match.group(1) if match else "nan"

    counts = re.search(r"COUNTS s503=(\d+) other=(\d+) sockerr=(\d+)", out)
    total = float(find(r"(\d+) requests in"))
    return {
        "rps": float(find(r"Requests/sec:\s+([\d.]+)")),
        "p50": _ms(find(r"\s50%\s+(\S+)")),
        "p99": _ms(find(r"\s99%\s+(\S+)")),
        "requests": total,
        "s503": float(counts.group(1)) if counts else float("nan"),
        "other": float(counts.group(2)) if counts else float("nan"),
        "sockerr": float(counts.group(3)) if counts else float("nan"),
        "cpu_ms": 1e3 * cpu / total if total else float("nan"),
        "ok_rps": (total - (float(counts.group(1)) + float(counts.group(2)) if counts else 0))
        / seconds,
        "load": os.getloadavg()[0],
    }


def measure(
    name: str,
    source: Path,
    data_dir: Path,
    database_url: str | None,
    args: argparse.Namespace,
    lua: Path,
) -> None:
    ids_file = data_dir / "label_ids.txt"
    ceiling_server = serve_ceiling(source, database_url, args.workers) if database_url else None
    with (
        serve(source, data_dir, database_url, args.workers) as (url, proc),
        ceiling_server or nullcontext() as ceiling_at,
    ):
        print(f"\n## {name} ({source}), {args.workers} worker(s)\n")
        print(
            "| endpoint | clients | answers/s | x floor | x ceiling | 200s/s | p50 ms | p99 ms "
            "| 503 | other errors | server CPU ms/answer | load avg |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for clients in args.clients:
            rows = []
            ceiling = None
            if ceiling_at is not None:
                ceiling_url, ceiling_proc = ceiling_at
                pid = ceiling_proc.pid
                ceiling = run_wrk(
                    ceiling_url, CEILING_PATH, ids_file, clients, args.seconds, lua, pid
                )
                rows.append(("ceiling", ceiling))
            floor = run_wrk(url, FLOOR_PATH, ids_file, clients, args.seconds, lua, proc.pid)
            rows.append(("floor", floor))
            for endpoint in args.endpoints:
                rows.append(
                    (
                        endpoint,
                        run_wrk(
                            url, ENDPOINTS[endpoint], ids_file, clients, args.seconds, lua, proc.pid
                        ),
                    )
                )
            for endpoint, r in rows:
                ratio = r["rps"] / floor["rps"] if floor["rps"] else float("nan")
                of_ceiling = r["rps"] / ceiling["rps"] if ceiling else float("nan")
                other = int(r["other"] + r["sockerr"])
                print(
                    f"| {endpoint} | {clients} | {r['rps']:.0f} | {ratio:.2f} | {of_ceiling:.2f} "
                    f"| {r['ok_rps']:.0f} | {r['p50']:.1f} "
                    f"| {r['p99']:.1f} | {int(r['s503'])} | {other} | {r['cpu_ms']:.2f} "
                    f"| {r['load']:.1f} |",
                    flush=True,
                )
            # Recovery: right after the crowd, one request is served normally (the client is
            # made first: making one costs httpx tens of milliseconds, an SSL context included).
            first = ids_file.read_text().split()[0]
            with httpx.Client(timeout=10) as client:
                started = time.monotonic()
                try:
                    probe = client.get(url + ENDPOINTS["json"] % first)
                    answer = f"status {probe.status_code}"
                except httpx.HTTPError as exc:
                    answer = f"no answer ({type(exc).__name__})"
                elapsed = 1e3 * (time.monotonic() - started)
            print(f"| next request | 1 | | | | | {elapsed:.1f} | | | {answer} | | |", flush=True)
        if args.open_rates:
            open_loop_table(url, ids_file, args, proc.pid)
        print_verifications(url, ids_file)


#: Connections the open-loop generator may open (a request due while all are busy waits).
OPEN_LOOP_CONNECTIONS = 500


def open_loop_table(url: str, ids_file: Path, args: argparse.Namespace, pid: int) -> None:
    """Each endpoint at each offered rate, open loop (bench/open_loop.py)."""
    ids = ids_file.read_text().split()
    print(f"\n### Open loop ({args.seconds} s each, up to {OPEN_LOOP_CONNECTIONS} connections)\n")
    print(
        "| endpoint | offered/s | sent/s | p50 ms | p99 ms | max ms | 200 | 503 | other errors "
        "| server CPU ms/answer | load avg |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for endpoint in args.endpoints:
        for rate in args.open_rates:
            cpu_before = cpu_seconds(pid)
            outcome = asyncio.run(
                open_loop.run(
                    url + ENDPOINTS[endpoint],
                    ids,
                    rate=rate,
                    seconds=args.seconds,
                    connections=OPEN_LOOP_CONNECTIONS,
                )
            )
            cpu = cpu_seconds(pid) - cpu_before
            sent = outcome.answered + outcome.unanswered + outcome.socket_errors
            ok = sum(n for status, n in outcome.statuses.items() if 200 <= status < 300)
            print(
                f"| {endpoint} | {rate:.0f} | {sent / max(outcome.sent_seconds, 1e-9):.0f} "
                f"| {outcome.percentile(0.5):.1f} | {outcome.percentile(0.99):.1f} "
                f"| {max(outcome.latencies_ms, default=float('nan')):.1f} | {ok} "
                f"| {outcome.statuses.get(503, 0)} | {outcome.errors()} "
                f"| {1e3 * cpu / max(outcome.answered, 1):.2f} | {os.getloadavg()[0]:.1f} |",
                flush=True,
            )


def print_verifications(url: str, ids_file: Path, count: int = 200, seconds: float = 3.0) -> None:
    """Offline verifications per second of bundles this server served (in this process)."""
    from verifier._internal.verifier import Verdict, verify_offline

    ids = ids_file.read_text().split()[:count]
    with httpx.Client(timeout=30) as client:
        bundles = [client.get(url + ENDPOINTS["bundle"] % i).content for i in ids]
    assert all(verify_offline(b).status is Verdict.VALID for b in bundles)
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for bundle in bundles:
            verify_offline(bundle)
        done += len(bundles)
    elapsed = time.perf_counter() - started
    depth = len(json.loads(bundles[0])["proof"])
    print(
        f"\nverifications/s (offline: format, integrity, inclusion; {len(bundles)} served "
        f"bundles, proof depth {depth}, one thread): {done / elapsed:,.0f} "
        f"({1e6 * elapsed / done:.0f} µs each; load avg {os.getloadavg()[0]:.1f})",
        flush=True,
    )


@contextmanager
def databases(args: argparse.Namespace, names: list[str]) -> Iterator[dict[str, str | None]]:
    """A database URL per tree: none (SQLite in its data dir), ``--database-url``, or a
    database each on a fresh PostgreSQL server of the tests' kind."""
    if args.database == "sqlite":
        yield dict.fromkeys(names)
        return
    if args.database_url:
        if len(names) > 1:
            raise SystemExit(
                "--compare-with needs a PostgreSQL server of its own (no --database-url)"
            )
        yield {names[0]: args.database_url}
        return
    from tests.registry.postgres import create_database, postgres_server

    with postgres_server() as server:
        yield {name: create_database(server, f"tanji_{name}") for name in names}


def seed(source: Path, data_dir: Path, database_url: str | None, count: int) -> None:
    """Seed ``data_dir`` with ``source``'s code, unless it holds ``label_ids.txt`` already."""
    if (data_dir / "label_ids.txt").exists():
        return
    command = [sys.executable, str(ROOT / "bench" / "seed_labels.py")]
    command += ["--data-dir", str(data_dir), "--count", str(count)]
    if database_url:
        command += ["--database-url", database_url]
    subprocess.run(command, check=True, env={**os.environ, "TANJI_BENCH_SOURCE": str(source)})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--database-url", help="an existing PostgreSQL database to use")
    parser.add_argument("--data-dir", type=Path, help="reuse (or keep) this data dir")
    parser.add_argument("--count", type=int, default=100_000, help="labels to seed")
    parser.add_argument("--clients", default="10,50,200,500")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--endpoints", default="json,page,bundle")
    parser.add_argument(
        "--open-rates", default="250,500,1000", help="open-loop offered rates ('' for none)"
    )
    parser.add_argument("--compare-with", type=Path, help="another source tree to measure")
    args = parser.parse_args(argv)
    args.clients = [int(c) for c in args.clients.split(",")]
    args.endpoints = args.endpoints.split(",")
    args.open_rates = [float(r) for r in args.open_rates.split(",") if r]
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    trees = {"this": ROOT}
    if args.compare_with:
        trees["compared"] = args.compare_with.resolve()
    print("command: python " + " ".join(["bench/load_labels.py", *sys.argv[1:]]))
    temporary = args.data_dir is None
    base = args.data_dir or Path(tempfile.mkdtemp(prefix="tanji-load-"))
    try:
        with (
            tempfile.NamedTemporaryFile("w", suffix=".lua") as lua,
            databases(args, list(trees)) as urls,
        ):
            lua.write(WRK_LUA)
            lua.flush()
            for name, source in trees.items():
                # Each tree its own data: an older tree cannot open a database a newer migrated.
                data_dir = base if name == "this" else base / f"{name}-tree"
                seed(source, data_dir, urls[name], args.count)
                count = len((data_dir / "label_ids.txt").read_text().split())
                print(f"{count:,} labels on {args.database}; {os.cpu_count()} CPUs")
                measure(f"{name} tree", source, data_dir, urls[name], args, Path(lua.name))
    finally:
        if temporary:
            shutil.rmtree(base, ignore_errors=True)
    return 0


@contextmanager
def _nothing() -> Iterator[None]:
    yield None


if __name__ == "__main__":
    raise SystemExit(main())
