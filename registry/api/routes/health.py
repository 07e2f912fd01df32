"""``GET /healthz``: database, chain and anchoring backlog.

It answers within about :data:`registry.database_probe.DB_CHECK_TIMEOUT_SECONDS` whatever the
database or the chain node does, and holds no request thread: the database check runs on a
bounded thread of its own (:class:`registry.database_probe.DatabaseProbe`), and the chain is never
asked here. Its status comes from the chain monitor's cache (:mod:`registry.chain_monitor`),
refreshed every few seconds by a short, bounded probe; ``checked_at`` and ``age_seconds`` say how
old it is.

The endpoint is public, so a failure is reported as a stable ``code`` and a generic ``message``
only: exception text quotes the node URL, and a hosted node's URL often holds its API key. The
details go to the server log, with the URL's secrets taken out.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from registry.anchoring_loop import AnchoringLoop
from registry.chain_monitor import ChainMonitor
from registry.database_probe import DatabaseProbe
from registry.db import fault_text

log = logging.getLogger(__name__)

router = APIRouter(tags=["health"])

#: The public message for each code; any other code gets :data:`GENERIC_MESSAGE`.
MESSAGES: dict[str, str] = {
    "database_error": "the database did not answer",
    "database_timeout": "the database did not answer in time",
    "chain_unavailable": "the chain node cannot be reached",
    "chain_timeout": "the chain node did not answer in time",
    "signer_conflict": "another sender uses the anchoring key: its transactions take our "
    "nonces; run one anchoring sender per key",
}
GENERIC_MESSAGE = "the chain or the anchoring failed; the server log has the details"


def _fault(code: str) -> dict[str, Any]:
    return {"code": code, "message": MESSAGES.get(code, GENERIC_MESSAGE)}


def transaction_health(loop: AnchoringLoop) -> dict[str, Any]:
    """What the batcher met on the chain: nonce conflicts (a second sender?), reorganised
    batches, dropped transactions sent again, priced-out ones replaced, a fee cap in the way."""
    batcher = loop.batcher
    return {
        "confirmations_required": batcher.client.confirmations,
        "nonce_conflicts": batcher.nonce_conflicts,
        "reorganised": batcher.reorganised,
        "resent": batcher.resent,
        "replaced": batcher.replaced,
        "fee_capped": batcher.fee_capped,
    }


@router.get(
    "/healthz",
    responses={
        503: {
            "description": "Degraded: the same body, naming what failed.",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
)
async def healthz(request: Request) -> JSONResponse:
    """Report whether the database and the chain answer, and what waits for anchoring."""
    body: dict[str, Any] = {"status": "ok"}
    probe: DatabaseProbe = request.app.state.database_probe
    try:
        body["anchoring"] = await probe.check()
        body["db"] = {"ok": True}
    except TimeoutError:
        log.warning("healthz: the database did not answer within %g s", probe.timeout)
        body["db"] = {"ok": False, **_fault("database_timeout")}
        body["status"] = "degraded"
    except Exception as exc:
        log.warning("healthz: the database check failed: %s", fault_text(exc))
        body["db"] = {"ok": False, **_fault("database_error")}
        body["status"] = "degraded"
    monitor: ChainMonitor = request.app.state.chain_monitor
    status = monitor.status()
    if status.ok is None:
        body["chain"] = {"ok": None, "detail": "anchoring is disabled in this process"}
    else:
        chain: dict[str, Any] = {"ok": status.ok}
        if status.ok:
            chain.update(
                chain_id=status.chain_id,
                head=status.head,
                contract=status.contract,
                embedded=status.embedded,
            )
        else:
            chain.update(_fault(status.code or "chain_error"))
            body["status"] = "degraded"
        age = status.age_seconds()
        chain["checked_at"] = status.checked_at.isoformat() if status.checked_at else None
        chain["age_seconds"] = None if age is None else round(age, 3)
        body["chain"] = chain
    loop: AnchoringLoop | None = request.app.state.loop
    if loop is not None or request.app.state.settings.anchoring:
        anchoring = body.setdefault("anchoring", {})
        anchoring["loop_running"] = loop is not None and loop.running
        # Of the processes on one database, the one holding the anchoring lease anchors; the
        # others stand by (registry.anchoring_lease).
        anchoring["leader"] = loop is not None and loop.running and loop.leader
        code = None if loop is None else loop.last_error_code
        anchoring["last_error"] = None if code is None else _fault(code)
        if loop is not None:
            anchoring["transactions"] = transaction_health(loop)
    return JSONResponse(body, status_code=200 if body["status"] == "ok" else 503)
