from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader

from core.payments import services
from core.payments.models import Payment, PaymentKind, PaymentStatus, Provider, SavedCard
from schema.base import ModelNode, Money

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


def _payments_loader(info):
    """PaymentsByOrder: one query for a page of orders."""
    loaders = info.context.loaders
    if "payments_by_order" not in loaders:
        async def load(keys: list[int]) -> list[list[Payment]]:
            found: dict[int, list] = defaultdict(list)
            for row in await Payment.filter(order_id__in=keys).order_by("id"):
                found[row.order_id].append(row)
            return [found.get(k, []) for k in keys]

        loaders["payments_by_order"] = DataLoader(load_fn=load)
    return loaders["payments_by_order"]


async def payments_of_order(info, order_id: int) -> list[PaymentNode]:
    return [PaymentNode.from_model(p) for p in await _payments_loader(info).load(order_id)]
