"""Admission control: at most so many requests run at once in a worker; past that, a short queue,
then an immediate 503 ``overloaded`` with ``Retry-After``.

Without it a crowd of clients piles every request onto the thread pool and the database pool at
once: each waits for a pooled connection (SQLAlchemy's 30 s by default), the threads that would
return connections wait for threads themselves, and the service stops answering until the crowd
leaves. With it at most :attr:`Admission.limit` requests run (fewer than the request threads and
the pooled connections, see :mod:`registry.db`), the next :attr:`Admission.queue` wait in order
for up to :attr:`Admission.wait_seconds`, and every other request is answered 503 at once. The
service keeps its throughput past capacity and answers normally the moment the crowd thins.

``/healthz`` is not counted: it is bounded by its own probe thread and must answer a load
balancer while the service is full.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import Final

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from registry.api.errors import error_body

log = logging.getLogger(__name__)

#: The error code of a request refused because the worker is full.
OVERLOADED: Final = "overloaded"
#: ``Retry-After`` of an ``overloaded`` answer (seconds).
OVERLOADED_RETRY_AFTER: Final = 1
#: Paths that are never queued or refused here.
EXEMPT_PATHS: Final = frozenset({"/healthz"})


class Admission:
    """ASGI middleware: ``limit`` requests at once, ``queue`` more waiting ``wait_seconds``.

    State is plain counters used from the event loop's thread only (no loop-bound primitives, so
    one application serves from successive event loops, as tests do).
    """

    def __init__(self, app: ASGIApp, *, limit: int, queue: int, wait_seconds: float) -> None:
        if limit < 1 or queue < 0 or wait_seconds < 0:
            raise ValueError("admission needs limit >= 1, queue >= 0 and wait_seconds >= 0")
        self.app = app
        self.limit = limit
        self.queue = queue
        self.wait_seconds = wait_seconds
        #: Requests running now (each holds one slot until its response is sent).
        self.active = 0
        #: Requests waiting for a slot, oldest first; a released slot passes to the first.
        self.waiters: deque[asyncio.Future[bool]] = deque()
        #: Requests answered ``overloaded`` since start (for logs and tests).
        self.refused = 0
        #: Requests whose client had gone when their turn came (not run).
        self.abandoned = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        waited = self.active >= self.limit or bool(self.waiters)
        if not await self._acquire():
            await self._refuse(scope, receive, send)
            return
        try:
            if waited and scope.get("method") in ("GET", "HEAD"):
                # A crowd that left (a closed tab, a timed-out client) leaves its requests in
                # line: skip those, so the worker is free for the next one at once. A request
                # without a body has its one message ready; it is handed on to the route.
                first = await receive()
                if first["type"] == "http.disconnect":
                    self.abandoned += 1
                    return
                receive = _replay(first, receive)
            await self.app(scope, receive, send)
        finally:
            self._release()

    async def _acquire(self) -> bool:
        """Take a slot, waiting up to :attr:`wait_seconds` in line; ``False`` when refused."""
        if self.active < self.limit and not self.waiters:
            self.active += 1
            return True
        if len(self.waiters) >= self.queue or self.wait_seconds == 0:
            return False
        loop = asyncio.get_running_loop()
        # The result: True when _release hands this request a slot, False when _expire ends
        # the wait (one timer handle: cheaper than asyncio.timeout on this hot path).
        waiter: asyncio.Future[bool] = loop.create_future()
        self.waiters.append(waiter)
        timer = loop.call_later(self.wait_seconds, self._expire, waiter)
        try:
            return await waiter
        except asyncio.CancelledError:  # the client left or the server stops
            if waiter.done() and not waiter.cancelled() and waiter.result():
                self._release()  # handed a slot it will not use
            elif waiter in self.waiters:
                self.waiters.remove(waiter)
            raise
        finally:
            timer.cancel()

    def _expire(self, waiter: asyncio.Future[bool]) -> None:
        if not waiter.done():
            self.waiters.remove(waiter)
            waiter.set_result(False)

    def _release(self) -> None:
        """Pass the slot to the first waiter still waiting, or free it."""
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(True)
                return
        self.active -= 1

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.refused += 1
        if self.refused == 1 or self.refused % 1000 == 0:
            log.warning(
                "overloaded: %d requests running, %d waiting; %d refused so far",
                self.active,
                len(self.waiters),
                self.refused,
            )
        body = error_body(
            OVERLOADED,
            "the registry is at capacity; retry after the time in Retry-After",
        )
        response = JSONResponse(
            body,
            status_code=503,
            headers={"Retry-After": str(OVERLOADED_RETRY_AFTER), "Cache-Control": "no-store"},
        )
        await response(scope, receive, send)


def _replay(first: Message, receive: Receive) -> Receive:
    """``receive`` that returns ``first`` (already received) before the rest."""
    pending: list[Message] = [first]

    async def replay() -> Message:
        return pending.pop() if pending else await receive()

    return replay
