"""A real PostgreSQL server for tests: initdb in a temporary directory, started on loopback.

The server binaries refuse to run as root; as root the server runs as the ``postgres`` user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.nodes import free_port, require_tool

STARTUP_SECONDS = 60


def _as_server_user(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", "postgres", "--", *argv]


@dataclass(frozen=True)
class PostgresServer:
    """A test server's URL (``postgresql://postgres@127.0.0.1:<port>``), stoppable mid-test."""

    url: str
    data: Path
    base: Path
    port: int

    def start(self) -> None:
        """Start the server (again) on its port; wait until it accepts connections."""
        subprocess.run(
            _as_server_user(
                [
                    "pg_ctl",
                    "-D",
                    str(self.data),
                    "-l",
                    str(self.base / "server.log"),
                    "-o",
                    f"-h 127.0.0.1 -p {self.port} -k {self.base} -F",
                    "-w",
                    "-t",
                    str(STARTUP_SECONDS),
                    "start",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``fast``: roll back open transactions, close connections)."""
        subprocess.run(
            _as_server_user(["pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop"]),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yield ``postgresql://postgres@127.0.0.1:<port>`` of a fresh server; stop and delete it."""
    with postgres_instance() as server:
        yield server.url


@contextmanager
def postgres_instance() -> Iterator[PostgresServer]:
    """A fresh server of its own (to stop and start in a test); stopped and deleted on exit."""
    require_tool("initdb")
    require_tool("pg_ctl")
    base = Path(tempfile.mkdtemp(prefix="tanji-pg-"))
    data = base / "data"
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(base, user.pw_uid, user.pw_gid)
    port = free_port()
    server = PostgresServer(f"postgresql://postgres@127.0.0.1:{port}", data, base, port)
    try:
        subprocess.run(
            _as_server_user(["initdb", "-D", str(data), "-U", "postgres", "-A", "trust"]),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        server.start()
        yield server
    finally:
        if data.exists():
            server.stop()
        shutil.rmtree(base, ignore_errors=True)


def create_database(server_url: str, name: str, *, template: str | None = None) -> str:
    """Create database ``name`` on the server (a copy of ``template``); return its URL."""
    import psycopg

    deadline = time.monotonic() + STARTUP_SECONDS
    copy = f' TEMPLATE "{template}"' if template is not None else ""
    while True:
        try:
            with psycopg.connect(f"{server_url}/postgres", autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"{copy}')  # type: ignore[arg-type]
            return f"{server_url}/{name}"
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def drop_database(server_url: str, name: str) -> None:
    """Drop database ``name``, ending its sessions (a test's server may still hold some)."""
    import psycopg

    try:
        with psycopg.connect(f"{server_url}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]
    except psycopg.OperationalError:  # the server is gone (a test stopped it): nothing to drop
        pass
