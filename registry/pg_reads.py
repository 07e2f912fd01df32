"""The public reads on PostgreSQL, on the event loop: asyncpg instead of a thread per read.

A label's JSON, bundle and page are what a crowd of phones reads. Through the synchronous engine
each read costs a hop to a thread and back, and the thread and the event loop then take turns
holding the GIL: measured under ``wrk`` with 200 clients on one worker, the hop cost more CPU
than the read itself (0.63 ms a label JSON answer with it, 0.18 ms on asyncpg without the
framework; ``bench/load_labels.py``, docs/PERFORMANCE.md). asyncpg runs the statement on the
event loop and decodes its rows in C.

The statements are the registry's own SQLAlchemy Core statements (:mod:`registry.label_reads`:
one definition), compiled once each for SQLAlchemy's asyncpg dialect; every row is converted as
SQLAlchemy converts it through that dialect (the JSON codecs it installs, each column type's
result processor, e.g. :class:`registry.models.types.UTCDateTime`) and handed out as a named
tuple, so the same functions build the same answers from it as from a SQLAlchemy row.

Faults answer as the synchronous engine's do (:func:`registry.db.database_fault`): no pooled
connection free within ``db_pool_timeout_seconds`` is 503 ``database_busy``, a server down or
restarting is 503 ``database_unavailable``, each with ``Retry-After``. A statement that finds its
pooled connection dead (the server restarted) runs once more on a fresh one.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import namedtuple
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import asyncpg
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.engine import make_url
from sqlalchemy.sql.compiler import SQLCompiler

from registry.db import (
    DATABASE_BUSY,
    DATABASE_MESSAGES,
    DATABASE_UNAVAILABLE,
    PG_CONNECT_TIMEOUT_SECONDS,
    RETRY_AFTER_SECONDS,
    fault_text,
    pg_busy_state,
    pg_unavailable_state,
)
from registry.errors import RegistryError

__all__ = ["APPLICATION_NAME", "PgReads", "ReadFault"]

log = logging.getLogger(__name__)

_DIALECT = asyncpg_dialect()
#: What the pool's connections call themselves (``pg_stat_activity.application_name``).
APPLICATION_NAME = "tanji-public-reads"


class ReadFault(RegistryError):
    """A public read met a fault of the database itself: 503 with ``Retry-After``."""

    status_code: ClassVar[int] = 503

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)
        self.retry_after = RETRY_AFTER_SECONDS[code]


@dataclass(frozen=True, slots=True)
class _Compiled:
    """A statement compiled for asyncpg, with what turns its raw rows into named tuples."""

    compiled: SQLCompiler
    row_type: Callable[..., tuple[Any, ...]]
    #: ``(column index, result processor)`` of each column that has one.
    processors: tuple[tuple[int, Callable[[Any], Any]], ...]

    @classmethod
    def of(cls, statement: sa.Select[Any]) -> _Compiled:
        columns = statement.selected_columns
        processors = []
        for index, column in enumerate(columns):
            processor = column.type.dialect_impl(_DIALECT).result_processor(_DIALECT, None)
            if processor is not None:
                processors.append((index, processor))
        compiled = statement.compile(dialect=_DIALECT)
        assert isinstance(compiled, SQLCompiler)
        return cls(
            compiled=compiled,
            row_type=namedtuple("Row", columns.keys()),
            processors=tuple(processors),
        )

    def query(self, params: Mapping[str, Any]) -> tuple[str, list[Any]]:
        """The SQL and its positional arguments (``IN`` lists expanded) for ``params``."""
        state = self.compiled.construct_expanded_state(dict(params))
        return state.statement, [state.parameters[key] for key in state.positiontup or ()]

    def row(self, record: asyncpg.Record) -> tuple[Any, ...]:
        values = list(record.values())
        for index, processor in self.processors:
            values[index] = processor(values[index])
        return self.row_type(*values)


class PgReads:
    """An asyncpg pool for the public reads of one worker, bound to its event loop."""

    def __init__(self, pool: asyncpg.Pool, *, acquire_timeout: float) -> None:
        self._pool = pool
        self._acquire_timeout = acquire_timeout
        #: Each statement compiled once (the keys keep the statements alive).
        self._compiled: dict[sa.Select[Any], _Compiled] = {}

    @classmethod
    async def open(cls, url: str, *, size: int, acquire_timeout: float) -> PgReads:
        """A pool of up to ``size`` connections to ``url`` (a SQLAlchemy PostgreSQL URL),
        opened lazily: the server may be down at start-up, as for the synchronous engine."""
        dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        pool = asyncpg.create_pool(
            dsn,
            min_size=0,
            max_size=size,
            timeout=PG_CONNECT_TIMEOUT_SECONDS,
            init=_install_codecs,
            # Named prepared statements are cached per connection (the point of a pool here).
            statement_cache_size=64,
            server_settings={"application_name": APPLICATION_NAME},
            # A read changes no session state (one SELECT in autocommit): no RESET ALL, CLOSE
            # ALL, UNLISTEN, advisory unlock round trip each time a connection goes back.
            reset=_no_reset,
        )
        await pool  # min_size=0: connects on first use
        return cls(pool, acquire_timeout=acquire_timeout)

    async def close(self) -> None:
        """Close the pool (its idle connections at once; a read under way is waited for)."""
        try:
            await asyncio.wait_for(self._pool.close(), timeout=5)
        except TimeoutError:
            self._pool.terminate()

    async def rows(self, statement: sa.Select[Any], params: Mapping[str, Any]) -> list[Any]:
        """Every row of ``statement`` with ``params``, each a named tuple of its columns as
        SQLAlchemy would convert them; raises :class:`ReadFault` on a fault of the database."""
        compiled = self._compiled.get(statement)
        if compiled is None:
            compiled = self._compiled[statement] = _Compiled.of(statement)
        sql, args = compiled.query(params)
        for attempt in range(2):
            try:
                records = await self._fetch(sql, args)
            except _ConnectionLost as exc:
                if attempt:
                    raise _fault(DATABASE_UNAVAILABLE, exc) from exc
                # The server restarted, say: every pooled connection is as dead as this one.
                # Each is replaced when next acquired; this read runs once more on a fresh one.
                await self._pool.expire_connections()
            else:
                return [compiled.row(record) for record in records]
        raise AssertionError("unreachable")

    async def _fetch(self, sql: str, args: list[Any]) -> list[asyncpg.Record]:
        try:
            connection = await self._pool.acquire(timeout=self._acquire_timeout)
        except TimeoutError as exc:
            raise _fault(DATABASE_BUSY, exc) from exc
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            # Could not connect (refused, reset, timed out, too many connections, starting up).
            raise _fault(_fault_code(exc) or DATABASE_UNAVAILABLE, exc) from exc
        try:
            return await connection.fetch(sql, *args)  # type: ignore[no-any-return]
        except asyncpg.PostgresError as exc:
            code = _fault_code(exc)
            if code == DATABASE_UNAVAILABLE:
                raise _ConnectionLost from exc
            if code is not None:
                raise _fault(code, exc) from exc
            raise  # an error in the statement: a bug, answered as one
        except (OSError, asyncpg.InterfaceError) as exc:
            raise _ConnectionLost from exc
        finally:
            await self._pool.release(connection)


class _ConnectionLost(Exception):
    """The pooled connection broke under a statement (asyncpg closes it on release)."""


def _fault_code(exc: BaseException) -> str | None:
    """:data:`DATABASE_BUSY` or :data:`DATABASE_UNAVAILABLE` for PostgreSQL's error ``exc``
    by its SQLSTATE (as :func:`registry.db.database_fault` decides), else ``None``."""
    state = getattr(exc, "sqlstate", None)
    if not isinstance(state, str):
        return None
    if pg_busy_state(state):
        return DATABASE_BUSY
    return DATABASE_UNAVAILABLE if pg_unavailable_state(state) else None


def _fault(code: str, exc: BaseException) -> ReadFault:
    cause = exc.__cause__ if isinstance(exc, _ConnectionLost) and exc.__cause__ else exc
    log.warning("%s in a public read: %s", code, fault_text(cause))
    return ReadFault(code, DATABASE_MESSAGES[code])


async def _no_reset(connection: asyncpg.Connection) -> None:
    """What returning a read's connection to the pool needs: nothing."""


async def _install_codecs(connection: asyncpg.Connection) -> None:
    """JSON columns decoded as SQLAlchemy's asyncpg dialect decodes them (``json.loads``)."""
    for name in ("json", "jsonb"):
        await connection.set_type_codec(
            name, encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )
