"""``POST /rpc``: read-only Ethereum JSON-RPC over the embedded chain (anchoring.rpc)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from anchoring.rpc import handle_rpc_body
from registry.errors import NotFoundError

router = APIRouter(tags=["rpc"])


@router.post("/rpc")
async def rpc(request: Request) -> Response:
    """Answer JSON-RPC requests (chain id, blocks, receipts, logs, eth_call) so standard tools
    and ``tanji verify --rpc-url <base>/rpc`` can check labels against this deployment's chain."""
    chain = request.app.state.chain
    if chain is None or chain.embedded is None:
        raise NotFoundError("this deployment does not serve its chain at /rpc", code="no_rpc")
    body = await request.body()
    # The embedded chain serialises requests on its own lock; keep the event loop free.
    answer = await run_in_threadpool(handle_rpc_body, chain.embedded, body)
    if answer is None:
        return Response(status_code=204)
    return JSONResponse(answer)
