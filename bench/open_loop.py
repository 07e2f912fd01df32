"""Open-loop load: requests arrive at a fixed rate whether or not earlier ones were answered.

    python bench/open_loop.py URL_FORMAT --ids FILE --rate 500 [--seconds 10]
        [--connections 200]

Phones arrive as an open process: a thousand people scanning a label do not wait for each other.
``wrk`` is closed-loop (each of its clients sends its next request only when the last one is
answered), so a slow server slows the load down and its latency figures omit the waits of the
requests that were never sent (coordinated omission). Here request ``i`` is due at ``start +
i / rate`` (one id drawn at random from ``--ids`` each, into ``URL_FORMAT``'s ``%s``), sent on the
first of ``--connections`` keep-alive HTTP/1.1 connections that is free, and its latency counts
from when it was due: a request that waited for a free connection waited in the server's queue
as far as its phone can tell. This is what wrk2 (``-R``) measures; Debian's wrk has no ``-R``.

The generator is plain asyncio over raw sockets (no HTTP library), so that it takes little of
the CPU it shares with the server: about 0.1 ms per request. It reports the rate it sent at, so
a generator that could not keep up shows.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit


@dataclass
class Outcome:
    """What an open-loop run saw."""

    rate: float
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    socket_errors: int = 0
    #: Requests still unanswered when the run ended (counted as errors).
    unanswered: int = 0
    sent_seconds: float = 0.0

    def percentile(self, q: float) -> float:
        """The ``q`` quantile of latency (ms), NaN without answers."""
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    @property
    def answered(self) -> int:
        """Answers received (any status)."""
        return sum(self.statuses.values())

    def errors(self, documented: tuple[int, ...] = (503,)) -> int:
        """Answers that are not 2xx nor a ``documented`` refusal, socket errors, unanswered."""
        bad = sum(n for s, n in self.statuses.items() if not 200 <= s < 300 and s not in documented)
        return bad + self.socket_errors + self.unanswered

    def summary(self) -> str:
        """One line: rate offered and achieved, p50/p99/max, statuses."""
        sent_rate = (self.answered + self.unanswered + self.socket_errors) / max(
            self.sent_seconds, 1e-9
        )
        mean = statistics.fmean(self.latencies_ms) if self.latencies_ms else float("nan")
        top = max(self.latencies_ms, default=float("nan"))
        return (
            f"offered {self.rate:.0f}/s (sent {sent_rate:.0f}/s) p50 {self.percentile(0.5):.1f} "
            f"p99 {self.percentile(0.99):.1f} max {top:.1f} mean {mean:.1f} ms; "
            f"statuses {dict(sorted(self.statuses.items()))}, "
            f"socket errors {self.socket_errors}, unanswered {self.unanswered}"
        )


async def _read_response(reader: asyncio.StreamReader) -> int:
    """Read one HTTP/1.1 response (Content-Length or chunked); its status."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = None
    chunked = False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value.strip())
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status


async def run(  # noqa: C901 - one generator loop with its connection pool
    url_format: str, ids: list[str], *, rate: float, seconds: float, connections: int
) -> Outcome:
    """Offer ``rate`` requests a second for ``seconds`` over up to ``connections`` connections."""
    parts = urlsplit(url_format % "x")
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    path_format = url_format.split(parts.netloc, 1)[1]
    outcome = Outcome(rate=rate, seconds=seconds)
    free: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter] | None] = asyncio.Queue()
    opened = 0
    total = int(rate * seconds)
    rng = random.Random(7)
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.2
    pending: set[asyncio.Task[None]] = set()

    async def connection() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        nonlocal opened
        try:
            item = free.get_nowait()
        except asyncio.QueueEmpty:
            item = None
            if opened < connections:
                opened += 1
                try:
                    return await asyncio.open_connection(host, port)
                except OSError:
                    opened -= 1
                    raise
        if item is None:
            item = await free.get()
        assert item is not None
        return item

    async def one(due: float, path: str) -> None:
        try:
            reader, writer = await connection()
        except OSError:
            outcome.socket_errors += 1
            return
        request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()
        try:
            writer.write(request)
            status = await _read_response(reader)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            outcome.socket_errors += 1
            writer.close()
            nonlocal opened
            opened -= 1
            return
        outcome.latencies_ms.append(1e3 * (loop.time() - due))
        outcome.statuses[status] = outcome.statuses.get(status, 0) + 1
        free.put_nowait((reader, writer))

    for i in range(total):
        due = start + i / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(one(due, path_format % rng.choice(ids)))
        pending.add(task)
        task.add_done_callback(pending.discard)
    outcome.sent_seconds = loop.time() - start
    if pending:
        _, late = await asyncio.wait(pending, timeout=10)
        outcome.unanswered = len(late)
        for task in late:
            task.cancel()
    while not free.empty():
        item = free.get_nowait()
        if item is not None:
            item[1].close()
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url_format", help="e.g. http://127.0.0.1:8000/api/v1/labels/%%s")
    parser.add_argument("--ids", type=Path, required=True)
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=200)
    args = parser.parse_args(argv)
    ids = args.ids.read_text().split()
    started = time.monotonic()
    outcome = asyncio.run(
        run(
            args.url_format,
            ids,
            rate=args.rate,
            seconds=args.seconds,
            connections=args.connections,
        )
    )
    print(outcome.summary(), f"({time.monotonic() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
