"""PayPal Orders v2 over httpx. PayPal's Python checkout SDK is deprecated (and sync);
PayPal recommends calling the REST API, which this does: an OAuth client-credentials
token cached until it expires, ``PayPal-Request-Id`` on every write, verification of
webhooks by ``verify-webhook-signature``."""

from __future__ import annotations

import asyncio
import json
import time
from decimal import Decimal

import httpx

from core.payments.models import PaymentStatus, Provider
from core.payments.ports import ChargeResult, Money, ProviderEventData, RefundResult
from core.payments.settings import PaymentSettings

ZERO_DECIMAL = {"JPY", "HUF", "TWD"}  # PayPal takes no decimals for these
EVENT_KINDS = {"PAYMENT.CAPTURE.COMPLETED": "succeeded", "PAYMENT.CAPTURE.DENIED": "failed",
               "PAYMENT.CAPTURE.DECLINED": "failed", "PAYMENT.CAPTURE.REFUNDED": "refunded"}
TRANSMISSION_HEADERS = ("paypal-auth-algo", "paypal-cert-url", "paypal-transmission-id", "paypal-transmission-sig",
                        "paypal-transmission-time")


def to_value(money: Money) -> dict:
    if money.currency in ZERO_DECIMAL:
        return {"currency_code": money.currency, "value": str(money.amount)}
    return {"currency_code": money.currency, "value": f"{Decimal(money.amount) / 100:.2f}"}


def from_value(amount: dict | None) -> Money | None:
    if not amount:
        return None
    currency = str(amount.get("currency_code", "")).upper()
    value = Decimal(str(amount.get("value", "0")))
    return Money(int(value if currency in ZERO_DECIMAL else value * 100), currency)


class PayPalError(Exception):
    def __init__(self, status: int, body: dict) -> None:
        super().__init__(f"PayPal {status}: {body.get('name')} {body.get('message')}")
        self.status = status
        self.body = body

    @property
    def issues(self) -> set[str]:
        return {d.get("issue", "") for d in self.body.get("details") or []}


_STATUS = {"COMPLETED": PaymentStatus.SUCCEEDED, "DECLINED": PaymentStatus.FAILED, "FAILED": PaymentStatus.FAILED,
           "PENDING": PaymentStatus.PENDING, "REFUNDED": PaymentStatus.REFUNDED,
           "PARTIALLY_REFUNDED": PaymentStatus.SUCCEEDED}


class PayPalProvider:
    name = Provider.PAYPAL

    def __init__(self, settings: PaymentSettings, transport: httpx.AsyncBaseTransport | None = None,
                 http_client: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        self.http = http_client or httpx.AsyncClient(base_url=settings.paypal_api_base, timeout=30, transport=transport)
        self._token: tuple[str, float] | None = None  # (access token, monotonic expiry)
        self._lock = asyncio.Lock()
        self.tokens_fetched = 0

    async def token(self) -> str:
        if self._token and self._token[1] > time.monotonic():
            return self._token[0]
        async with self._lock:
            if self._token and self._token[1] > time.monotonic():
                return self._token[0]
            response = await self.http.post(
                "/v1/oauth2/token", data={"grant_type": "client_credentials"},
                auth=(self.settings.paypal_client_id, self.settings.paypal_client_secret.get_secret_value()))
            if response.status_code != 200:
                raise PayPalError(response.status_code, _json(response))
            body = response.json()
            self.tokens_fetched += 1
            # renewed a minute early, so that a token never expires on the way
            self._token = (body["access_token"], time.monotonic() + max(0, int(body["expires_in"]) - 60))
            return self._token[0]

    async def _call(self, method: str, path: str, *, body: dict | None = None, request_id: str | None = None,
                    ok: tuple[int, ...] = (200, 201)) -> dict:
        headers = {"Authorization": f"Bearer {await self.token()}", "Content-Type": "application/json",
                   "Prefer": "return=representation"}
        if request_id:
            headers["PayPal-Request-Id"] = request_id
        response = await self.http.request(method, path, headers=headers,
                                           content=json.dumps(body) if body is not None else None)
        if response.status_code == 401:  # revoked early: one fresh token
            self._token = None
            headers["Authorization"] = f"Bearer {await self.token()}"
            response = await self.http.request(method, path, headers=headers,
                                               content=json.dumps(body) if body is not None else None)
        if response.status_code not in ok:
            raise PayPalError(response.status_code, _json(response))
        return response.json() if response.content else {}

    # ---- payments --------------------------------------------------------------------

    async def start(self, *, payment_id: int, order_id: int, money: Money, customer_ref: str | None,
                    save_card: bool, idempotency_key: str) -> ChargeResult:
        order = await self._call("POST", "/v2/checkout/orders", request_id=idempotency_key, body={
            "intent": "CAPTURE",
            "purchase_units": [{"reference_id": str(order_id), "custom_id": str(payment_id),
                                "invoice_id": f"pixport-payment-{payment_id}", "amount": to_value(money)}],
        })
        return self._order_result(order)

    def _order_result(self, order: dict) -> ChargeResult:
        links = {link.get("rel"): link.get("href") for link in order.get("links") or []}
        return ChargeResult(status=PaymentStatus.PENDING, provider_ref=order["id"],
                            approve_url=links.get("approve") or links.get("payer-action"))

    async def resume(self, provider_ref: str) -> ChargeResult:
        return self._order_result(await self._call("GET", f"/v2/checkout/orders/{provider_ref}"))

    async def cancel(self, provider_ref: str) -> None:
        """Nothing to do: an approved PayPal order is only charged by Pixport's capture, and a
        replaced attempt is never captured (an uncaptured order expires at PayPal)."""

    async def capture(self, *, provider_ref: str, idempotency_key: str) -> ChargeResult:
        current = await self._call("GET", f"/v2/checkout/orders/{provider_ref}")
        if current.get("status") in ("CREATED", "SAVED", "PAYER_ACTION_REQUIRED"):
            # not a write: the capture's request id stays for the capture that can succeed
            return ChargeResult(status=PaymentStatus.PENDING, provider_ref=provider_ref, not_approved=True,
                                failure_message="The buyer has not approved the payment at PayPal yet.")
        try:
            order = await self._call("POST", f"/v2/checkout/orders/{provider_ref}/capture",
                                     request_id=idempotency_key, body={})
        except PayPalError as exc:
            if exc.status == 422 and "ORDER_NOT_APPROVED" in exc.issues:
                return ChargeResult(status=PaymentStatus.PENDING, provider_ref=provider_ref, not_approved=True,
                                    failure_message="The buyer has not approved the payment at PayPal yet.")
            if exc.status == 422 and "INSTRUMENT_DECLINED" in exc.issues:
                return ChargeResult(status=PaymentStatus.FAILED, provider_ref=provider_ref,
                                    failure_message="PayPal declined the payment.")
            if exc.status == 422 and "ORDER_ALREADY_CAPTURED" in exc.issues:
                order = await self._call("GET", f"/v2/checkout/orders/{provider_ref}")
            else:
                raise
        captures = [c for unit in order.get("purchase_units") or []
                    for c in (unit.get("payments") or {}).get("captures") or []]
        if not captures:
            return ChargeResult(status=PaymentStatus.PENDING, provider_ref=provider_ref)
        capture = captures[-1]
        status = _STATUS.get(capture.get("status"), PaymentStatus.PENDING)
        return ChargeResult(status=status, provider_ref=provider_ref, capture_ref=capture["id"],
                            failure_message="PayPal declined the payment." if status == PaymentStatus.FAILED else "")

    async def refund(self, *, provider_ref: str, money: Money, idempotency_key: str) -> RefundResult:
        """``provider_ref`` is the capture's id."""
        try:
            refund = await self._call("POST", f"/v2/payments/captures/{provider_ref}/refund",
                                      request_id=idempotency_key, body={"amount": to_value(money)})
        except PayPalError as exc:
            if exc.status in (400, 404, 422):
                return RefundResult(status=PaymentStatus.FAILED, failure_message=str(exc))
            raise
        status = PaymentStatus.SUCCEEDED if refund.get("status") in ("COMPLETED", "PENDING") else PaymentStatus.FAILED
        return RefundResult(status=status, provider_ref=refund.get("id"))

    # ---- webhooks --------------------------------------------------------------------

    async def verify_event(self, body: bytes, headers: dict[str, str]) -> ProviderEventData:
        """Raises ``ValueError`` unless PayPal confirms the transmission."""
        try:
            event = json.loads(body)
        except ValueError:
            raise ValueError("not JSON") from None
        if not isinstance(event, dict) or any(not headers.get(h) for h in TRANSMISSION_HEADERS):
            raise ValueError("not a PayPal transmission")
        answer = await self._call("POST", "/v1/notifications/verify-webhook-signature", body={
            "auth_algo": headers["paypal-auth-algo"], "cert_url": headers["paypal-cert-url"],
            "transmission_id": headers["paypal-transmission-id"],
            "transmission_sig": headers["paypal-transmission-sig"],
            "transmission_time": headers["paypal-transmission-time"],
            "webhook_id": self.settings.paypal_webhook_id, "webhook_event": event}, ok=(200,))
        if answer.get("verification_status") != "SUCCESS":
            raise ValueError("PayPal did not verify the transmission")
        kind = EVENT_KINDS.get(event.get("event_type", ""))
        resource = event.get("resource") or {}
        if kind is None:
            return ProviderEventData(event_id=str(event.get("id")), event_type=str(event.get("event_type")),
                                     kind=None, provider_ref=None)
        related = ((resource.get("supplementary_data") or {}).get("related_ids") or {})
        capture_ref = resource.get("id")
        if kind == "refunded":  # the resource is the refund; its "up" link is the capture
            ups = [link["href"] for link in resource.get("links") or [] if link.get("rel") == "up"]
            capture_ref = ups[0].rstrip("/").rsplit("/", 1)[-1] if ups else None
        custom = resource.get("custom_id")
        return ProviderEventData(
            event_id=str(event["id"]), event_type=event["event_type"], kind=kind,
            provider_ref=related.get("order_id"), capture_ref=capture_ref,
            amount=None if kind == "refunded" else from_value(resource.get("amount")),
            payment_id=int(custom) if custom and str(custom).isdigit() else None,
            failure_message="PayPal denied the payment." if kind == "failed" else "")


def _json(response: httpx.Response) -> dict:
    try:
        body = response.json()
        return body if isinstance(body, dict) else {}
    except ValueError:
        return {"message": response.text[:200]}
