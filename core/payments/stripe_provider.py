"""Stripe through the official SDK: async methods of one ``StripeClient`` on httpx,
its base URL from the settings. Only parameters localstripe accepts too are sent
(no ``description``, ``automatic_payment_methods``, ``return_url``)."""

from __future__ import annotations

import logging

import stripe

from core.payments.models import PaymentStatus, Provider
from core.payments.ports import CardDetails, ChargeResult, Money, ProviderEventData, RefundResult
from core.payments.settings import PaymentSettings

log = logging.getLogger(__name__)

_STATUS = {
    "succeeded": PaymentStatus.SUCCEEDED,
    "requires_action": PaymentStatus.REQUIRES_ACTION,
    "requires_payment_method": PaymentStatus.PENDING,
    "requires_confirmation": PaymentStatus.PENDING,
    "processing": PaymentStatus.PENDING,
    "requires_capture": PaymentStatus.PENDING,
    "canceled": PaymentStatus.FAILED,
}
EVENT_KINDS = {"payment_intent.succeeded": "succeeded", "payment_intent.payment_failed": "failed"}


def _d(obj) -> dict:
    """A StripeObject as plain dicts (StripeObjects are not dicts in stripe 16)."""
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj or {})


def _card(pm) -> CardDetails:
    pm = _d(pm)
    card = pm.get("card") or {}
    return CardDetails(provider_ref=pm["id"], brand=str(card.get("brand") or ""), last4=str(card.get("last4") or ""),
                       exp_month=int(card.get("exp_month") or 0), exp_year=int(card.get("exp_year") or 0))


def _pi_result(pi) -> ChargeResult:
    pi = _d(pi)
    status = _STATUS.get(pi["status"], PaymentStatus.PENDING)
    error = pi.get("last_payment_error") or {}
    pm = pi.get("payment_method")
    return ChargeResult(status=status, provider_ref=pi["id"], client_secret=pi.get("client_secret"),
                        failure_message=str(error.get("message") or ""),
                        payment_method_ref=pm if isinstance(pm, str) or pm is None else pm.get("id"))


class StripeProvider:
    name = Provider.STRIPE

    def __init__(self, settings: PaymentSettings) -> None:
        self.settings = settings
        self.client = stripe.StripeClient(
            settings.stripe_api_key.get_secret_value(),
            base_addresses={"api": settings.stripe_api_base},
            http_client=stripe.HTTPXClient(),
            max_network_retries=settings.stripe_max_network_retries,
        )

    # ---- payments --------------------------------------------------------------------

    async def start(self, *, payment_id: int, order_id: int, money: Money, customer_ref: str | None,
                    save_card: bool, idempotency_key: str) -> ChargeResult:
        params: dict = {"amount": money.amount, "currency": money.currency.lower(), "payment_method_types": ["card"],
                        "metadata": {"pixport_order_id": str(order_id), "pixport_payment_id": str(payment_id)}}
        if customer_ref:
            params["customer"] = customer_ref
        if save_card and self.settings.stripe_setup_future_usage:
            params["setup_future_usage"] = "off_session"
        pi = await self.client.v1.payment_intents.create_async(params, {"idempotency_key": idempotency_key})
        return _pi_result(pi)

    async def resume(self, provider_ref: str) -> ChargeResult:
        return _pi_result(await self.client.v1.payment_intents.retrieve_async(provider_ref))

    async def cancel(self, provider_ref: str) -> None:
        """Cancel a PaymentIntent that was replaced; one that already succeeded stays (and is refunded)."""
        try:
            await self.client.v1.payment_intents.cancel_async(provider_ref)
        except stripe.InvalidRequestError as exc:
            log.info("PaymentIntent not cancelled: %s", exc.user_message)

    async def charge_saved(self, *, payment_id: int, order_id: int, money: Money, customer_ref: str,
                           payment_method_ref: str, idempotency_key: str) -> ChargeResult:
        params = {"amount": money.amount, "currency": money.currency.lower(), "payment_method_types": ["card"],
                  "customer": customer_ref, "payment_method": payment_method_ref, "off_session": True,
                  "confirm": True,
                  "metadata": {"pixport_order_id": str(order_id), "pixport_payment_id": str(payment_id)}}
        try:
            pi = await self.client.v1.payment_intents.create_async(params, {"idempotency_key": idempotency_key})
        except stripe.CardError as exc:
            error = exc.error
            code = getattr(error, "code", None) if error is not None else None
            pi = getattr(error, "payment_intent", None) if error is not None else None
            pi = _d(pi) if pi is not None else None
            ref = pi.get("id") if pi else None
            if code == "authentication_required":  # real Stripe: bring the payer back on-session
                return ChargeResult(status=PaymentStatus.REQUIRES_ACTION, provider_ref=ref,
                                    client_secret=pi.get("client_secret") if pi else None,
                                    failure_message="The bank asks the cardholder to authenticate.")
            return ChargeResult(status=PaymentStatus.FAILED, provider_ref=ref,
                                failure_message=exc.user_message or "The card was declined.")
        return _pi_result(pi)

    async def refund(self, *, provider_ref: str, money: Money, idempotency_key: str) -> RefundResult:
        try:
            refund = await self.client.v1.refunds.create_async(
                {"payment_intent": provider_ref, "amount": money.amount}, {"idempotency_key": idempotency_key})
        except stripe.InvalidRequestError as exc:
            return RefundResult(status=PaymentStatus.FAILED, failure_message=exc.user_message or str(exc))
        status = PaymentStatus.SUCCEEDED if refund["status"] in ("succeeded", "pending") else PaymentStatus.FAILED
        return RefundResult(status=status, provider_ref=refund["id"])

    # ---- saved cards -----------------------------------------------------------------

    async def create_customer(self, *, account_id: int, email: str, idempotency_key: str) -> str:
        customer = await self.client.v1.customers.create_async(
            {"email": email, "metadata": {"pixport_account_id": str(account_id)}}, {"idempotency_key": idempotency_key})
        return customer["id"]

    async def setup_start(self, *, customer_ref: str, idempotency_key: str) -> str:
        intent = await self.client.v1.setup_intents.create_async(
            {"customer": customer_ref, "usage": "off_session", "payment_method_types": ["card"]},
            {"idempotency_key": idempotency_key})
        return intent["client_secret"]

    async def list_cards(self, customer_ref: str) -> list[CardDetails]:
        page = await self.client.v1.payment_methods.list_async({"customer": customer_ref, "type": "card"})
        return [_card(pm) for pm in page.data]

    async def attach(self, *, customer_ref: str, payment_method_ref: str) -> CardDetails:
        pm = await self.client.v1.payment_methods.retrieve_async(payment_method_ref)
        if _d(pm).get("customer") != customer_ref:  # real Stripe attached it already (setup_future_usage)
            pm = await self.client.v1.payment_methods.attach_async(payment_method_ref, {"customer": customer_ref})
        return _card(pm)

    async def detach(self, payment_method_ref: str) -> None:
        try:
            await self.client.v1.payment_methods.detach_async(payment_method_ref)
        except stripe.InvalidRequestError:
            log.info("payment method already detached")

    # ---- webhooks --------------------------------------------------------------------

    async def verify_event(self, body: bytes, headers: dict[str, str]) -> ProviderEventData:
        """Raises ``ValueError`` unless ``body`` is signed with the webhook secret."""
        signature = headers.get("stripe-signature", "")
        try:
            event = self.client.construct_event(body, signature, self.settings.stripe_webhook_secret.get_secret_value())
        except (stripe.SignatureVerificationError, ValueError) as exc:
            raise ValueError(f"bad Stripe signature: {exc}") from None
        kind = EVENT_KINDS.get(event.type)
        obj = _d(event.data.object) if kind else None
        if obj is None:
            return ProviderEventData(event_id=event.id, event_type=event.type, kind=None, provider_ref=None)
        metadata = obj.get("metadata") or {}
        payment_id = metadata.get("pixport_payment_id")
        error = obj.get("last_payment_error") or {}
        pm = obj.get("payment_method")
        return ProviderEventData(
            event_id=event.id, event_type=event.type, kind=kind, provider_ref=obj.get("id"),
            amount=Money(int(obj.get("amount") or 0), str(obj.get("currency") or "").upper()),
            payment_id=int(payment_id) if payment_id and str(payment_id).isdigit() else None,
            payment_method_ref=pm if isinstance(pm, str) or pm is None else pm.get("id"),
            failure_message=str(error.get("message") or ""),
        )
