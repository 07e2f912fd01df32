"""``GET /healthz``: database, chain and anchoring backlog.

The endpoint is public, so a failure is reported as a stable ``code`` and a generic ``message``
only: exception text quotes the node URL, and a hosted node's URL often holds its API key. The
details go to the server log, with the URL's secrets taken out.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from registry.anchoring_loop import backlog_summary
from registry.api.deps import SessionDep
from registry.chain import chain_error_code

log = logging.getLogger(__name__)

router = APIRouter(tags=["health"])

#: The public message for each code; any other code gets :data:`GENERIC_MESSAGE`.
MESSAGES: dict[str, str] = {
    "database_error": "the database did not answer",
    "chain_unavailable": "the chain node cannot be reached",
    "chain_timeout": "the chain node did not answer in time",
}
GENERIC_MESSAGE = "the chain or the anchoring failed; the server log has the details"


def _fault(code: str) -> dict[str, Any]:
    return {"code": code, "message": MESSAGES.get(code, GENERIC_MESSAGE)}


@router.get("/healthz")
def healthz(request: Request, session: SessionDep) -> JSONResponse:
    """Report whether the database and the chain answer, and what waits for anchoring."""
    body: dict[str, Any] = {"status": "ok"}
    try:
        session.exec(text("SELECT 1"))  # type: ignore[call-overload]
        body["db"] = {"ok": True}
        body["anchoring"] = backlog_summary(request.app.state.engine)
    except Exception:
        log.exception("healthz: the database check failed")
        body["db"] = {"ok": False, **_fault("database_error")}
        body["status"] = "degraded"
    chain = request.app.state.chain
    if chain is None:
        body["chain"] = {"ok": None, "detail": "anchoring is disabled in this process"}
    else:
        try:
            body["chain"] = {
                "ok": True,
                "chain_id": chain.chain_id,
                "head": chain.head(),
                "contract": chain.address,
                "embedded": chain.embedded is not None,
            }
        except Exception as exc:
            code = chain_error_code(exc)
            log.warning(
                "healthz: the chain check failed (%s): %s",
                code,
                chain.redact(f"{type(exc).__name__}: {exc}"),
            )
            body["chain"] = {"ok": False, **_fault(code)}
            body["status"] = "degraded"
    loop = request.app.state.loop
    if loop is not None:
        body.setdefault("anchoring", {})
        body["anchoring"]["loop_running"] = loop.running
        code = loop.last_error_code
        body["anchoring"]["last_error"] = None if code is None else _fault(code)
    return JSONResponse(body, status_code=200 if body["status"] == "ok" else 503)
