"""``GET /healthz``: database, chain and anchoring backlog."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from registry.anchoring_loop import backlog_summary
from registry.api.deps import SessionDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(request: Request, session: SessionDep) -> JSONResponse:
    """Report whether the database and the chain answer, and what waits for anchoring."""
    body: dict[str, Any] = {"status": "ok"}
    try:
        session.exec(text("SELECT 1"))  # type: ignore[call-overload]
        body["db"] = {"ok": True}
        body["anchoring"] = backlog_summary(request.app.state.engine)
    except Exception as exc:
        body["db"] = {"ok": False, "error": type(exc).__name__}
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
            body["chain"] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
            body["status"] = "degraded"
    loop = request.app.state.loop
    if loop is not None:
        body.setdefault("anchoring", {})
        body["anchoring"]["loop_running"] = loop.running
        body["anchoring"]["last_error"] = loop.last_error
    return JSONResponse(body, status_code=200 if body["status"] == "ok" else 503)
