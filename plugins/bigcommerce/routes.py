"""BigCommerce's callbacks: app install (``/bigcommerce/auth``), load, uninstall,
remove_user, and webhook deliveries. The domain work is in ``core.stores.services``;
here are the BigCommerce facts (JWTs, the token endpoint, store hashes, hook headers).

Pages meant for the control-panel iframe carry ``Content-Security-Policy:
frame-ancestors https://store-{hash}.mybigcommerce.com`` (that store's control panel)
and sessions are bearer tokens in the URL fragment, never cookies.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import logging
import re
from datetime import timedelta

import httpx
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from core import runtime
from core.connectors import ConnectorError
from core.stores import services as stores
from core.stores.models import Store, StoreStatus
from core.timeutil import utcnow
from plugins.bigcommerce import signed_payload
from plugins.bigcommerce.settings import BigCommerceSettings, current as current_settings

log = logging.getLogger(__name__)

PLATFORM = "bigcommerce"
WEBHOOK_SECRET_HEADER = "X-Pixport-Webhook-Secret"
PRODUCT_EVENTS = {"store/product/created", "store/product/updated", "store/product/deleted"}
# store_v2_products to read and later publish images; store information for /v2/store
REQUIRED_SCOPES = (("store_v2_products",), ("store_v2_information_read_only", "store_v2_information"))
_CONTEXT = re.compile(r"stores/([A-Za-z0-9]{1,64})")
# Webhook deliveries are retried for about 48 h: remember a delivery a little longer.
DELIVERY_MEMORY = timedelta(days=3)


# ---- helpers -----------------------------------------------------------------------------

def public_url() -> str:
    return runtime.current().settings.public_url.rstrip("/")


def auth_callback_url() -> str:
    return f"{public_url()}/bigcommerce/auth"


def webhook_destination(settings: BigCommerceSettings | None = None) -> str:
    settings = settings or current_settings()
    return f"{(settings.webhook_base_url or public_url()).rstrip('/')}/bigcommerce/webhooks"


def iframe_headers(store_hash: str | None) -> dict[str, str]:
    """Only that store's control panel may frame the page; nothing is cached or referred."""
    panel = current_settings().control_panel_origin
    ancestors = panel.rstrip("/") if panel else (f"https://store-{store_hash}.mybigcommerce.com" if store_hash
                                                 else "'none'")
    return {
        "Content-Security-Policy": f"frame-ancestors {ancestors}",
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
    }


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Pixport</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; background: #f5f7fb; color: #1d2433; }}
main {{ max-width: 36rem; margin: 4rem auto; background: #fff; border-radius: 12px; padding: 2.5rem;
       box-shadow: 0 2px 12px rgba(29, 36, 51, .08); }}
.brand {{ font-weight: 700; font-size: 1.5rem; letter-spacing: .02em; color: #3c64f4; margin-bottom: 1.5rem; }}
h1 {{ font-size: 1.25rem; margin: 0 0 .75rem; }} p {{ line-height: 1.5; margin: 0 0 1rem; }}
a.button {{ display: inline-block; background: #3c64f4; color: #fff; padding: .75rem 1.5rem; border-radius: 6px;
           text-decoration: none; font-weight: 600; }}
</style></head>
<body><main><div class="brand">Pixport</div><h1>{title}</h1>{body}</main></body></html>"""


def page(title: str, message: str, *, status: int = 200, store_hash: str | None = None,
         link: tuple[str, str] | None = None) -> HTMLResponse:
    body = f"<p>{html.escape(message)}</p>"
    if link is not None:
        body += f'<p><a class="button" href="{html.escape(link[1], quote=True)}">{html.escape(link[0])}</a></p>'
    return HTMLResponse(_PAGE.format(title=html.escape(title), body=body), status_code=status,
                        headers=iframe_headers(store_hash))


def entry_url(entry: stores.AppEntry) -> str:
    return f"/app#{entry.kind}={entry.token}"


def _connector(store: Store, settings: BigCommerceSettings):
    from plugins.bigcommerce.connector import BigCommerceConnector

    return BigCommerceConnector(stores.access(store), settings=settings)


class _CodeRefused(Exception):
    pass


async def exchange_code(settings: BigCommerceSettings, code: str, scope: str, context: str) -> dict:
    """POST the grant code to the login service; the token JSON, or _CodeRefused."""
    body = {
        "client_id": settings.client_id,
        "client_secret": settings.client_secret.get_secret_value(),
        "code": code,
        "context": context,
        "scope": scope,
        "grant_type": "authorization_code",
        "redirect_uri": auth_callback_url(),
    }
    async with httpx.AsyncClient(timeout=min(20.0, settings.timeout_seconds)) as client:
        response = await client.post(f"{settings.login_url.rstrip('/')}/oauth2/token", json=body,
                                     headers={"Accept": "application/json"})
    if response.status_code >= 400:
        raise _CodeRefused(f"token endpoint answered {response.status_code}")
    try:
        grant = response.json()
    except ValueError:
        raise _CodeRefused("token endpoint answered no JSON") from None
    if not isinstance(grant, dict) or grant.get("error") or grant.get("errors") or not grant.get("access_token"):
        raise _CodeRefused("token endpoint refused the code")
    return grant


def _scopes_ok(granted: str) -> bool:
    have = set(granted.split())
    return all(have.intersection(alternatives) for alternatives in REQUIRED_SCOPES)


# ---- /bigcommerce/auth --------------------------------------------------------------------

async def auth(request: Request) -> Response:
    settings = current_settings()
    q = request.query_params
    code, scope, context = q.get("code", ""), q.get("scope", ""), q.get("context", "")
    match = _CONTEXT.fullmatch(context)
    store_hash = match[1] if match else None
    if not settings.configured:
        log.error("bigcommerce install: PIXPORT_BIGCOMMERCE_CLIENT_ID/SECRET are not set")
        return page("Pixport is not available", "The app is not configured yet. Please try again later.",
                    status=503, store_hash=store_hash)
    if not code or store_hash is None or len(code) > 512:
        return page("Installation failed", "This installation link is incomplete. Install Pixport again "
                    "from your store's control panel.", status=400, store_hash=store_hash)
    try:
        grant = await exchange_code(settings, code, scope, context)
    except _CodeRefused as exc:
        log.warning("bigcommerce install refused", extra={"store_hash": store_hash, "reason": str(exc)})
        return page("Installation failed", "This installation link has expired or was already used. Install "
                    "Pixport again from your store's control panel.", status=400, store_hash=store_hash)
    except httpx.HTTPError as exc:
        log.warning("bigcommerce login service unreachable", extra={"error": type(exc).__name__})
        return page("Installation failed", "BigCommerce could not be reached. Please try again in a moment.",
                    status=502, store_hash=store_hash)
    if grant.get("context") != context:
        return page("Installation failed", "BigCommerce answered for another store. Please install again.",
                    status=400, store_hash=store_hash)
    granted = str(grant.get("scope") or scope)
    if not _scopes_ok(granted):
        log.warning("bigcommerce install without the needed scopes", extra={"store_hash": store_hash,
                                                                          "scope": granted})
        return page("Installation failed", "Pixport needs permission to read and modify products and to read "
                    "store information. Please install again and accept them.", status=400, store_hash=store_hash)
    user, owner = grant.get("user") or {}, grant.get("owner") or {}
    installer = stores.PlatformUser(str(user.get("id", "")), str(user.get("email") or ""))
    store_owner = stores.PlatformUser(str(owner.get("id", "")), str(owner.get("email") or ""))
    store = await stores.record_install(PLATFORM, store_hash, access_token=grant["access_token"], scopes=granted,
                                        owner=store_owner, user=installer)
    log.info("bigcommerce app installed", extra={"store_id": store.id, "store_hash": store_hash})
    connector = _connector(store, settings)
    try:
        info = await connector.store_info()
        await stores.update_store_details(store, name=info.name, domain=info.domain)
    except ConnectorError as exc:
        log.warning("bigcommerce store information unavailable", extra={"store_id": store.id, "code": exc.code.value})
    try:
        await connector.install_webhooks(webhook_destination(settings),
                                         {WEBHOOK_SECRET_HEADER: stores.webhook_secret(store)})
    except ConnectorError as exc:  # the periodic rescan keeps the copy true meanwhile
        log.warning("bigcommerce webhooks not registered", extra={"store_id": store.id, "code": exc.code.value})
    finally:
        await connector.close()
    await _start_first_sync(store.id)
    entry = await stores.app_entry(store, installer)
    return page(f"Pixport is installed in {store.name or 'your store'}",
                "We are copying your product images now; you can close this page, the sync goes on. "
                "Open Pixport to sign up or log in and follow it.",
                store_hash=store_hash, link=("Open Pixport", entry_url(entry)))


async def _start_first_sync(store_id: int) -> None:
    from core.catalog import sync

    try:
        await sync.start_first_sync(store_id)
    except Exception:  # noqa: BLE001 - the install stands; a sync can be started from the app
        log.exception("first sync not queued", extra={"store_id": store_id})


# ---- JWT callbacks --------------------------------------------------------------------------

async def _verified(request: Request) -> tuple[signed_payload.SignedPayload, Store] | None:
    """The verified, first-seen payload and its installed store, or None."""
    try:
        payload = signed_payload.verify(request.query_params.get("signed_payload_jwt"), current_settings())
    except signed_payload.InvalidPayload as exc:
        log.warning("bigcommerce callback with an invalid payload", extra={"path": request.url.path,
                                                                          "reason": str(exc)})
        return None
    store = await stores.find_store(PLATFORM, payload.store_hash)
    if store is None or store.status != StoreStatus.INSTALLED:
        log.warning("bigcommerce callback for a store without the app", extra={"store_hash": payload.store_hash})
        return None
    if not await stores.use_once(f"bigcommerce:jwt:{payload.jti}", payload.expires_at):
        log.warning("bigcommerce callback replayed", extra={"store_hash": payload.store_hash})
        return None
    return payload, store


async def load(request: Request) -> Response:
    verified = await _verified(request)
    if verified is None:
        return page("This link has expired", "Open Pixport again from the Apps menu of your store's control panel.",
                    status=401)
    payload, store = verified
    entry = await stores.app_entry(store, stores.PlatformUser(payload.user_id, payload.user_email))
    return RedirectResponse(entry_url(entry), status_code=302, headers=iframe_headers(payload.store_hash))


async def uninstall(request: Request) -> Response:
    verified = await _verified(request)
    if verified is None:
        return JSONResponse({"error": "invalid signed payload"}, status_code=401)
    payload, store = verified
    # BigCommerce deletes the app's hooks itself and has usually revoked the token already;
    # remove them anyway while we may (a token that still works leaves nothing behind).
    connector = _connector(store, current_settings())
    try:
        await connector.remove_webhooks(webhook_destination())
    except ConnectorError:
        pass
    finally:
        await connector.close()
    cancelled = await stores.uninstall_store(store)
    log.info("bigcommerce app uninstalled", extra={"store_id": store.id, "jobs_cancelled": cancelled})
    return JSONResponse({"ok": True})


async def remove_user(request: Request) -> Response:
    verified = await _verified(request)
    if verified is None:
        return JSONResponse({"error": "invalid signed payload"}, status_code=401)
    payload, store = verified
    await stores.remove_store_user(store, payload.user_id)
    return JSONResponse({"ok": True})


# ---- webhooks ---------------------------------------------------------------------------------

_UNAUTHORIZED = {"error": "unauthorized"}


async def webhooks(request: Request) -> Response:
    raw = await request.body()
    try:
        event = json.loads(raw)
        scope = str(event["scope"])
        match = re.fullmatch(r"stores/([A-Za-z0-9]{1,64})", str(event["producer"]))
        data = event.get("data") or {}
    except (ValueError, KeyError, TypeError):
        return JSONResponse({"error": "not a BigCommerce webhook"}, status_code=400)
    given = request.headers.get(WEBHOOK_SECRET_HEADER, "")
    store = await stores.find_store(PLATFORM, match[1]) if match else None
    expected = stores.webhook_secret(store) if store is not None and store.status == StoreStatus.INSTALLED else None
    # Unknown store, uninstalled store and wrong secret answer alike.
    if not hmac.compare_digest(given.encode(), (expected or "\0" * 43).encode()) or expected is None or not given:
        return JSONResponse(_UNAUTHORIZED, status_code=401)
    delivery = str(event.get("hash") or hashlib.sha1(raw).hexdigest())[:100]
    key = f"bigcommerce:hook:{store.id}:{delivery}"
    if not await stores.use_once(key, utcnow() + DELIVERY_MEMORY):
        return Response(status_code=200)  # a duplicate delivery
    product_id = data.get("id") if isinstance(data, dict) else None
    if scope in PRODUCT_EVENTS and isinstance(product_id, int | str) and str(product_id).isdigit():
        from core.catalog import sync

        try:
            await sync.refresh_product(store.id, str(product_id))
        except Exception:
            await stores.forget_once(key)  # let BigCommerce's retry bring it again
            raise
    return Response(status_code=200)


def routes() -> list[Route]:
    return [
        Route("/bigcommerce/auth", auth, methods=["GET"]),
        Route("/bigcommerce/load", load, methods=["GET"]),
        Route("/bigcommerce/uninstall", uninstall, methods=["GET"]),
        Route("/bigcommerce/remove_user", remove_user, methods=["GET"]),
        Route("/bigcommerce/webhooks", webhooks, methods=["POST"]),
    ]
