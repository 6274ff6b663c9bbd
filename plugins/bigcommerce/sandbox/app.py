"""``create_app(**options)``: the BigCommerce sandbox as one Starlette app.

One port serves the login service (``/oauth2/token``), the control API
(``/_sandbox/...``), the control panel's pages (``/manage/...``), the REST API
(``/stores/{hash}/v3/...``, ``/stores/{hash}/v2/...``)
and the CDN (``/s-{hash}/...``).  State is in memory.

Options (all optional, so ``create_app()`` works as a uvicorn factory):
``seed`` (default 0), ``public_url`` (base of CDN URLs; default: the request's host),
``code_ttl_s`` (OAuth code lifetime, default 600), ``render_cache_mb`` (default 64),
``enforce_webhook_port`` (default True: hook destinations must be https on 443),
``stores`` (a list of store specs as ``POST /_sandbox/stores`` takes, created at start).
"""

from __future__ import annotations

import contextlib

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from . import cdn, control, oauth, panel, rest
from .catalog import CatalogSpec
from .render import ByteLRU
from .state import Sandbox
from .webhooks import Dispatcher


class SandboxApp(Starlette):
    """Starlette, plus the "connection dropped" fault: when a handler marked the request
    ``sandbox.drop``, the request has been applied but the connection is closed without any
    response (the client cannot tell whether its write happened).  This sits outside every
    middleware so that ``send`` is still the server's, whose transport it aborts."""

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await super().__call__(scope, receive, send)
        transport = getattr(getattr(send, "__self__", None), "transport", None)

        async def guarded_send(message):
            if scope.get("sandbox.drop"):
                if transport is not None:
                    transport.abort()
                    return
                if message["type"] == "http.response.start":
                    # no transport to close: promise a body that never comes, then fail
                    await send({**message, "headers": [(k, v) for k, v in message["headers"]
                                                       if k.lower() != b"content-length"]
                                + [(b"content-length", b"1000000")]})
                    raise ConnectionAbortedError("sandbox: connection dropped after applying the request")
                return
            await send(message)

        await super().__call__(scope, receive, guarded_send)


async def _root(request):
    return PlainTextResponse("BigCommerce sandbox. Control API under /_sandbox/.\n")


def create_app(**options) -> Starlette:
    sandbox = Sandbox(seed=int(options.get("seed", 0)), public_url=options.get("public_url"),
                      code_ttl_s=int(options.get("code_ttl_s", 600)),
                      enforce_webhook_port=bool(options.get("enforce_webhook_port", True)))
    for s in options.get("stores", []) or []:
        s = dict(s)
        spec = CatalogSpec(seed=int(s.pop("seed", 1)), products=int(s.pop("products", 20)),
                           images_per_product=int(s.pop("images_per_product", 3)),
                           variant_share=float(s.pop("variant_share", 0.3)),
                           duplicate_share=float(s.pop("duplicate_share", 0.1)),
                           max_image_size=int(s.pop("max_image_size", 4000)))
        sandbox.create_store(spec=spec, **s)
    dispatchers: dict[str, Dispatcher] = {}

    def hooks_for(store) -> Dispatcher:
        d = dispatchers.get(store.hash)
        if d is None:
            d = dispatchers[store.hash] = Dispatcher(sandbox, store)
        return d

    async def close_hooks(store) -> None:
        d = dispatchers.pop(store.hash, None)
        if d is not None:
            await d.close()

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        for d in list(dispatchers.values()):
            await d.close()

    routes = [
        Route("/", _root),
        Route("/oauth2/token", oauth.token_endpoint, methods=["POST"]),
        *control.routes,
        *rest.routes,
        *cdn.routes,
        *panel.routes,  # the control panel's HTML pages (/manage)
    ]
    app = SandboxApp(routes=routes, lifespan=lifespan)
    app.state.sandbox = sandbox
    app.state.hooks_for = hooks_for
    app.state.close_hooks = close_hooks
    app.state.render_cache = ByteLRU(int(options.get("render_cache_mb", 64)) * 1024 * 1024)
    return app
