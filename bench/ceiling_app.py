"""The ceiling of this machine for a label read: the label's statement and nothing else around it.

    TANJI_DATABASE_URL=postgresql://... python -m uvicorn ceiling_app:app --app-dir bench ...

A bare ASGI application (no framework, no answer built) that answers ``GET /ceiling/{id}`` with
the label's row as :func:`registry.label_reads.fetch_label` reads it (the same statement, on the
same asyncpg pool, :mod:`registry.pg_reads`), JSON-encoded, behind the registry's admission queue
(:class:`registry.api.admission.Admission`, with a worker's default limits: first come, first
served, so its tail is not that of asyncpg's pool). ``bench/load_labels.py`` drives it with the
same wrk script as the registry, in the same run, on the same worker count: what is left between
the two is the registry's own work (routing, the other middleware, building the answer), and what
the ceiling itself reaches is the bound the machine sets (uvicorn, PostgreSQL and wrk sharing its
cores). PostgreSQL only.
"""

from __future__ import annotations

import json
import os
from typing import Any

from registry.api.admission import Admission
from registry.config import Settings
from registry.heap import freeze_heap
from registry.label_reads import fetch_label
from registry.pg_reads import PgReads

PREFIX = "/ceiling/"
#: A worker's default limits (registry.config.Settings).
_LIMITS = {
    name: Settings.model_fields[name].default
    for name in ("max_concurrent_requests", "max_queued_requests", "queue_wait_seconds")
}
#: Its pool: as many connections as a registry worker admits requests (registry.db).
READ_CONNECTIONS = _LIMITS["max_concurrent_requests"]
_state: dict[str, PgReads] = {}


async def _bare(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The statement and nothing else."""
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
        return
    path: str = scope["path"]
    status, body = 404, b"{}"
    if path.startswith(PREFIX):
        read = await fetch_label(_state["reads"].rows, path[len(PREFIX) :])
        if read is not None:
            status, body = 200, json.dumps(read.label._asdict(), default=str).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            size = int(os.environ.get("TANJI_DB_READ_POOL_SIZE", READ_CONNECTIONS))
            _state["reads"] = await PgReads.open(
                os.environ["TANJI_DATABASE_URL"], size=size, acquire_timeout=60.0
            )
            freeze_heap()  # as `tanji serve` does (registry.heap)
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await _state["reads"].close()
            await send({"type": "lifespan.shutdown.complete"})
            return


#: The ASGI application: the statement behind the admission queue.
app = Admission(
    _bare,  # type: ignore[arg-type]
    limit=_LIMITS["max_concurrent_requests"],
    queue=_LIMITS["max_queued_requests"],
    wait_seconds=_LIMITS["queue_wait_seconds"],
)
