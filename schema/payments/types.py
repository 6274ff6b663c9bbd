from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from core.payments import services
from core.payments.models import Payment, PaymentKind, PaymentStatus, Provider, SavedCard
from schema.base import ModelNode, Money
from schema.loaders import many_loader

PaymentProviderEnum = strawberry.enum(Provider, name="PaymentProvider")
PaymentKindEnum = strawberry.enum(PaymentKind, name="PaymentKind")
PaymentStatusEnum = strawberry.enum(PaymentStatus, name="PaymentStatus")


@strawberry.type(name="Payment", description="A charge of an order, or a refund of one (kind REFUND).")
class PaymentNode(ModelNode):
    id: relay.NodeID[int]
    provider: PaymentProviderEnum
    kind: PaymentKindEnum
    status: PaymentStatusEnum
    amount: Money
    failure_message: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def visible(cls, user):
        return services.visible_payments(user)

    @classmethod
    def from_model(cls, p: Payment) -> "PaymentNode":
        return cls(id=p.id, provider=p.provider, kind=p.kind, status=p.status,
                   amount=Money(amount=int(p.amount), currency=p.currency), failure_message=p.failure_message,
                   created_at=p.created_at, updated_at=p.updated_at)


@strawberry.type(name="SavedCard", description="A card saved with the payment provider (Pixport never sees its number).")
class SavedCardNode(ModelNode):
    id: relay.NodeID[int]
    brand: str
    last4: str
    exp_month: int
    exp_year: int

    @classmethod
    def visible(cls, user):
        return SavedCard.filter(id=-1) if user is None else SavedCard.filter(account_id=user.account_id)

    @classmethod
    def from_model(cls, c: SavedCard) -> "SavedCardNode":
        return cls(id=c.id, brand=c.brand, last4=c.last4, exp_month=c.exp_month, exp_year=c.exp_year)


async def payments_of_order(info, order_id: int) -> list[PaymentNode]:
    return [PaymentNode.from_model(p) for p in await many_loader(info, "payments_by_order", Payment, "order_id").load(order_id)]
