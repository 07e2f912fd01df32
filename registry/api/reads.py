"""Public reads in one thread hop, on a few threads, without holding a connection while serving.

A route declared ``def`` with a ``SessionDep`` costs three hops between the event loop and the
thread pool (open the session, run the route, close the session) and competes for the GIL with
every other admitted request. The hot public reads (a label's JSON, its bundle, its consumer
page) instead run :func:`read_in_thread`: the database reads and the JSON encoding of the result
happen in one call on one of :data:`READ_THREADS` threads, the session (and its pooled
connection) is closed before the answer goes back to the event loop, and the response is sent
from bytes. Rendering a page happens after the session is closed too (see
``registry.api.routes.pages``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TypeVar

import anyio
import anyio.to_thread
from fastapi import Request
from sqlalchemy import Engine
from sqlmodel import Session

__all__ = ["READ_THREADS", "json_bytes", "read_in_thread", "read_limiter"]

T = TypeVar("T")

#: Threads running public reads at once (per application). Reads hold the GIL most of the time
#: they are not waiting for the database, so more threads only add switching.
READ_THREADS = 4


def read_limiter(request: Request) -> anyio.CapacityLimiter:
    """The application's limiter of read threads (made on first use)."""
    limiter: anyio.CapacityLimiter | None = getattr(request.app.state, "read_limiter", None)
    if limiter is None:
        limiter = anyio.CapacityLimiter(READ_THREADS)
        request.app.state.read_limiter = limiter
    return limiter


async def read_in_thread(request: Request, read: Callable[[Session], T]) -> T:
    """``read(session)`` on a read thread with a session closed before this returns."""
    engine: Engine = request.app.state.engine

    def run() -> T:
        with Session(engine) as session:
            return read(session)

    return await anyio.to_thread.run_sync(run, limiter=read_limiter(request))


def json_bytes(content: object) -> bytes:
    """``content`` encoded as Starlette's ``JSONResponse`` encodes it (compact, UTF-8)."""
    return json.dumps(
        content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
    ).encode("utf-8")
