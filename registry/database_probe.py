"""The database check of ``/healthz``, bounded in time and in threads.

A database that stalls (a PostgreSQL server paused or behind a dead network path, a SQLite file
on a hung disk) must neither hold a health check nor let checks pile up on the request threads.
:meth:`DatabaseProbe.check` runs the queries on a daemon thread of its own and waits at most
:data:`DB_CHECK_TIMEOUT_SECONDS` for them. At most :data:`MAX_CHECKS_IN_FLIGHT` run at once; a
caller who finds them all running shares the newest one's answer (a flood of checks costs no
more threads, and a stalled database holds no more than that many).
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future

from sqlalchemy import Engine

from registry.anchoring_loop import backlog_summary

#: How long ``/healthz`` waits for the database.
DB_CHECK_TIMEOUT_SECONDS = 2.0
#: Checks running at once; a stalled database holds at most this many threads.
MAX_CHECKS_IN_FLIGHT = 4


class DatabaseProbe:
    """Reads the anchoring backlog (which proves the database answers) within a time limit."""

    def __init__(
        self,
        engine: Engine,
        *,
        timeout: float = DB_CHECK_TIMEOUT_SECONDS,
        max_in_flight: int = MAX_CHECKS_IN_FLIGHT,
    ) -> None:
        self.engine = engine
        self.timeout = timeout
        self._slots = threading.BoundedSemaphore(max_in_flight)
        self._latest: Future[dict[str, object]] | None = None

    async def check(self) -> dict[str, object]:
        """The backlog summary (:func:`registry.anchoring_loop.backlog_summary`).

        Raises :class:`TimeoutError` when the database did not answer within ``timeout``, else
        what the query raised.
        """
        if not self._slots.acquire(blocking=False):
            shared = self._latest
            if shared is None:  # cannot happen: a check is started right after its slot is taken
                raise TimeoutError("every database check is still running")
            return await self._wait(shared)
        future: Future[dict[str, object]] = Future()
        self._latest = future

        def run() -> None:
            try:
                if future.set_running_or_notify_cancel():
                    try:
                        result = backlog_summary(self.engine)
                    except BaseException as exc:
                        future.set_exception(exc)
                    else:
                        future.set_result(result)
            finally:
                self._slots.release()

        threading.Thread(target=run, name="tanji-db-check", daemon=True).start()
        return await self._wait(future)

    async def _wait(self, future: Future[dict[str, object]]) -> dict[str, object]:
        # shield: a caller giving up must not cancel a check that others may share.
        return await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)), self.timeout)
