"""The PayPal sandbox: OAuth token, Orders v2 (create, get, capture), Payments v2
(captures, refunds), webhooks (subscribe, deliver, verify-webhook-signature), the buyer's
page behind an order's approve link (``/checkoutnow``: Pay now, or decline), and a
control API under ``/_sandbox`` to act as the buyer without a browser (approve, decline),
reset, and read what was delivered. Every response follows PayPal's OpenAPI files
(tests check them against ``shared/specs/paypal``)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import html
import json
import re
import secrets
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from urllib.parse import parse_qs

import httpx

CLIENT_ID = "sandbox-client-id"
CLIENT_SECRET = "sandbox-client-secret"


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _id(n: int = 17) -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(n))


# PayPal's words, as its OpenAPI files spell them (the tests hold the sandbox to them)
MESSAGES = {
    "INVALID_REQUEST": "Request is not well-formed, syntactically incorrect, or violates schema.",
    "AUTHENTICATION_FAILURE": "Authentication failed due to missing authorization header, or invalid "
                              "authentication credentials.",
    "RESOURCE_NOT_FOUND": "The specified resource does not exist.",
    "UNPROCESSABLE_ENTITY": "The requested action could not be performed, semantically incorrect, or failed "
                            "business validation.",
}
ISSUES = {
    "INVALID_PARAMETER_VALUE": "A parameter value is not valid.",
    "MISSING_REQUIRED_PARAMETER": "A required field / parameter is missing.",
    "MALFORMED_REQUEST_JSON": "The request JSON is not well formed.",
    "INVALID_RESOURCE_ID": "Specified resource ID does not exist. Please check the resource ID and try again.",
    "DECIMAL_PRECISION": "If the currency supports decimals, only two decimal place precision is supported.",
    "ORDER_NOT_APPROVED": "Payer has not yet approved the Order for payment. Please redirect the payer to the "
                          "'rel':'approve' url returned as part of the HATEOAS links within the Create Order call "
                          "or provide a valid `payment_source` in the request.",
    "ORDER_ALREADY_CAPTURED": "Order already captured.If 'intent=CAPTURE' only one capture per order is allowed.",
    "CAPTURE_FULLY_REFUNDED": "The capture has already been fully refunded",
    "REFUND_AMOUNT_EXCEEDED": "The refund amount must be less than or equal to the capture amount that has not "
                              "yet been refunded.",
}


def _error(status: int, name: str, _message: str = "", issue: str | None = None, _description: str = ""
           ) -> tuple[int, dict]:
    body = {"name": name, "message": MESSAGES[name], "debug_id": secrets.token_hex(6)}
    if issue:
        body["details"] = [{"issue": issue, "description": ISSUES[issue]}]
    return status, body


@dataclass(frozen=True)
class Html:
    text: str


def _page(title: str, body: str) -> str:
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)} - PayPal '
            f"sandbox</title></head><body><h1>{html.escape(title)}</h1>{body}</body></html>")


@dataclass
class State:
    base_url: str = ""
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET
    token_ttl: int = 32400
    signing_key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    tokens: dict = field(default_factory=dict)  # token -> expires (epoch)
    orders: dict = field(default_factory=dict)
    captures: dict = field(default_factory=dict)  # capture id -> (order id, capture)
    refunds: dict = field(default_factory=dict)
    replies: dict = field(default_factory=dict)  # (route, PayPal-Request-Id) -> (status, body)
    webhooks: dict = field(default_factory=dict)
    transmissions: dict = field(default_factory=dict)  # transmission id -> (webhook id, event)
    deliveries: list = field(default_factory=list)
    requests: list = field(default_factory=list)  # (method, path, headers) of every API call

    def reset(self) -> None:
        """Everything but the webhook subscriptions (a deployment's settings name their id)."""
        for name in ("tokens", "orders", "captures", "refunds", "replies", "transmissions"):
            getattr(self, name).clear()
        self.deliveries.clear()
        self.requests.clear()


class PayPalSandbox:
    def __init__(self, state: State | None = None) -> None:
        self.state = state or State()
        self._tasks: set[asyncio.Task] = set()
        self.routes = [
            ("POST", r"/v1/oauth2/token", self.token, False),
            ("POST", r"/v2/checkout/orders", self.create_order, True),
            ("GET", r"/v2/checkout/orders/(?P<id>[^/]+)", self.get_order, True),
            ("POST", r"/v2/checkout/orders/(?P<id>[^/]+)/capture", self.capture_order, True),
            ("GET", r"/v2/payments/captures/(?P<id>[^/]+)", self.get_capture, True),
            ("POST", r"/v2/payments/captures/(?P<id>[^/]+)/refund", self.refund_capture, True),
            ("GET", r"/v2/payments/refunds/(?P<id>[^/]+)", self.get_refund, True),
            ("POST", r"/v1/notifications/webhooks", self.create_webhook, True),
            ("POST", r"/v1/notifications/verify-webhook-signature", self.verify_signature, True),
            ("GET", r"/checkoutnow", self.checkout_page, False),
            ("POST", r"/checkoutnow/(?P<choice>approve|decline)", self.checkout_choice, False),
            ("POST", r"/_sandbox/orders/(?P<id>[^/]+)/approve", self.approve, False),
            ("POST", r"/_sandbox/orders/(?P<id>[^/]+)/decline", self.decline, False),
            ("GET", r"/_sandbox/deliveries", self.list_deliveries, False),
            ("POST", r"/_sandbox/config", self.configure, False),
            ("DELETE", r"/_sandbox", self.reset, False),
        ]

    # ---- ASGI ------------------------------------------------------------------------

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if not self.state.base_url:
            host = headers.get("host", "127.0.0.1")
            self.state.base_url = f"{scope.get('scheme', 'http')}://{host}"
        status, payload = await self.dispatch(scope["method"], scope["path"], headers, body,
                                              scope.get("query_string", b"").decode())
        if isinstance(payload, Html):  # the buyer's pages
            out, response_headers = payload.text.encode(), [(b"content-type", b"text/html; charset=utf-8")]
        else:
            out = b"" if payload is None else json.dumps(payload).encode()
            response_headers = [(b"content-type", b"application/json")] if payload is not None else []
        await send({"type": "http.response.start", "status": status, "headers": response_headers})
        await send({"type": "http.response.body", "body": out})

    async def dispatch(self, method: str, path: str, headers: dict, body: bytes, query: str):
        for route_method, pattern, handler, needs_token in self.routes:
            match = re.fullmatch(pattern, path)
            if match and route_method == method:
                if needs_token:
                    self.state.requests.append((method, path, headers))
                    auth = headers.get("authorization", "")
                    token = auth[7:] if auth.startswith("Bearer ") else ""
                    if token not in self.state.tokens:
                        return _error(401, "AUTHENTICATION_FAILURE", "Authentication failed due to invalid "
                                      "authentication credentials or a missing Authorization header.")
                data = None
                if body and headers.get("content-type", "").startswith("application/json"):
                    try:
                        data = json.loads(body)
                    except ValueError:
                        return _error(400, "INVALID_REQUEST", "Request is not well-formed.", "MALFORMED_REQUEST_JSON")
                request_id = headers.get("paypal-request-id")
                key = (pattern, match.groupdict().get("id"), request_id)
                if method == "POST" and request_id and key in self.state.replies:
                    status, reply = self.state.replies[key]
                    return (200 if status == 201 else status), reply  # the first answer, again
                result = await handler(headers=headers, body=body, data=data, query=query, **match.groupdict())
                if method == "POST" and request_id and 200 <= result[0] < 300:
                    self.state.replies[key] = result
                return result
        return _error(404, "RESOURCE_NOT_FOUND", "The specified resource does not exist.")

    # ---- OAuth -----------------------------------------------------------------------

    async def token(self, headers, body, **_):
        auth = headers.get("authorization", "")
        try:
            user, _, password = base64.b64decode(auth[6:]).decode().partition(":") if auth.startswith("Basic ") else ("", "", "")
        except ValueError:
            user = password = ""
        form = parse_qs(body.decode())
        if (user, password) != (self.state.client_id, self.state.client_secret):
            return 401, {"error": "invalid_client", "error_description": "Client Authentication failed"}
        if form.get("grant_type") != ["client_credentials"]:
            return 400, {"error": "unsupported_grant_type", "error_description": "Grant Type is NULL"}
        token = "A21AA" + secrets.token_urlsafe(40)
        import time

        self.state.tokens[token] = time.time() + self.state.token_ttl
        return 200, {"scope": "https://uri.paypal.com/services/payments/payment", "access_token": token,
                     "token_type": "Bearer", "app_id": "APP-80W284485P519543T", "expires_in": self.state.token_ttl,
                     "nonce": f"{_now()}{secrets.token_hex(8)}"}

    # ---- orders ----------------------------------------------------------------------

    def _links(self, order_id: str) -> list[dict]:
        base = self.state.base_url
        return [{"href": f"{base}/v2/checkout/orders/{order_id}", "rel": "self", "method": "GET"},
                {"href": f"{base}/checkoutnow?token={order_id}", "rel": "approve", "method": "GET"},
                {"href": f"{base}/v2/checkout/orders/{order_id}", "rel": "update", "method": "PATCH"},
                {"href": f"{base}/v2/checkout/orders/{order_id}/capture", "rel": "capture", "method": "POST"}]

    async def create_order(self, data, **_):
        if not isinstance(data, dict):
            return _error(400, "INVALID_REQUEST", "Request is not well-formed.", "MALFORMED_REQUEST_JSON")
        if data.get("intent") not in ("CAPTURE", "AUTHORIZE"):
            return _error(400, "INVALID_REQUEST", "Request is not well-formed.", "INVALID_PARAMETER_VALUE",
                          "intent must be CAPTURE or AUTHORIZE")
        units = data.get("purchase_units")
        if not isinstance(units, list) or not 1 <= len(units) <= 10:
            return _error(400, "INVALID_REQUEST", "Request is not well-formed.", "MISSING_REQUIRED_PARAMETER")
        for unit in units:
            amount = unit.get("amount") or {}
            if not re.fullmatch(r"[A-Z]{3}", str(amount.get("currency_code", ""))) or not re.fullmatch(
                    r"\d{1,10}(\.\d{1,2})?", str(amount.get("value", ""))):
                return _error(422, "UNPROCESSABLE_ENTITY", "The requested action could not be performed.",
                              "DECIMAL_PRECISION")
        order_id = _id()
        order = {"id": order_id, "intent": data["intent"], "status": "CREATED", "create_time": _now(),
                 "purchase_units": [{**unit, "reference_id": unit.get("reference_id", "default")} for unit in units],
                 "links": self._links(order_id), "_decline": False}
        self.state.orders[order_id] = order
        return 201, self._public(order)

    def _public(self, order: dict) -> dict:
        return {k: v for k, v in order.items() if not k.startswith("_")}

    async def get_order(self, id, **_):
        order = self.state.orders.get(id)
        if order is None:
            return _error(404, "RESOURCE_NOT_FOUND", "The specified resource does not exist.", "INVALID_RESOURCE_ID")
        return 200, self._public(order)

    async def capture_order(self, id, **_):
        order = self.state.orders.get(id)
        if order is None:
            return _error(404, "RESOURCE_NOT_FOUND", "The specified resource does not exist.", "INVALID_RESOURCE_ID")
        if order["status"] == "COMPLETED":
            return _error(422, "UNPROCESSABLE_ENTITY", "The requested action could not be performed.",
                          "ORDER_ALREADY_CAPTURED", "Order already captured.")
        if order["status"] != "APPROVED":
            return _error(422, "UNPROCESSABLE_ENTITY", "The requested action could not be performed.",
                          "ORDER_NOT_APPROVED", "Payer has not yet approved the Order for payment.")
        unit = order["purchase_units"][0]
        capture_id = _id()
        declined = order["_decline"]
        capture = {"id": capture_id, "status": "DECLINED" if declined else "COMPLETED", "amount": unit["amount"],
                   "final_capture": True, "create_time": _now(), "update_time": _now(),
                   "supplementary_data": {"related_ids": {"order_id": id}},
                   "links": [{"href": f"{self.state.base_url}/v2/payments/captures/{capture_id}", "rel": "self",
                              "method": "GET"},
                             {"href": f"{self.state.base_url}/v2/payments/captures/{capture_id}/refund",
                              "rel": "refund", "method": "POST"},
                             {"href": f"{self.state.base_url}/v2/checkout/orders/{id}", "rel": "up", "method": "GET"}]}
        for name in ("custom_id", "invoice_id"):
            if unit.get(name):
                capture[name] = unit[name]
        unit["payments"] = {"captures": [capture]}
        order["status"] = "COMPLETED"
        order["update_time"] = _now()
        self.state.captures[capture_id] = (id, capture)
        self.emit("PAYMENT.CAPTURE.DENIED" if declined else "PAYMENT.CAPTURE.COMPLETED", "capture", capture)
        return 201, self._public(order)

    async def get_capture(self, id, **_):
        found = self.state.captures.get(id)
        if found is None:
            return _error(404, "RESOURCE_NOT_FOUND", "The specified resource does not exist.", "INVALID_RESOURCE_ID")
        return 200, found[1]

    async def refund_capture(self, id, data, **_):
        found = self.state.captures.get(id)
        if found is None:
            return _error(404, "RESOURCE_NOT_FOUND", "The specified resource does not exist.", "INVALID_RESOURCE_ID")
        _, capture = found
        if capture["status"] != "COMPLETED":
            return _error(422, "UNPROCESSABLE_ENTITY", "The requested action could not be performed.",
                          "CAPTURE_FULLY_REFUNDED" if capture["status"] == "REFUNDED" else "INVALID_RESOURCE_ID")
        amount = (data or {}).get("amount") or capture["amount"]
        if amount.get("currency_code") != capture["amount"]["currency_code"] or Decimal(amount["value"]) > Decimal(
                capture["amount"]["value"]):
            return _error(422, "UNPROCESSABLE_ENTITY", "The requested action could not be performed.",
                          "REFUND_AMOUNT_EXCEEDED")
        refund_id = _id()
        refund = {"id": refund_id, "status": "COMPLETED", "amount": amount, "create_time": _now(),
                  "update_time": _now(),
                  "links": [{"href": f"{self.state.base_url}/v2/payments/refunds/{refund_id}", "rel": "self",
                             "method": "GET"},
                            {"href": f"{self.state.base_url}/v2/payments/captures/{id}", "rel": "up",
                             "method": "GET"}]}
        if capture.get("custom_id"):
            refund["custom_id"] = capture["custom_id"]
        full = Decimal(amount["value"]) == Decimal(capture["amount"]["value"])
        capture["status"] = "REFUNDED" if full else "PARTIALLY_REFUNDED"
        self.state.refunds[refund_id] = refund
        self.emit("PAYMENT.CAPTURE.REFUNDED", "refund", refund)
        return 201, refund

    async def get_refund(self, id, **_):
        refund = self.state.refunds.get(id)
        if refund is None:
            return _error(404, "RESOURCE_NOT_FOUND", "The specified resource does not exist.", "INVALID_RESOURCE_ID")
        return 200, refund

    # ---- the buyer (control API) -----------------------------------------------------

    async def checkout_page(self, query, **_):
        """The buyer's page behind an order's ``approve`` link: the amount, Pay or decline
        (``POST /_sandbox/orders/{id}/approve|decline`` do the same without a browser)."""
        order_id = parse_qs(query).get("token", [""])[0]
        order = self.state.orders.get(order_id)
        if order is None:
            return 404, Html(_page("Unknown order", "<p>This PayPal order does not exist.</p>"))
        unit = order["purchase_units"][0]
        amount = f"{unit['amount']['value']} {unit['amount']['currency_code']}"
        if order["status"] != "CREATED":
            return 200, Html(_page("PayPal checkout", f"<p>This order is {html.escape(order['status'])}.</p>"))
        token = html.escape(order_id, quote=True)
        return 200, Html(_page("PayPal checkout", (
            f"<p>Pay <strong>{html.escape(amount)}</strong> as Sandbox Buyer (buyer@example.com).</p>"
            f'<form method="post" action="/checkoutnow/approve"><input type="hidden" name="token" value="{token}">'
            '<button type="submit">Pay now</button></form>'
            f'<form method="post" action="/checkoutnow/decline"><input type="hidden" name="token" value="{token}">'
            '<button type="submit">Pay with a card that will be declined</button></form>')))

    async def checkout_choice(self, choice, body, **_):
        order_id = parse_qs(body.decode()).get("token", [""])[0]
        status, _order = await self._buyer(order_id, decline=choice == "decline")
        if status != 200:
            return status, Html(_page("PayPal checkout", "<p>This order cannot be approved.</p>"))
        return 200, Html(_page("Payment approved", "<p>You approved the payment. Go back to the merchant's "
                                                   "page to complete it.</p>"))

    async def _buyer(self, id: str, decline: bool):
        order = self.state.orders.get(id)
        if order is None:
            return 404, {"error": "no such order"}
        if order["status"] not in ("CREATED", "APPROVED"):
            return 409, {"error": f"order is {order['status']}"}
        order["status"] = "APPROVED"
        order["_decline"] = decline
        order["payer"] = {"name": {"given_name": "Sandbox", "surname": "Buyer"},
                          "email_address": "buyer@example.com", "payer_id": "QYR5Z8XDVJNXQ"}
        self.emit("CHECKOUT.ORDER.APPROVED", "checkout-order", self._public(order))
        return 200, self._public(order)

    async def approve(self, id, **_):
        return await self._buyer(id, decline=False)

    async def decline(self, id, **_):
        """The buyer approves, but the funding is declined at capture."""
        return await self._buyer(id, decline=True)

    async def list_deliveries(self, **_):
        return 200, {"deliveries": self.state.deliveries}

    async def configure(self, data, **_):
        for name in ("client_id", "client_secret", "token_ttl", "base_url"):
            if name in (data or {}):
                setattr(self.state, name, data[name])
        if (data or {}).get("expire_tokens"):
            self.state.tokens.clear()
        return 200, {"ok": True}

    async def reset(self, **_):
        self.state.reset()
        return 200, {"ok": True}

    # ---- webhooks ----------------------------------------------------------------------

    async def create_webhook(self, data, **_):
        url = (data or {}).get("url")
        types = (data or {}).get("event_types")
        if not url or not isinstance(types, list) or not types:
            return _error(400, "INVALID_REQUEST", "Request is not well-formed.", "MISSING_REQUIRED_PARAMETER")
        webhook_id = _id()
        hook = {"id": webhook_id, "url": url, "event_types": [{"name": t["name"]} for t in types],
                "links": [{"href": f"{self.state.base_url}/v1/notifications/webhooks/{webhook_id}", "rel": "self",
                           "method": "GET"}]}
        self.state.webhooks[webhook_id] = hook
        return 201, hook

    def _signature(self, transmission_id: str, time_: str, webhook_id: str, body: bytes) -> str:
        message = f"{transmission_id}|{time_}|{webhook_id}|{zlib.crc32(body)}".encode()
        return base64.b64encode(hmac.new(self.state.signing_key, message, hashlib.sha256).digest()).decode()

    def emit(self, event_type: str, resource_type: str, resource: dict) -> None:
        event = {"id": f"WH-{_id(17)}", "event_version": "1.0", "create_time": _now(),
                 "resource_type": resource_type, "resource_version": "2.0", "event_type": event_type,
                 "summary": event_type.replace(".", " ").title(), "resource": json.loads(json.dumps(resource)),
                 "links": []}
        for hook in list(self.state.webhooks.values()):
            if any(t["name"] in (event_type, "*") for t in hook["event_types"]):
                task = asyncio.get_running_loop().create_task(self._deliver(hook, event))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def _deliver(self, hook: dict, event: dict) -> None:
        await asyncio.sleep(0.05)  # after the API answer, as PayPal's deliveries are
        body = json.dumps(event).encode()
        transmission_id = secrets.token_hex(16)
        time_ = _now()
        headers = {"Content-Type": "application/json", "PAYPAL-TRANSMISSION-ID": transmission_id,
                   "PAYPAL-TRANSMISSION-TIME": time_, "PAYPAL-AUTH-ALGO": "SHA256withRSA",
                   "PAYPAL-CERT-URL": f"{self.state.base_url}/v1/notifications/certs/CERT-SANDBOX",
                   "PAYPAL-TRANSMISSION-SIG": self._signature(transmission_id, time_, hook["id"], body)}
        self.state.transmissions[transmission_id] = (hook["id"], event)
        record = {"url": hook["url"], "event_type": event["event_type"], "event_id": event["id"],
                  "headers": headers, "body": body.decode(), "status": None}
        self.state.deliveries.append(record)
        try:
            async with httpx.AsyncClient(timeout=10) as http:
                record["status"] = (await http.post(hook["url"], content=body, headers=headers)).status_code
        except httpx.HTTPError as exc:
            record["status"] = repr(exc)

    async def verify_signature(self, data, **_):
        data = data or {}
        required = ("auth_algo", "cert_url", "transmission_id", "transmission_sig", "transmission_time",
                    "webhook_id", "webhook_event")
        if any(not data.get(name) for name in required):
            return _error(400, "INVALID_REQUEST", "Request is not well-formed.", "MISSING_REQUIRED_PARAMETER")
        sent = self.state.transmissions.get(data["transmission_id"])
        ok = (sent is not None and sent[0] == data["webhook_id"] and sent[1] == data["webhook_event"]
              and hmac.compare_digest(self._signature(data["transmission_id"], data["transmission_time"],
                                                      data["webhook_id"],
                                                      json.dumps(sent[1]).encode()), data["transmission_sig"]))
        return 200, {"verification_status": "SUCCESS" if ok else "FAILURE"}


def create_app() -> PayPalSandbox:
    return PayPalSandbox()
