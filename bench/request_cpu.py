"""CPU per request through the whole application, one client in process: a figure that machine
load does not move much (unlike latency), for comparing code before and after a change.

    python bench/request_cpu.py --data-dir DIR [--database-url URL] [--source TREE]
        [--requests 400] [--driver asgi|testclient] [--routes floor,json,page,bundle]
        [--profile ROUTE [--profile-lines 30]]

``DIR`` is a data dir seeded by ``bench/seed_labels.py`` (its ``label_ids.txt`` gives the ids);
``--source`` measures another source tree's code (seed its own data dir with
``TANJI_BENCH_SOURCE=TREE``: an older tree cannot open a database a newer one migrated). Each
request picks a random label; the figure is ``time.process_time`` per request over
``--requests`` requests (anchoring off), with the SQL statements each request sent (through the
engine or, on PostgreSQL, the public reads' asyncpg pool). ``floor`` is a 404 through the same
stack, which is matched against every route.

``--driver asgi`` (the default) calls the application as an ASGI server does, on one event loop,
so the figure is the server's CPU alone; ``--driver testclient`` goes through Starlette's test
client (its HTTP client's CPU counted too: the figures of earlier sessions). ``--profile ROUTE``
runs that route's requests under ``cProfile`` and prints the functions with the most time.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("ETH_HASH_BACKEND", "pysha3")
ROOT = Path(__file__).resolve().parent.parent

PATHS = {
    "floor": "/no-such-path/%s",
    "json": "/api/v1/labels/%s",
    "page": "/l/%s",
    "bundle": "/api/v1/labels/%s/bundle",
}
WARM_UP = 30  # requests per route before measuring: imports, templates, pool


class AsgiDriver:
    """Requests straight into an ASGI application on one event loop (lifespan run first)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self._lifespan: asyncio.Queue[dict[str, Any]] | None = None
        self._task: asyncio.Task[None] | None = None

    def __enter__(self) -> AsgiDriver:
        self.loop.run_until_complete(self._startup())
        return self

    def __exit__(self, *exc: object) -> None:
        self.loop.run_until_complete(self._shutdown())
        self.loop.close()

    async def _startup(self) -> None:
        self._lifespan = asyncio.Queue()
        sent: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._sent = sent
        await self._lifespan.put({"type": "lifespan.startup"})
        queue = self._lifespan
        self._task = asyncio.create_task(
            self.app({"type": "lifespan", "asgi": {"version": "3.0"}}, queue.get, sent.put)
        )
        message = await sent.get()
        if message["type"] != "lifespan.startup.complete":
            raise RuntimeError(f"start-up failed: {message}")

    async def _shutdown(self) -> None:
        assert self._lifespan is not None and self._task is not None
        await self._lifespan.put({"type": "lifespan.shutdown"})
        await self._sent.get()
        await self._task

    def get_all(self, paths: list[str]) -> list[tuple[int, bytes]]:
        """``GET`` each path in turn: statuses and bodies. One call runs on one root task, as
        a server's requests do (anyio keeps its worker threads per root task)."""

        async def run() -> list[tuple[int, bytes]]:
            return [await self._get(path) for path in paths]

        return self.loop.run_until_complete(run())

    async def _get(self, path: str) -> tuple[int, bytes]:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"127.0.0.1:8000"), (b"accept", b"*/*")],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
            "state": {},
        }
        done = asyncio.Event()
        requested = False
        status = 0
        body: list[bytes] = []

        async def receive() -> dict[str, Any]:
            nonlocal requested
            if not requested:
                requested = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await done.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                body.append(message.get("body", b""))
                if not message.get("more_body", False):
                    done.set()

        await self.app(scope, receive, send)
        return status, b"".join(body)


class TestClientDriver:
    """Requests through Starlette's test client (an HTTP client in the same process)."""

    def __init__(self, app: Any) -> None:
        from fastapi.testclient import TestClient

        self.client = TestClient(app)

    def __enter__(self) -> TestClientDriver:
        self.client.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.client.__exit__(*exc)

    def get_all(self, paths: list[str]) -> list[tuple[int, bytes]]:
        replies = [self.client.get(path) for path in paths]
        return [(reply.status_code, reply.content) for reply in replies]


def _threads_inline() -> None:
    """Run what the application sends to worker threads on the event loop's thread instead, so
    ``cProfile`` (which sees one thread) sees the database reads and rendering too."""
    import anyio.to_thread

    async def inline(func: Callable[..., Any], *args: Any, **_: Any) -> Any:
        return func(*args)

    anyio.to_thread.run_sync = inline  # type: ignore[assignment]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--database-url")
    parser.add_argument("--source", type=Path, default=ROOT)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--driver", choices=("asgi", "testclient"), default="asgi")
    parser.add_argument("--routes", default=",".join(PATHS))
    parser.add_argument("--profile", choices=tuple(PATHS), help="cProfile this route")
    parser.add_argument("--profile-lines", type=int, default=30)
    parser.add_argument("--profile-sort", default="tottime")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(args.source.resolve()))
    import sqlalchemy as sa

    from registry.app import create_app
    from registry.config import load_settings

    settings = load_settings(
        data_dir=args.data_dir, database_url=args.database_url, anchoring=False
    )
    ids = (args.data_dir / "label_ids.txt").read_text().split()
    rng = random.Random(2)
    app = create_app(settings)
    statements = 0

    def count(*_: object) -> None:
        nonlocal statements
        statements += 1

    sa.event.listen(app.state.engine, "before_cursor_execute", count)
    if args.profile:
        _threads_inline()
    driver_type: Callable[[Any], AsgiDriver | TestClientDriver] = (
        AsgiDriver if args.driver == "asgi" else TestClientDriver
    )
    print(f"driver {args.driver}; {len(ids):,} labels; {args.requests} requests a route")
    with driver_type(app) as driver:
        reads = getattr(app.state, "pg_reads", None)  # PostgreSQL: asyncpg on the event loop
        if reads is not None:
            rows = reads.rows

            async def counted(statement: Any, params: Any) -> Any:
                count()
                return await rows(statement, params)

            reads.rows = counted
        for name in args.routes.split(","):
            path = PATHS[name]
            driver.get_all([path % rng.choice(ids) for _ in range(WARM_UP)])
            sample = [path % rng.choice(ids) for _ in range(args.requests)]
            # CPU time, not wall time: waiting for the database is not where CPU goes.
            profile = cProfile.Profile() if args.profile == name else None
            statements = 0
            cpu, wall = time.process_time(), time.perf_counter()
            if profile is not None:
                profile.enable()
            replies = driver.get_all(sample)
            if profile is not None:
                profile.disable()
            cpu = time.process_time() - cpu
            wall = time.perf_counter() - wall
            for status, body in replies:
                assert status in (200, 404), (status, body[:200])
            print(
                f"{name:7s} CPU {1e3 * cpu / args.requests:6.2f} ms/request  "
                f"(wall {1e3 * wall / args.requests:6.2f} ms)  "
                f"SQL {statements / args.requests:4.1f}/request",
                flush=True,
            )
            if profile is not None:
                out = io.StringIO()
                stats = pstats.Stats(profile, stream=out)
                stats.sort_stats(args.profile_sort).print_stats(args.profile_lines)
                print(out.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
