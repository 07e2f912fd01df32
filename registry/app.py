"""``create_app``: the registry's FastAPI application.

Start-up (lifespan): migrate the database, open the chain (embedded or ``rpc_url``) and start the
background anchoring loop. Shut-down: stop the loop after its current cycle, release the chain
(a cycle still running when the wait ends releases it itself once it ends).
Shared objects live on ``app.state``: ``settings``, ``engine``, ``chain`` (a
:class:`registry.chain.ChainHandle` or ``None`` when this process does not anchor) and ``loop``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.staticfiles import StaticFiles

from registry.anchoring_loop import AnchoringLoop
from registry.api.errors import install_error_handlers
from registry.api.routes import (
    attestations,
    batches,
    disclosure,
    footprints,
    health,
    labels,
    orgs,
    pact,
    pages,
    recognitions,
    resolver,
    rpc,
    suppliers,
)
from registry.chain import open_chain
from registry.config import Settings, load_settings
from registry.db import make_engine, migrate

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"


#: How long shut-down waits for the anchoring loop's current cycle (a batch being mined).
SHUTDOWN_WAIT_SECONDS = 60.0


def create_app(
    settings: Settings | None = None, *, shutdown_wait_seconds: float = SHUTDOWN_WAIT_SECONDS
) -> FastAPI:
    """Build the application for ``settings`` (default: read from the environment).

    Shut-down waits up to ``shutdown_wait_seconds`` for the anchoring loop's cycle; a cycle
    still running then keeps the chain and the database until it ends (the loop releases them).
    """
    settings = settings or load_settings()
    engine = make_engine(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(migrate, engine)
        if settings.anchoring:
            chain = await run_in_threadpool(open_chain, settings)
            app.state.chain = chain
            loop = AnchoringLoop(
                engine,
                chain.client,
                max_batch=settings.batch_max_size,
                max_wait_seconds=settings.batch_max_wait_seconds,
                poll_interval=settings.poll_interval_seconds,
                redact=chain.redact,
            )
            app.state.loop = loop
            loop.start()
            log.info("anchoring on chain %d, contract %s", chain.chain_id, chain.address)
        try:
            yield
        finally:
            loop, chain = app.state.loop, app.state.chain
            app.state.loop = app.state.chain = None
            if loop is not None:
                await run_in_threadpool(loop.stop, shutdown_wait_seconds)
            # A cycle that outlived the wait still uses the chain (mid-transaction, perhaps):
            # the loop closes it when the cycle ends. The process may exit first; that is a
            # crash, which the batcher and the embedded chain recover from.
            release = loop.when_finished if loop is not None else (lambda close: close())
            if chain is not None:
                release(chain.close)
            release(engine.dispose)

    app = FastAPI(
        title="Tanji registry",
        summary="Blockchain-anchored product carbon footprints and carbon labels",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.chain = None
    app.state.loop = None
    install_error_handlers(app)
    # Before `pages`: the GS1 Digital Link paths are answered here (redirect or linkset).
    app.include_router(resolver.router)
    for module in (
        health,
        orgs,
        footprints,
        labels,
        batches,
        rpc,
        pages,
        disclosure,
        suppliers,
        attestations,
    ):
        app.include_router(module.router)
    for module in (recognitions, pact):
        app.include_router(module.router)
    if STATIC_DIR.is_dir():
        app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
