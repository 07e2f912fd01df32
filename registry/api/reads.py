"""Public reads on the event loop (PostgreSQL) or in one thread hop (SQLite), without holding a
connection while serving.

On PostgreSQL the hot public reads run on asyncpg on the event loop (:mod:`registry.pg_reads`,
:func:`public_read`); the rest of this docstring is the synchronous path, SQLite's (and the
ORM parts of a rare label's read on PostgreSQL).

A route declared ``def`` with a ``SessionDep`` costs three hops between the event loop and the
thread pool (open the session, run the route, close the session) and competes for the GIL with
every other admitted request. The hot public reads (a label's JSON, its bundle, its consumer
page) instead run :func:`read_in_thread`: the database reads and the JSON encoding of the result
happen in one call on one of :data:`READ_THREADS` threads, on a pooled connection in autocommit
(:func:`read_with`) returned to the pool before the answer goes back to the event loop, and the
response is sent from bytes (the statements: :mod:`registry.label_reads`). A page is rendered
after its connection went back to the pool too (see ``registry.api.routes.pages``).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

import anyio
import anyio.to_thread
from fastapi import Request
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from registry.label_reads import OnConnection, Rows

if TYPE_CHECKING:
    from registry.pg_reads import PgReads

__all__ = [
    "READ_THREADS",
    "json_bytes",
    "public_read",
    "read_in_thread",
    "read_limiter",
    "read_with",
]

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


async def read_in_thread(request: Request, read: Callable[[Connection], T]) -> T:
    """:func:`read_with` the application's engine on a read thread."""
    engine: Engine = request.app.state.engine
    return await anyio.to_thread.run_sync(read_with, engine, read, limiter=read_limiter(request))


async def public_read(
    request: Request,
    on_event_loop: Callable[[Rows, OnConnection], Awaitable[T]],
    on_connection: Callable[[Connection], T],
) -> T:
    """One public read: ``on_event_loop(rows, in_thread)`` on the application's asyncpg pool
    (PostgreSQL; ``in_thread`` runs what must use the ORM), else ``on_connection(connection)``
    through :func:`read_in_thread` (SQLite, or an application whose lifespan did not run)."""
    reads: PgReads | None = getattr(request.app.state, "pg_reads", None)
    if reads is None:
        return await read_in_thread(request, on_connection)
    return await on_event_loop(reads.rows, functools.partial(read_in_thread, request))


def read_with(engine: Engine, read: Callable[[Connection], T]) -> T:
    """``read(connection)`` on a pooled connection in autocommit, returned to the pool before
    this returns.

    Autocommit: a read of one or two statements needs no transaction, and skips the ``BEGIN`` and
    ``ROLLBACK`` round trips a transaction costs. A read that finds its pooled connection dead
    (the server restarted while it sat in the pool: the pool then renews every connection) runs
    once more on a fresh one; ``read`` must only read.
    """
    for attempt in range(2):
        try:
            with engine.connect() as connection:
                return read(connection.execution_options(isolation_level="AUTOCOMMIT"))
        except DBAPIError as exc:
            if attempt or not exc.connection_invalidated:
                raise
    raise AssertionError("unreachable")


def json_bytes(content: object) -> bytes:
    """``content`` encoded as Starlette's ``JSONResponse`` encodes it (compact, UTF-8)."""
    return json.dumps(
        content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
    ).encode("utf-8")
