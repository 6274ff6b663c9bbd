"""The port every payment provider implements. A decline is a returned value
(``ChargeResult.declined``), never an exception: only Pixport's bugs and the
provider being unreachable raise."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from core.payments.models import PaymentStatus, Provider


@dataclass(frozen=True)
class Money:
    amount: int  # minor units
    currency: str  # ISO 4217, upper case


@dataclass(frozen=True)
class ChargeResult:
    status: PaymentStatus
    provider_ref: str | None = None
    client_secret: str | None = None  # for the browser; never stored or logged
    approve_url: str | None = None
    failure_message: str = ""
    payment_method_ref: str | None = None
    capture_ref: str | None = None
    not_approved: bool = False  # PayPal: the buyer has not approved the order yet

    @property
    def declined(self) -> bool:
        return self.status == PaymentStatus.FAILED


@dataclass(frozen=True)
class RefundResult:
    status: PaymentStatus
    provider_ref: str | None = None
    failure_message: str = ""


@dataclass(frozen=True)
class CardDetails:
    provider_ref: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int


@dataclass(frozen=True)
class ProviderEventData:
    """A verified webhook event, in Pixport's words."""

    event_id: str
    event_type: str
    kind: str | None  # "succeeded", "failed", "refunded" or None (not for us)
    provider_ref: str | None  # the payment's provider id
    amount: Money | None = None
    payment_id: int | None = None  # Pixport's payment id, when the provider echoes it
    payment_method_ref: str | None = None
    capture_ref: str | None = None  # PayPal: the capture the event is about
    failure_message: str = ""
    extra: dict = field(default_factory=dict)


class PaymentProvider(Protocol):
    name: Provider

    async def start(self, *, payment_id: int, order_id: int, money: Money, customer_ref: str | None,
                    save_card: bool, idempotency_key: str) -> ChargeResult: ...

    async def resume(self, provider_ref: str) -> ChargeResult: ...

    async def refund(self, *, provider_ref: str, money: Money, idempotency_key: str) -> RefundResult: ...

    async def capture(self, *, provider_ref: str, idempotency_key: str) -> ChargeResult: ...  # PayPal

    async def cancel(self, provider_ref: str) -> None: ...  # an open attempt that was replaced

    async def verify_event(self, body: bytes, headers: dict[str, str]) -> ProviderEventData: ...


class CardVault(Protocol):
    """Saved cards (Stripe): a customer per account, cards saved by a setup or a payment."""

    async def create_customer(self, *, account_id: int, email: str, idempotency_key: str) -> str: ...

    async def setup_start(self, *, customer_ref: str, idempotency_key: str) -> str: ...  # client secret

    async def list_cards(self, customer_ref: str) -> list[CardDetails]: ...

    async def attach(self, *, customer_ref: str, payment_method_ref: str) -> CardDetails: ...

    async def detach(self, payment_method_ref: str) -> None: ...

    async def charge_saved(self, *, payment_id: int, order_id: int, money: Money, customer_ref: str,
                           payment_method_ref: str, idempotency_key: str) -> ChargeResult: ...
