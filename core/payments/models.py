"""Payments of orders (charges and refunds), saved cards, provider customers, and the
provider events already applied (webhook dedupe by event id)."""

from __future__ import annotations

from enum import Enum

from tortoise import fields
from tortoise.models import Model


class Provider(str, Enum):
    STRIPE = "STRIPE"
    PAYPAL = "PAYPAL"


class PaymentKind(str, Enum):
    CHARGE = "CHARGE"
    REFUND = "REFUND"


class PaymentStatus(str, Enum):
    PENDING = "PENDING"  # made; the provider has not confirmed it
    REQUIRES_ACTION = "REQUIRES_ACTION"  # the payer must authenticate (3-D Secure) on-session
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"  # declined or abandoned
    REFUNDED = "REFUNDED"  # a charge refunded in full (its refund is a row of kind REFUND)


OPEN = (PaymentStatus.PENDING, PaymentStatus.REQUIRES_ACTION)


class Payment(Model):
    id = fields.IntField(primary_key=True)
    order = fields.ForeignKeyField("models.Order", related_name="payments", on_delete=fields.CASCADE)
    account = fields.ForeignKeyField("models.Account", related_name="payments", on_delete=fields.CASCADE)
    provider = fields.CharEnumField(Provider, max_length=16)
    kind = fields.CharEnumField(PaymentKind, max_length=16, default=PaymentKind.CHARGE)
    provider_ref = fields.CharField(max_length=255, null=True)  # pi_…, re_…, PayPal order / refund id
    capture_ref = fields.CharField(max_length=255, null=True)  # PayPal capture id
    amount = fields.BigIntField()  # minor units
    currency = fields.CharField(max_length=3)
    status = fields.CharEnumField(PaymentStatus, max_length=24, default=PaymentStatus.PENDING)
    idempotency_key = fields.CharField(max_length=128, unique=True)
    save_card = fields.BooleanField(default=False)
    saved_card = fields.ForeignKeyField("models.SavedCard", related_name=False, null=True, on_delete=fields.SET_NULL)
    refund_of = fields.ForeignKeyField("models.Payment", related_name=False, null=True, on_delete=fields.CASCADE)
    failure_message = fields.CharField(max_length=500, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "payment"
        indexes = (("order_id", "id"), ("provider", "provider_ref"))


class PaymentCustomer(Model):
    """The provider's customer for an account (Stripe: ``cus_…``)."""

    id = fields.IntField(primary_key=True)
    account = fields.ForeignKeyField("models.Account", related_name=False, on_delete=fields.CASCADE)
    provider = fields.CharEnumField(Provider, max_length=16)
    provider_ref = fields.CharField(max_length=255)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "payment_customer"
        unique_together = (("account", "provider"),)


class SavedCard(Model):
    id = fields.IntField(primary_key=True)
    account = fields.ForeignKeyField("models.Account", related_name="saved_cards", on_delete=fields.CASCADE)
    provider = fields.CharEnumField(Provider, max_length=16, default=Provider.STRIPE)
    provider_ref = fields.CharField(max_length=255)  # pm_…
    brand = fields.CharField(max_length=32, default="")
    last4 = fields.CharField(max_length=4, default="")
    exp_month = fields.IntField(default=0)
    exp_year = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "saved_card"
        unique_together = (("provider", "provider_ref"),)
        indexes = (("account_id", "id"),)


class ProviderEvent(Model):
    """A webhook event applied once: a replay finds its id here."""

    id = fields.IntField(primary_key=True)
    provider = fields.CharEnumField(Provider, max_length=16)
    event_id = fields.CharField(max_length=255)
    event_type = fields.CharField(max_length=100)
    received_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "provider_event"
        unique_together = (("provider", "event_id"),)
