"""``POST /rpc``: read-only Ethereum JSON-RPC over the embedded chain (anchoring.rpc).

The endpoint is anonymous, so it is bounded three ways (settings ``TANJI_RPC_*``):

- **Requests per client.** Each client address has a token bucket of ``rpc_rate_burst``
  calls refilled at ``rpc_rate_per_second`` (:mod:`registry.api.ratelimit`); a request takes
  one token before its body is read, a batch one more for each further call. Past it the answer
  is 429 ``rate_limited`` with ``Retry-After`` and the registry's error body.
- **Calls per request.** A batch of more than ``rpc_max_batch`` calls is refused whole with a
  JSON-RPC ``-32600`` error.
- **Gas per call.** ``eth_call`` and ``eth_estimateGas`` get at most ``rpc_gas_cap`` gas.

Requests are answered in worker threads, at most :data:`RPC_THREADS` at a time (the rest wait
on the event loop, so ``/rpc`` never holds more of the shared thread pool than that), and they
read the chain through its read-only view (:class:`anchoring.embedded.ChainView`), one at a
time and never under the lock the anchoring loop writes with.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import anyio
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse

from anchoring.rpc import handle_rpc_body
from anchoring.rpc_limits import RpcLimits
from registry.api.deps import client_address
from registry.api.ratelimit import TokenBuckets
from registry.errors import NotFoundError

router = APIRouter(tags=["rpc"])

#: ``/rpc`` requests in worker threads at once: one reads the chain view (it serves one at a
#: time), the others answer constant methods or wait for the view.
RPC_THREADS: Final = 4


@dataclass(frozen=True)
class RpcGuard:
    """One application's ``/rpc`` limits, request buckets and thread limiter."""

    limits: RpcLimits
    rate: TokenBuckets
    threads: anyio.CapacityLimiter


def rpc_guard(app: FastAPI) -> RpcGuard:
    """``app``'s :class:`RpcGuard`, made from its settings on first use."""
    guard: RpcGuard | None = getattr(app.state, "rpc_guard", None)
    if guard is None:
        settings = app.state.settings
        guard = RpcGuard(
            limits=RpcLimits(gas_cap=settings.rpc_gas_cap, max_batch=settings.rpc_max_batch),
            rate=TokenBuckets(
                rate_per_second=settings.rpc_rate_per_second,
                burst=settings.rpc_rate_burst,
                what="calls to /rpc",
            ),
            threads=anyio.CapacityLimiter(RPC_THREADS),
        )
        app.state.rpc_guard = guard
    return guard


@router.post(
    "/rpc",
    responses={
        204: {"description": "The request held only notifications."},
        404: {"description": "This deployment does not serve its chain at /rpc."},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "A JSON-RPC 2.0 request, or a batch of them.",
            "content": {"application/json": {"schema": {"type": ["object", "array"]}}},
        }
    },
)
async def rpc(request: Request) -> Response:
    """Answer JSON-RPC requests (chain id, blocks, receipts, logs, eth_call) so standard tools
    and ``tanji verify --rpc-url <base>/rpc`` can check labels against this deployment's chain.

    Bounded: each ``eth_call`` / ``eth_estimateGas`` gets at most ``TANJI_RPC_GAS_CAP`` gas, a
    batch holds at most ``TANJI_RPC_MAX_BATCH`` calls, and each client may make
    ``TANJI_RPC_RATE_PER_SECOND`` calls a second (bursts of ``TANJI_RPC_RATE_BURST``), then 429.
    """
    guard = rpc_guard(request.app)
    client = client_address(request)
    guard.rate.take(client)  # before the body is even read
    chain = request.app.state.chain
    if chain is None or chain.embedded is None:
        raise NotFoundError("this deployment does not serve its chain at /rpc", code="no_rpc")
    body = await request.body()

    def admit(parsed: Any) -> None:
        # A batch costs one token a call: the first was taken above.
        if isinstance(parsed, list) and 1 < len(parsed) <= guard.limits.max_batch:
            guard.rate.take(client, len(parsed) - 1)

    answer = await anyio.to_thread.run_sync(
        handle_rpc_body, chain.embedded, body, guard.limits, admit, limiter=guard.threads
    )
    if answer is None:
        return Response(status_code=204)
    return JSONResponse(answer)
