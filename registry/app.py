"""``create_app``: the registry's FastAPI application.

Start-up (lifespan): migrate the database, open the chain (embedded or ``rpc_url``) and start the
background anchoring loop. A node that cannot be reached does not stop the start: the server
runs degraded (writes wait as pending) while the chain monitor (:mod:`registry.chain_monitor`)
keeps trying to open it, and starts the loop when it opens. Shut-down: stop the monitor, stop the
loop after its current cycle, release the chain (a cycle still running when the wait ends
releases it itself once it ends).
Shared objects live on ``app.state``: ``settings``, ``engine``, ``chain`` (a
:class:`registry.chain.ChainHandle`, or ``None`` when this process does not anchor or its node has
not answered yet), ``loop``, ``chain_monitor`` and ``database_probe`` (for ``/healthz``).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from registry import finality
from registry.anchoring_loop import AnchoringLoop
from registry.api.admission import Admission
from registry.api.docs import install_docs
from registry.api.errors import install_error_handlers
from registry.api.headers import install_security_headers
from registry.api.limits import BodyLimits, RequestLimits
from registry.api.nul import RefuseNul
from registry.api.openapi import install_openapi
from registry.api.ratelimit import TokenBuckets
from registry.api.routes import (
    api_keys,
    attestations,
    audit,
    batches,
    calculations,
    categories,
    city,
    console_city,
    console_enterprise,
    console_inventories,
    console_review,
    console_signing,
    disclosure,
    factors,
    footprint_calculation,
    footprints,
    health,
    home,
    inventory_drafts,
    labels,
    orgs,
    pact,
    pages,
    prefixes,
    products,
    recognitions,
    resolver,
    reviews,
    rpc,
    supplier_invitations,
    suppliers,
    well_known,
)
from registry.api.routes.console import install_console
from registry.chain import (
    TRANSIENT_SETUP_CODES,
    ChainHandle,
    open_chain,
    redact_url_secrets,
)
from registry.chain_monitor import ChainMonitor
from registry.config import Settings, load_settings
from registry.database_probe import DatabaseProbe
from registry.db import make_engine, migrate, read_pool_size_for
from registry.errors import ChainSetupError
from registry.heap import freeze_heap
from registry.pact import routes as pact_routes
from registry.pact.events import DeliveryLoop

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"


#: How long shut-down waits for the anchoring loop's current cycle (a batch being mined).
SHUTDOWN_WAIT_SECONDS = 60.0


def _lifespan(
    settings: Settings,
    engine: Engine,
    monitor: ChainMonitor,
    start_anchoring: Callable[[ChainHandle], None],
    shutdown_wait_seconds: float,
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The application's start-up and shut-down (the module docstring tells what they do)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Every admitted request can hold a thread and its dependencies' clean-up another.
        threads = anyio.to_thread.current_default_thread_limiter()
        threads.total_tokens = max(threads.total_tokens, 2 * settings.max_concurrent_requests)
        await run_in_threadpool(migrate, engine)
        if engine.dialect.name == "postgresql":  # the public reads, on this event loop
            from registry.pg_reads import PgReads  # asyncpg: the `postgres` extra

            app.state.pg_reads = await PgReads.open(
                settings.sqlalchemy_url,
                size=read_pool_size_for(settings),
                acquire_timeout=settings.db_pool_timeout_seconds,
            )
        if settings.anchoring:
            try:
                chain = await run_in_threadpool(open_chain, settings)
            except ChainSetupError as exc:
                if exc.code not in TRANSIENT_SETUP_CODES:
                    raise
                # The node is down: serve (writes wait as pending) and open it when it is up.
                monitor.opening_failed(exc)
            else:
                start_anchoring(chain)
                await run_in_threadpool(monitor.probe, chain)
        monitor.start()
        pact_delivery = DeliveryLoop(engine, settings)  # outgoing PACT events, retried
        pact_delivery.start()
        if app.state.freeze_heap:
            freeze_heap()
        try:
            yield
        finally:
            await run_in_threadpool(pact_delivery.stop)
            # First: no chain is opened (and no loop started) behind this shut-down's back.
            await run_in_threadpool(monitor.stop)
            loop, chain = app.state.loop, app.state.chain
            app.state.loop = app.state.chain = None
            finality.install(None)
            if loop is not None:
                await run_in_threadpool(loop.stop, shutdown_wait_seconds)
            # A cycle that outlived the wait still uses the chain (mid-transaction, perhaps):
            # the loop closes it when the cycle ends. The process may exit first; that is a
            # crash, which the batcher and the embedded chain recover from.
            release = loop.when_finished if loop is not None else (lambda close: close())
            if chain is not None:
                release(chain.close)
            reads, app.state.pg_reads = app.state.pg_reads, None
            if reads is not None:
                await reads.close()
            release(engine.dispose)

    return lifespan


def create_app(
    settings: Settings | None = None, *, shutdown_wait_seconds: float = SHUTDOWN_WAIT_SECONDS
) -> FastAPI:
    """Build the application for ``settings`` (default: read from the environment).

    Shut-down waits up to ``shutdown_wait_seconds`` for the anchoring loop's cycle; a cycle
    still running then keeps the chain and the database until it ends (the loop releases them).
    """
    settings = settings or load_settings()
    engine = make_engine(settings)

    def start_anchoring(chain: ChainHandle) -> None:
        loop = AnchoringLoop(
            engine,
            chain.client,
            max_batch=settings.batch_max_size,
            max_wait_seconds=settings.batch_max_wait_seconds,
            poll_interval=settings.poll_interval_seconds,
            redact=chain.redact,
            on_anchored=lambda outcome: monitor.saw_block(outcome.block_number),
        )
        app.state.loop = loop
        app.state.chain = chain
        finality.install(chain)  # mined, not yet final, proofs are checked against it
        loop.start()
        log.info("anchoring on chain %d, contract %s", chain.chain_id, chain.address)

    def retry_anchoring() -> None:
        loop: AnchoringLoop | None = app.state.loop
        if loop is not None:
            loop.retry_now()

    monitor = ChainMonitor(
        current=lambda: app.state.chain,
        opener=(lambda: open_chain(settings)) if settings.anchoring else None,
        on_open=start_anchoring,
        on_recover=retry_anchoring,
        redact=lambda text: redact_url_secrets(text, settings.rpc_url),
    )

    app = FastAPI(
        title="Tanji registry",
        summary="Blockchain-anchored product carbon footprints and carbon labels",
        version="0.1.0",
        # /docs is Swagger UI from a Python package (registry.api.docs), not from a CDN.
        docs_url=None,
        redoc_url=None,
        lifespan=_lifespan(settings, engine, monitor, start_anchoring, shutdown_wait_seconds),
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.chain = None
    app.state.loop = None
    app.state.pg_reads = None  # registry.pg_reads.PgReads on PostgreSQL, from start-up
    app.state.freeze_heap = False  # `tanji serve` sets it: registry.heap.freeze_heap
    app.state.auth_failures = TokenBuckets(
        rate_per_second=1 / settings.auth_failure_refill_seconds,
        burst=settings.auth_failure_burst,
        what="failed authentications",
        code="too_many_failed_auth",
    )
    app.state.chain_monitor = monitor
    app.state.database_probe = DatabaseProbe(engine)
    install_error_handlers(app)
    app.add_middleware(
        RequestLimits,
        limits=BodyLimits(
            max_body_bytes=settings.max_body_bytes,
            max_json_depth=settings.max_json_depth,
            per_prefix={"/rpc": settings.rpc_max_body_bytes},
        ),
    )
    app.add_middleware(RefuseNul)
    # Outside the body limits and routes: a full worker refuses before reading anything.
    app.add_middleware(
        Admission,
        limit=settings.max_concurrent_requests,
        queue=settings.max_queued_requests,
        wait_seconds=settings.queue_wait_seconds,
    )
    install_security_headers(app, settings)  # outermost: refusals carry the headers too
    install_openapi(app)
    install_docs(app)
    # Before `pages`: the GS1 Digital Link paths are answered here (redirect or linkset).
    app.include_router(resolver.router)
    # The reads a crowd of phones makes (a label's JSON, bundle, page) come next: routes are
    # matched in order, and each router passed over costs every request a little.
    app.include_router(labels.router)
    app.include_router(pages.router)
    for module in (
        health,
        api_keys,  # before orgs: /api/v1/orgs/me/keys is not /api/v1/orgs/{org_id}/keys
        prefixes,  # likewise /api/v1/orgs/me/id-prefixes
        orgs,
        footprints,
        products,
        batches,
        rpc,
        disclosure,
        suppliers,
        supplier_invitations,
        attestations,
    ):
        app.include_router(module.router)
    for module in (recognitions, pact, audit, factors, calculations, footprint_calculation):
        app.include_router(module.router)
    app.include_router(inventory_drafts.router)  # /api/v1/inventories/drafts
    app.include_router(reviews.router)  # /api/v1/reviews: the certification review
    app.include_router(city.router)  # /api/v1/stats, /districts, /publishers
    app.include_router(pact_routes.router)  # PACT v3.0: /auth/token, /3/..., /.well-known/...
    app.include_router(well_known.router)
    app.include_router(categories.router)
    app.include_router(home.router)
    install_console(app)  # /console: people sign in (registry.api.routes.console)
    app.include_router(console_city.router)  # /console/city: the city administrator
    app.include_router(console_enterprise.router)  # /console/products, labels, sharing, ...
    app.include_router(console_inventories.router)  # /console/inventories
    app.include_router(console_review.router)  # /console/reviews: certification review
    app.include_router(console_signing.router)  # /console/signing: sign in the browser
    if STATIC_DIR.is_dir():
        app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
