"""``tanji serve --workers N``: several uvicorn worker processes on one port and one database.

The parent process works out each worker's settings once (:func:`worker_environment`): the data
dir and base URL it resolved, the worker count, and, on PostgreSQL, each worker's share of the
server's ``max_connections`` (:func:`registry.db.pool_size_for`), with the requests a worker
admits at once lowered to fit its pool. It puts them in the environment, which the workers
inherit, and uvicorn starts them; each builds its application with :func:`create_worker_app`.
Every worker may start an anchoring loop; the anchoring lease (``registry.anchoring_lease``) lets
exactly one of them anchor at a time.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from pathlib import Path

from fastapi import FastAPI

from registry.config import Settings, load_settings
from registry.db import (
    PG_CONNECT_TIMEOUT_SECONDS,
    POOL_SPARE,
    pool_size_for,
    read_pool_size_for,
)
from registry.errors import ConfigError
from registry.logs import install_redaction

try:  # uvicorn's choice ("auto"): httptools' parser when installed, else h11
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _UvicornHttp
except ImportError:  # pragma: no cover - httptools is a dependency
    from uvicorn.protocols.http.h11_impl import H11Protocol as _UvicornHttp  # type: ignore[assignment]

__all__ = [
    "check_workers",
    "create_worker_app",
    "postgres_max_connections",
    "serve_workers",
    "worker_environment",
]

log = logging.getLogger(__name__)

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def postgres_max_connections(settings: Settings) -> int | None:
    """The PostgreSQL server's ``max_connections``, or ``None`` (SQLite, or no answer)."""
    url = settings.sqlalchemy_url
    if not url.startswith("postgresql"):
        return None
    import psycopg

    try:
        dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
        with psycopg.connect(dsn, connect_timeout=PG_CONNECT_TIMEOUT_SECONDS) as conn:
            row = conn.execute("SHOW max_connections").fetchone()
    except psycopg.Error as exc:
        log.warning("could not read max_connections (%s); using the default pool size", exc)
        return None
    return int(row[0]) if row else None


def check_workers(settings: Settings) -> None:
    """Refuse several anchoring workers on the embedded chain (one process opens it at a time).

    They need a chain node (``TANJI_RPC_URL``), or anchoring off in the workers
    (``TANJI_ANCHORING=false``) with one anchoring process of its own.
    """
    if settings.workers > 1 and settings.anchoring and settings.embedded_chain:
        raise ConfigError(
            "several workers cannot share the embedded chain (one process opens it at a time): "
            "set TANJI_RPC_URL to a chain node, or TANJI_ANCHORING=false for the workers and run "
            "one anchoring `tanji serve` of its own",
            code="workers_need_node",
            field="workers",
        )


def worker_environment(settings: Settings, max_connections: int | None) -> dict[str, str]:
    """The ``TANJI_*`` variables that give every worker the parent's resolved settings."""
    env = {
        "TANJI_DATA_DIR": str(settings.data_dir.resolve()),
        "TANJI_BASE_URL": settings.base_url,
        "TANJI_WORKERS": str(settings.workers),
    }
    pool = pool_size_for(settings, max_connections)
    reads = read_pool_size_for(settings, max_connections)
    env["TANJI_DB_POOL_SIZE"] = str(pool)
    env["TANJI_DB_READ_POOL_SIZE"] = str(reads)
    admitted = min(pool - POOL_SPARE, reads)
    if admitted < settings.max_concurrent_requests:
        # Smaller pools than the admitted requests need: admit fewer, so none waits for one.
        env["TANJI_MAX_CONCURRENT_REQUESTS"] = str(max(1, admitted))
    return env


def create_worker_app() -> FastAPI:
    """One worker's application, from the environment the parent prepared (uvicorn factory)."""
    from registry.app import create_app

    settings = load_settings()
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    app = create_app(settings)
    install_redaction(settings.rpc_url)  # uvicorn configured this worker's loggers already
    app.state.freeze_heap = True  # a serving process (registry.heap)
    return app


def serve_workers(
    settings: Settings,
    host: str,
    port: int,
    ssl_certfile: Path | None = None,
    ssl_keyfile: Path | None = None,
) -> None:
    """Run ``settings.workers`` uvicorn workers on ``host:port`` until interrupted."""
    import uvicorn

    check_workers(settings)
    os.environ.update(worker_environment(settings, postgres_max_connections(settings)))
    uvicorn.run(
        "registry.workers:create_worker_app",
        factory=True,
        host=host,
        port=port,
        workers=settings.workers,
        log_level="info",
        ssl_certfile=ssl_certfile,
        ssl_keyfile=ssl_keyfile,
        http=NoDelayHttp,
    )


def no_delay(transport: asyncio.BaseTransport) -> None:
    """Turn Nagle's algorithm off on a TCP connection (``TCP_NODELAY``).

    asyncio does so itself only for sockets it knows are TCP (``proto`` 6); the listening socket
    uvicorn binds for its worker processes is made with ``proto`` 0, and so are the connections
    it accepts. With Nagle on, a response written in two parts (its head, then its body) waits
    for the client's acknowledgement of the first, which the client delays by up to 40 ms: each
    answer took 40 ms more in ``--workers`` mode than in one process.
    """
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class NoDelayHttp(_UvicornHttp):
    """uvicorn's HTTP protocol (httptools' when installed) with :func:`no_delay` on each
    connection: what the workers of :func:`serve_workers` speak."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        no_delay(transport)
        super().connection_made(transport)
