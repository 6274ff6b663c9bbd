"""The PayPal sandbox for tests, and a transport that checks every exchange Pixport has
with it against PayPal's OpenAPI files (``shared/specs/paypal``)."""

from __future__ import annotations

import json
from functools import lru_cache

import httpx
from openapi_core import OpenAPI

from tests.support.openapi import to_openapi
from tests.support.paths import SHARED

SPEC_HOST = "https://api-m.sandbox.paypal.com"
SPECS = {"/v2/checkout/": "checkout_orders_v2.json", "/v2/payments/": "payments_payment_v2.json",
         "/v1/notifications/": "notifications_webhooks_v1.json"}


@lru_cache(maxsize=None)
def openapi(name: str) -> OpenAPI:
    return OpenAPI.from_dict(json.loads((SHARED / "specs" / "paypal" / name).read_text()))


def spec_for(path: str) -> str | None:
    return next((name for prefix, name in SPECS.items() if path.startswith(prefix)), None)


def validate_exchange(request: httpx.Request, response: httpx.Response) -> bool:
    """Raises AssertionError when the request or the response breaks PayPal's spec;
    False when no spec covers the path (the OAuth token)."""
    name = spec_for(request.url.path)
    if name is None:
        return False
    oa = openapi(name)
    req, resp = to_openapi(request, response, SPEC_HOST)
    try:
        # Spec flaw: verify-webhook-signature must carry the event exactly as delivered, but the
        # spec marks every field of that event readOnly, so its request body is not checked.
        # A request the sandbox refused may be invalid on purpose (a test of bad input).
        if 200 <= response.status_code < 300 and not request.url.path.endswith("/verify-webhook-signature"):
            oa.validate_request(req)
        oa.validate_response(req, resp)
    except Exception as exc:
        raise AssertionError(f"{request.method} {request.url.path} -> {response.status_code} breaks {name}: "
                             f"{exc!r} {getattr(exc, '__cause__', '')!r}\n{request.content[:500]!r}\n"
                             f"{response.text[:1500]}") from exc
    return True


class ValidatingTransport(httpx.AsyncHTTPTransport):
    def __init__(self) -> None:
        super().__init__()
        self.validated = 0
        self.violations: list[str] = []

    async def handle_async_request(self, request):
        await request.aread()
        response = await super().handle_async_request(request)
        await response.aread()
        try:
            if validate_exchange(request, response):
                self.validated += 1
        except AssertionError as exc:
            self.violations.append(str(exc))
        return response


class PayPalControl:
    """The buyer at PayPal, and a look at the sandbox's deliveries."""

    def __init__(self, url: str, sandbox) -> None:
        self.url = url
        self.sandbox = sandbox
        self.http = httpx.AsyncClient(base_url=url, timeout=10)

    async def approve(self, approve_url: str, decline: bool = False) -> None:
        order_id = httpx.URL(approve_url).params["token"]
        r = await self.http.post(f"/_sandbox/orders/{order_id}/{'decline' if decline else 'approve'}")
        r.raise_for_status()

    async def deliveries(self, event_type: str | None = None) -> list[dict]:
        found = (await self.http.get("/_sandbox/deliveries")).json()["deliveries"]
        return [d for d in found if event_type is None or d["event_type"] == event_type]

    async def close(self) -> None:
        await self.http.aclose()
