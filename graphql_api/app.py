"""build_app(settings) → the Starlette application: lifespan, routes, middleware."""

from __future__ import annotations

import contextlib
import gc
import hmac
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from graphql_api.collection_routes import collection_routes
from graphql_api.context import make_context_factory
from graphql_api.document_batch_routes import document_batch_routes
from graphql_api.errors import explain_oversize, too_many_requests
from graphql_api.graphiql import vendor_static_app
from graphql_api.observability import Metrics, RequestContextMiddleware
from graphql_api.private_results import PrivateResults
from graphql_api.public_results import PublicResults
from graphql_api.readiness import log_startup_checks, readiness_endpoint
from graphql_api.root import build_schema
from graphql_api.transport import RequestLimit, Throttled, graphql_route
from graphql_api.verification_batch_routes import verification_batch_routes
from schema.db import close_db, open_db, postgres_connect_kwargs
from schema.http_edge.client import client_ip
from schema.http_edge.deps import Deps, build_deps
from schema.http_edge.headers import SecurityHeadersMiddleware
from schema.http_edge.request_limit import TokenBucketLimiter
from schema.http_edge.settings import Settings
from schema.services.access_cache import AccessFeed
from schema.services.reference import current_catalog
from verify_page.document_endpoints import document_routes
from verify_page.endpoints import verify_routes
from verify_page.holder_qr import holder_qr_routes

__all__ = ["VENDOR_DIR", "app_from_environment", "build_app"]

VENDOR_DIR = Path(__file__).parent / "static" / "vendor"
_log = logging.getLogger("ecert.app")


async def _healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def _request_limit(settings: Settings) -> RequestLimit | None:
    """/graphql requests per client address (``schema.http_edge.request_limit``), or None
    when ``ECERT_GRAPHQL_REQUESTS_PER_MINUTE`` is 0."""
    if settings.graphql_requests_per_minute == 0:
        return None
    buckets = TokenBucketLimiter(
        per_minute=settings.graphql_requests_per_minute, burst=settings.graphql_burst
    )

    def limit(request: Request) -> Throttled | None:
        wait = buckets.take(client_ip(request, settings.trusted_proxies))
        if wait is None:
            return None
        code, message = too_many_requests(wait)
        return Throttled(retry_after=wait, code=code, message=message)

    return limit


def _metrics_route(settings: Settings, metrics: Metrics | None) -> list[Route]:
    """``/metrics`` for a scraper holding ``ECERT_METRICS_TOKEN`` (``Authorization: Bearer``);
    without a configured token the route does not exist (404), and no metrics are kept."""
    token = settings.metrics_token
    if token is None or metrics is None:
        return []
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    expected = token.reveal()

    async def _metrics(request: Request) -> Response:
        scheme, _, sent = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            sent.strip().encode(), expected
        ):
            return JSONResponse(
                {"error": "unauthorized"},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return [Route("/metrics", _metrics)]


@contextlib.asynccontextmanager
async def _collection_jobs(settings: Settings, deps: Deps) -> AsyncIterator[None]:
    """Who runs collection jobs and document batches: a background task here (SQLite
    default), else the queue."""
    from graphql_api.worker import (
        InProcessWorker,
        QueueDispatcher,
        build_batch_runner,
        build_collector,
    )

    if settings.inprocess_worker:
        worker = InProcessWorker(
            build_collector(settings, deps),
            clock=deps.clock,
            batches=build_batch_runner(settings, deps),
        )
        async with worker.running():
            deps.jobs.dispatcher = worker
            try:
                yield
            finally:
                deps.jobs.dispatcher = None
        return
    dispatcher = QueueDispatcher(settings)
    deps.jobs.dispatcher = dispatcher
    try:
        yield
    finally:
        deps.jobs.dispatcher = None
        await dispatcher.close()


@contextlib.asynccontextmanager
async def _access_feed(settings: Settings, deps: Deps) -> AsyncIterator[None]:
    """Keep the holder QR route's session cache listening for changes (PostgreSQL)."""
    if deps.access_cache is None:
        yield
        return
    feed = AccessFeed(deps.access_cache, postgres_connect_kwargs(settings.database_url))
    await feed.start()
    try:
        yield
    finally:
        await feed.stop()


async def _settle_heap() -> None:
    """Load what every request needs, then move everything alive after start-up out of the
    collector's reach (``gc.freeze``): a full collection then walks only what requests
    create, not the ~220,000 objects of the imported libraries and the schema. Measured on
    the verification benchmark: one full collection paused the process for 168 ms, the
    largest part of its p99 latency. Production only: the test suite builds many apps in
    one process, and frozen objects are never freed."""
    await current_catalog()
    gc.collect()
    gc.freeze()


def build_app(settings: Settings, *, deps: Deps | None = None, manage_db: bool = True) -> Starlette:
    """The ASGI app. ``manage_db=False`` when the caller (a test) already opened the database."""
    deps = deps or build_deps(settings)
    metrics = Metrics() if settings.metrics_token is not None else None

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if manage_db:
            await open_db(settings.database_url)
        _log.info("ecert started", extra={"env": settings.env})
        await log_startup_checks(deps)
        if settings.env == "production":
            await _settle_heap()
        try:
            async with _collection_jobs(settings, deps), _access_feed(settings, deps):
                yield
        finally:
            if manage_db:
                await close_db()
            _log.info("ecert stopped")

    private_results = PrivateResults()
    routes = [
        # Starlette tries routes in order: the public scans and the holder's QR image, the
        # hottest paths, come first (each route passed over is a regular-expression match).
        *verify_routes(deps),
        *holder_qr_routes(deps),
        graphql_route(
            build_schema(
                introspection=settings.env != "production",
                max_depth=settings.graphql_max_depth,
                max_aliases=settings.graphql_max_aliases,
                max_tokens=settings.graphql_max_tokens,
                max_cost=settings.graphql_max_cost,
            ),
            context_factory=make_context_factory(deps),
            graphiql=settings.graphiql_enabled,
            vendor_url="/static/vendor",
            max_body_bytes=4_000_000,
            max_upload_bytes=200_000_000,
            explain_oversize=explain_oversize,
            request_limit=_request_limit(settings),
            public_results=PublicResults(revision=current_catalog),
            private_results=private_results,
        ),
        Route("/healthz", _healthz),
        Route("/readyz", readiness_endpoint(deps)),
        *_metrics_route(settings, metrics),
        Mount("/static/vendor", app=vendor_static_app(VENDOR_DIR), name="vendor"),
        *document_routes(deps),
        *collection_routes(deps),
        *document_batch_routes(deps),
        *verification_batch_routes(deps),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(RequestContextMiddleware, metrics=metrics),
            Middleware(SecurityHeadersMiddleware, hsts=settings.hsts),
        ],
        lifespan=lifespan,
    )
    app.state.private_results = private_results  # read by the tests (its hit count)
    return app


def app_from_environment() -> Starlette:
    """The app of one worker process of ``ecert serve --workers N`` (uvicorn's factory):
    settings and logging from the environment, as the parent process read them."""
    from graphql_api.observability import configure_logging
    from schema.http_edge.settings import load_settings

    settings = load_settings()
    configure_logging(settings.log_level)
    return build_app(settings)
