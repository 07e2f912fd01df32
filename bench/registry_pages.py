"""Consumer page latency: ``GET /l/{id}`` at 50 concurrent clients against uvicorn on loopback.

    python bench/registry_pages.py [--clients 50] [--seconds 10] [--tool auto|wrk|asyncio]

The service runs as ``tanji serve`` would (uvicorn, one process, embedded chain, anchoring
loop on) in a subprocess with a temporary data dir; one label is issued through the API and
anchored before the run, so the page is the full anchored page. The load generator is ``wrk``
when installed (C, closed loop, ``--latency`` percentiles), else a minimal asyncio HTTP/1.1
client with ``--clients`` keep-alive connections (itself Python, so it takes more of the 2 cores
from the server and its figures are pessimistic).

The page is measured twice: as a QR scan burst on one label (the server reuses a rendered page
for 2 s, see ``registry.api.routes.pages.PageCache``) and uncached (a unique query string per
request, so every request reads the database and renders).

Baseline, measured with the same tool in the same run: ``GET /api/v1/labels/{id}``, the JSON
read of the same label through the same stack (routing, session, the same rows), so the ratio is
the cost of the page itself (read model, template, bilingual text). ``/healthz`` is not used: it
holds two pooled connections per request and stalls at 50 clients (reported to its owner).
ratio = page / baseline. Target: page p99 < 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

os.environ.setdefault("ETH_HASH_BACKEND", "pysha3")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlmodel import Session  # noqa: E402

from registry.config import load_settings  # noqa: E402
from registry.crud.orgs import create_org  # noqa: E402
from registry.crud.prefixes import grant_prefix  # noqa: E402
from registry.db import make_engine  # noqa: E402
from registry.models.orgs import OrgRole  # noqa: E402

FOOTPRINT = {
    "gtin": "2000001000014",
    "product_name": {"zh": "示例 14 英寸轻薄笔记本电脑", "en": "Demo 14-inch laptop"},
    "category": "laptop",
    "declared_unit": "unit",
    "declared_amount": 1,
    "kg_co2e_per_unit": 238.0,
    "fossil_kg_co2e": 235.6,
    "biogenic_kg_co2e": 2.4,
    "system_boundary": "cradle-to-grave",
    "reference_period": {"start": "2025-01-01", "end": "2025-12-31"},
    "geography": {"country": "CN", "subdivision": "CN-CQ"},
    "standards": ["ISO 14067:2018"],
    "primary_data_share": 58.0,
    "data_quality_rating": 2,
    "company_name": "Demo Bishan Smart Devices (fictional)",
}


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(
    data_dir: Path, *, anchoring: bool = True, env: Mapping[str, str] | None = None
) -> Iterator[str]:
    """``uvicorn registry.app:create_app --factory`` in a subprocess on a free loopback port.

    ``env`` adds or overrides ``TANJI_*`` settings of the served process.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    served_env = {
        **os.environ,
        "TANJI_DATA_DIR": str(data_dir),
        "TANJI_BASE_URL": url,
        "TANJI_BATCH_MAX_WAIT_SECONDS": "0",
        "TANJI_POLL_INTERVAL_SECONDS": "0.5",  # the default: an idle loop polls rarely
        "TANJI_ANCHORING": "true" if anchoring else "false",
        **(env or {}),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "registry.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=ROOT,
        env=served_env,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}")
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def issue_label(url: str, data_dir: Path) -> str:
    """One anchored label, issued through the API."""
    settings = load_settings(data_dir=data_dir)
    engine = make_engine(settings)
    with Session(engine) as session:
        org, ent = create_org(session, name="Bench enterprise", role=OrgRole.ENTERPRISE)
        grant_prefix(session, org_id=org.id, prefix="200000100001")  # FOOTPRINT's GTIN
        session.commit()
        _, cert = create_org(session, name="Bench certifier", role=OrgRole.CERTIFICATION_BODY)
    engine.dispose()
    with httpx.Client(base_url=url, timeout=60) as client:
        reply = client.post(
            "/api/v1/footprints", json=FOOTPRINT, headers={"Authorization": f"Bearer {ent}"}
        )
        reply.raise_for_status()
        reply = client.post(
            "/api/v1/labels",
            json={
                "footprint_id": reply.json()["id"],
                "valid_from": "2026-01-01",
                "valid_until": "2028-12-31",
            },
            headers={"Authorization": f"Bearer {cert}"},
        )
        reply.raise_for_status()
        label_id = str(reply.json()["id"])
        deadline = time.monotonic() + 120
        while client.get(f"/api/v1/labels/{label_id}").json()["anchor_status"] != "anchored":
            if time.monotonic() > deadline:
                raise RuntimeError("label not anchored")
            time.sleep(0.1)
    return label_id


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]


# Each request gets its own query string, so no request is served from the page cache.
UNIQUE_QUERY_LUA = """
counter = 0
request = function()
  counter = counter + 1
  return wrk.format(nil, wrk.path .. "?n=" .. counter .. "-" .. math.random(1e9))
end
"""


def run_wrk(url: str, clients: int, seconds: int, *, unique: bool = False) -> dict[str, float]:
    command = ["wrk", "-t2", f"-c{clients}", f"-d{seconds}s", "--latency"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        if unique:
            script.write(UNIQUE_QUERY_LUA)
            script.flush()
            command += ["-s", script.name]
        out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    result = {
        "p50": _ms(re.search(r"\s50%\s+(\S+)", out).group(1)),  # type: ignore[union-attr]
        "p99": _ms(re.search(r"\s99%\s+(\S+)", out).group(1)),  # type: ignore[union-attr]
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
    }
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors or "Socket errors" in out or result["rps"] == 0:
        raise RuntimeError(f"wrk saw errors:\n{out}")
    return result


async def _asyncio_load(url: str, clients: int, seconds: int, unique: bool) -> dict[str, float]:
    """``clients`` keep-alive HTTP/1.1 connections on asyncio streams, each closed-loop.

    httpx's pool was the bottleneck at 50 connections (tens of requests per second), so the
    fallback load generator speaks minimal HTTP/1.1 itself: GET, read headers, read the
    Content-Length body.
    """
    parts = urlsplit(url)
    host, port, path = parts.hostname or "127.0.0.1", parts.port or 80, parts.path
    latencies: list[float] = []
    stop = time.perf_counter() + seconds

    async def worker(number: int) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        sent = 0
        try:
            while time.perf_counter() < stop:
                target = f"{path}?n={number}-{sent}" if unique else path
                sent += 1
                start = time.perf_counter()
                writer.write(f"GET {target} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head.split(b" ", 2)[1])
                length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))  # type: ignore[union-attr]
                await reader.readexactly(length)
                latencies.append((time.perf_counter() - start) * 1000)
                if status != 200:
                    raise RuntimeError(f"{target}: HTTP {status}")
        finally:
            writer.close()

    began = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(clients)))
    elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "p50": statistics.median(latencies),
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "rps": len(latencies) / elapsed,
    }


def run_asyncio(url: str, clients: int, seconds: int, *, unique: bool = False) -> dict[str, float]:
    return asyncio.run(_asyncio_load(url, clients, seconds, unique))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--tool", choices=("auto", "wrk", "asyncio"), default="auto")
    args = parser.parse_args()
    tool = args.tool
    if tool == "auto":
        tool = "wrk" if shutil.which("wrk") else "asyncio"
    load = run_wrk if tool == "wrk" else run_asyncio
    print(f"load generator: {tool}, {args.clients} clients, {args.seconds} s per route")
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp, server(Path(tmp) / "data") as url:
        label_id = issue_label(url, Path(tmp) / "data")
        page = f"{url}/l/{label_id}"
        size = len(httpx.get(page).content)
        api = f"{url}/api/v1/labels/{label_id}"
        # Warm up both routes (template compile, connection pools).
        load(api, args.clients, 1)
        load(page, args.clients, 1)
        base = load(api, args.clients, args.seconds)
        result = load(page, args.clients, args.seconds)
        cold = load(page, args.clients, args.seconds, unique=True)
    print(f"page size: {size} bytes (HTML with inline CSS; the verifier's scripts not counted)")
    print(f"{'route':<26}{'p50 ms':>10}{'p99 ms':>10}{'req/s':>10}")
    for name, row in (
        ("GET /api/v1/labels/{id}", base),
        ("GET /l/{id}", result),
        ("GET /l/{id}?n=<unique>", cold),
    ):
        print(f"{name:<26}{row['p50']:>10.1f}{row['p99']:>10.1f}{row['rps']:>10.0f}")
    for name, row in (("page", result), ("page uncached", cold)):
        print(
            f"ratio {name}/baseline: p50 {row['p50'] / base['p50']:.2f}x, "
            f"p99 {row['p99'] / base['p99']:.2f}x, throughput {row['rps'] / base['rps']:.2f}x"
        )
    for name, row in (("page (one hot label)", result), ("page uncached", cold)):
        verdict = "meets" if row["p99"] < 50 else "MISSES"
        print(
            f"target p99 < 50 ms at {args.clients} clients, {name}: {verdict} ({row['p99']:.1f} ms)"
        )
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
