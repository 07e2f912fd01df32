"""``GET /.well-known/tanji-trust.json``: this deployment's trust file (registry.publication)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from registry.chain import ChainHandle
from registry.errors import ChainSetupError
from registry.publication import TRUST_PATH, published_trust

router = APIRouter(tags=["pages"])


@router.get(
    TRUST_PATH,
    responses={503: {"description": "this process holds no chain yet (code no_chain)"}},
)
def trust_file(request: Request) -> JSONResponse:
    """The ``tanji-trust/1`` document of this deployment, for ``tanji verify --trust URL``."""
    chain: ChainHandle | None = request.app.state.chain
    if chain is None:
        raise ChainSetupError(
            "this process has no chain open, so it cannot name its anchor contract",
            code="no_chain",
        )
    body: dict[str, Any] = published_trust(request.app.state.settings, chain)
    return JSONResponse(
        body,
        headers={"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"},
    )
