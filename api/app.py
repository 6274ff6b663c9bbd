"""The ASGI app: composition root of Pixport's HTTP side.

``create_app()`` starts its own runtime (database, job queue, event bus, mailer)
in the lifespan; tests that already run one pass ``manage_runtime=False``.
"""

from __future__ import annotations

import contextlib

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route, WebSocketRoute

from api import files, health, logs, metrics, publishing, webapp
from api.graphql import PixportGraphQL
from api.middleware import BodyLimit, RequestContext
from core import db
from core.connectors import factories
from core.payments.models import Provider
from core.settings import Settings
from workers import runtime as worker_runtime


MULTIPART_OVERHEAD = 64 * 1024  # the operations and map parts, boundaries, part headers


def create_app(settings: Settings | None = None, *, manage_runtime: bool = True) -> Starlette:
    settings = settings or Settings()
    graphql = PixportGraphQL(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        if not manage_runtime:
            yield
            return
        if settings.is_embedded_db:  # one process owns the SQLite file: keep it migrated
            settings.data_dir.mkdir(parents=True, exist_ok=True)
            await db.migrate(settings.db_url)
            await db.close_db()
        rt = await worker_runtime.start(settings)
        try:
            yield
        finally:
            await worker_runtime.stop(rt)

    return Starlette(
        debug=False,
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", health.healthz),
            Route("/readyz", health.readyz),
            Route("/metrics", metrics.endpoint),
            Route("/files/{key}", files.serve_file, methods=["GET"]),
            Route("/webhooks/stripe", payment_webhook(Provider.STRIPE), methods=["POST"]),
            Route("/webhooks/paypal", payment_webhook(Provider.PAYPAL), methods=["POST"]),
            *publishing.routes(),
            *plugin_routes(),
            *webapp.routes(settings),
        ],
        middleware=[
            Middleware(RequestContext),
            # a multipart body carries a retoucher's file (productionImageSubmit): its own, larger cap
            Middleware(BodyLimit, max_bytes=settings.max_body_bytes,
                       multipart_max_bytes=settings.max_upload_bytes + MULTIPART_OVERHEAD),
        ],
        lifespan=lifespan,
    )


def payment_webhook(provider: Provider):
    """A provider's webhook: the raw body is verified and applied once by core.payments;
    a bad signature, an unknown payment or a wrong amount gets a 400."""
    from starlette.responses import JSONResponse

    from core.payments import services as payments
    from core.payments.errors import WebhookRejected

    async def endpoint(request):
        body = await request.body()
        try:
            outcome = await payments.apply_webhook(provider, body, {k.lower(): v for k, v in request.headers.items()})
        except WebhookRejected as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse({"status": outcome})

    return endpoint


def plugin_routes() -> list:
    """The routes each platform plugin serves (app install callbacks, webhooks)."""
    routes = []
    for factory in factories().values():
        http_routes = getattr(factory, "http_routes", None)
        if http_routes is not None:
            routes.extend(http_routes())
    return routes


def app_factory() -> Starlette:
    """For ``uvicorn api.app:app_factory --factory`` (the CLI's serve uses it too)."""
    settings = Settings()
    logs.configure(settings.log_level)
    return create_app(settings)
