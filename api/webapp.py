"""The merchant's admin app at ``/app``: the built single-page app (webapp/dist), its
public config, and the test-mode card route.

- ``/app``, ``/app/`` and any other ``/app/...`` page: index.html (the app routes by
  ``#/...``), never cached, with a CSP that allows only this origin, plus Stripe's
  script, API and frames when a publishable key is configured.
- ``/app/assets/*``: content-hashed files, cached for a year.
- ``/app/config.json``: what the app needs to know (no secrets).
- ``POST /app/test-card``: only against a Stripe *test server* (Stripe configured without
  a publishable key, API base not api.stripe.com): confirms a PaymentIntent with the
  card typed in, as Stripe.js would. localstripe cannot be called from a browser (no
  CORS preflight, secret-key auth), so Pixport does it for the page.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from core.accounts import services as accounts
from core.settings import Settings

DIST = Path(__file__).resolve().parent.parent / "webapp" / "dist"
STRIPE_JS = "https://js.stripe.com/v3/"
REAL_STRIPE_HOSTS = {"api.stripe.com"}


class WebAppSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PIXPORT_", extra="ignore")

    # Stripe Elements when set (pk_live_… / pk_test_…); without it, a Stripe test server gets the test-card form.
    stripe_publishable_key: str = ""
    stripe_js_url: str = STRIPE_JS
    # Who may frame /app: the BigCommerce control panels, plus e.g. the sandbox's origin in the demo.
    app_frame_ancestors: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["https://*.mybigcommerce.com", "https://store.bigcommerce.com"])
    webapp_dir: Path = DIST

    @field_validator("app_frame_ancestors", mode="before")
    @classmethod
    def _split(cls, value):
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _payments():
    from core.payments import settings as payment_settings

    return payment_settings.current()


def stripe_mode(web: WebAppSettings) -> str | None:
    """'elements' (Stripe.js with a publishable key), 'test-card' (a Stripe test server), or None."""
    payments = _payments()
    if not payments.stripe_configured:
        return None
    if web.stripe_publishable_key:
        return "elements"
    if urlsplit(payments.stripe_api_base).hostname not in REAL_STRIPE_HOSTS:
        return "test-card"
    return None  # real Stripe without a publishable key: cards cannot be taken


def public_config(web: WebAppSettings) -> dict:
    mode = stripe_mode(web)
    stripe = None
    if mode == "elements":
        stripe = {"mode": mode, "publishableKey": web.stripe_publishable_key, "jsUrl": web.stripe_js_url}
    elif mode == "test-card":
        stripe = {"mode": mode}
    return {"graphqlPath": "/graphql", "stripe": stripe, "paypal": _payments().paypal_configured}


def content_security_policy(web: WebAppSettings, settings: Settings, host: str) -> str:
    scripts, connects, frames = ["'self'"], ["'self'", f"ws://{host}", f"wss://{host}"], []
    if stripe_mode(web) == "elements":
        js = _origin(web.stripe_js_url)
        scripts.append(js)
        connects += [js, _origin(_payments().stripe_api_base)]
        frames += [js, "https://hooks.stripe.com"] if js == _origin(STRIPE_JS) else [js]
    # product images come from the store's CDN (https), or an allowed http host (the sandbox)
    images = ["'self'", "data:", "blob:", "https:"] + [f"http://{h}:*" for h in settings.image_hosts]
    ancestors = ["'self'"] + web.app_frame_ancestors
    directives = {
        "default-src": ["'self'"],
        "script-src": scripts,
        "style-src": ["'self'"],
        "img-src": images,
        "connect-src": list(dict.fromkeys(connects)),
        "frame-src": frames or ["'none'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ancestors,
    }
    return "; ".join(f"{k} {' '.join(v)}" for k, v in directives.items())


_HOST = re.compile(r"^[A-Za-z0-9.\-\[\]:]{1,255}$")


def routes(settings: Settings, web: WebAppSettings | None = None) -> list:
    web = web or WebAppSettings()
    index = web.webapp_dir / "index.html"

    def page_headers(request: Request) -> dict[str, str]:
        host = request.headers.get("host", "")
        host = host if _HOST.match(host) else urlsplit(settings.public_url).netloc
        return {
            "Content-Security-Policy": content_security_policy(web, settings, host),
            "Cache-Control": "no-cache",
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
        }

    async def app_page(request: Request) -> Response:
        if not index.exists():
            return HTMLResponse("<!doctype html><title>Pixport</title><h1>The app is not built</h1>"
                                "<p>Run <code>make install</code> (it builds webapp/dist).</p>",
                                status_code=503, headers=page_headers(request))
        return FileResponse(index, media_type="text/html; charset=utf-8", headers=page_headers(request))

    async def config(request: Request) -> Response:
        return JSONResponse(public_config(web), headers={"Cache-Control": "no-store"})

    async def test_card(request: Request) -> Response:
        return await confirm_test_card(request, web)

    return [
        Route("/app", app_page),
        Route("/app/config.json", config),
        Route("/app/test-card", test_card, methods=["POST"]),
        Mount("/app/assets", app=ImmutableFiles(directory=web.webapp_dir / "assets", check_dir=False), name="app-assets"),
        Route("/app/{path:path}", app_page),
    ]


class ImmutableFiles(StaticFiles):
    """Content-hashed assets: a year in every cache; a missing one is a plain 404."""

    async def get_response(self, path, scope):
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
            response.headers["X-Content-Type-Options"] = "nosniff"
        return response


_SECRET = re.compile(r"^(pi_[A-Za-z0-9]+)_secret_[A-Za-z0-9]+$")


async def confirm_test_card(request: Request, web: WebAppSettings) -> Response:
    """What Stripe.js does with a typed-in card, against the Stripe test server only."""
    import stripe

    from core.orders.models import Order
    from core.payments import providers

    if stripe_mode(web) != "test-card":
        return JSONResponse({"error": "Test cards are only taken by a Stripe test server."}, status_code=404)
    header = request.headers.get("authorization") or ""
    user = await accounts.user_for_token(header[7:].strip() if header[:7].lower() == "bearer " else None)
    if user is None:
        return JSONResponse({"error": "Sign in first."}, status_code=401)
    try:
        body = await request.json()
        secret = str(body["clientSecret"])
        card = {"number": re.sub(r"[\s-]", "", str(body["number"])), "exp_month": int(body["expMonth"]),
                "exp_year": int(body["expYear"]), "cvc": str(body["cvc"])}
    except (ValueError, KeyError, TypeError):
        return JSONResponse({"error": "Give the card number, expiry month and year, and CVC."}, status_code=400)
    match = _SECRET.match(secret)
    if not match or not card["number"].isdigit():
        return JSONResponse({"error": "That is not a card number and payment."}, status_code=400)
    client = providers.stripe().client
    try:
        pi = await client.v1.payment_intents.retrieve_async(match.group(1))
    except stripe.StripeError:
        return JSONResponse({"error": "Unknown payment."}, status_code=404)
    order_id = pi.to_dict().get("metadata", {}).get("pixport_order_id")
    owned = order_id and await Order.filter(id=int(order_id), account_id=user.account_id).exists()
    if pi.client_secret != secret or not owned:
        return JSONResponse({"error": "Unknown payment."}, status_code=404)
    if pi.status == "requires_payment_method" and pi.to_dict().get("last_payment_error"):
        # the test server cannot retry a declined PaymentIntent; Pixport opens a new attempt once
        # Stripe's webhook has told it of the decline (the page asks again, 409)
        return JSONResponse({"error": "The last card was declined: starting a new attempt."}, status_code=409)
    if pi.status not in ("requires_payment_method", "requires_confirmation"):
        return JSONResponse({"error": f"This payment is {pi.status.replace('_', ' ')}."}, status_code=409)
    try:
        pm = await client.v1.payment_methods.create_async({"type": "card", "card": card})
        await client.v1.payment_intents.update_async(pi.id, {"payment_method": pm.id})
        confirmed = await client.v1.payment_intents.confirm_async(pi.id)
    except stripe.CardError as exc:
        return JSONResponse({"error": exc.user_message or "The card was declined."}, status_code=402)
    except stripe.StripeError as exc:
        return JSONResponse({"error": exc.user_message or "The card was refused."}, status_code=400)
    if confirmed.status == "requires_action":
        return JSONResponse({"error": "This test card asks for 3-D Secure, which the test form cannot do: use 4242 4242 4242 4242."},
                            status_code=402)
    return JSONResponse({"status": confirmed.status})
