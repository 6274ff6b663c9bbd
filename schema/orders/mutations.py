from __future__ import annotations

import strawberry
from strawberry import relay

from core.orders import services
from schema.base import UserError, decode_id, mutation
from schema.context import Info
from schema.orders.types import OrderNode
from schema.permissions import IsAuthenticated


@strawberry.input
class OrderCreateInput:
    store_id: relay.GlobalID
    specification_id: relay.GlobalID
    comment: str | None = None


@strawberry.input
class OrderUpdateInput:
    specification_id: relay.GlobalID | None = None
    comment: str | None = None


@strawberry.type
class OrderCreatePayload:
    order: OrderNode | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class OrderUpdatePayload:
    order: OrderNode | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class OrderApprovePayload:
    order: OrderNode | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class OrderCancelPayload:
    order: OrderNode | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class OrderMutations:
    @mutation(permission_classes=[IsAuthenticated],
              description="A DRAFT order from the store's cart: its duplicate groups, the specification's "
                          "current version and the price. Empties the cart.")
    async def order_create(self, info: Info, input: OrderCreateInput) -> OrderCreatePayload:
        order = await services.create(
            info.context.user, decode_id(input.store_id, "Store", "input.storeId"),
            decode_id(input.specification_id, "Specification", "input.specificationId"), input.comment)
        return OrderCreatePayload(order=OrderNode.from_model(order))

    @mutation(permission_classes=[IsAuthenticated],
              description="Change the specification or comment of a DRAFT or AWAITING_PAYMENT order (re-quoted).")
    async def order_update(self, info: Info, id: relay.GlobalID, input: OrderUpdateInput) -> OrderUpdatePayload:
        spec_id = (decode_id(input.specification_id, "Specification", "input.specificationId")
                   if input.specification_id is not None else None)
        order = await services.update(info.context.user, decode_id(id, "Order"), spec_id, input.comment)
        return OrderUpdatePayload(order=OrderNode.from_model(order))

    @mutation(permission_classes=[IsAuthenticated], description="Approve a draft: it then awaits payment.")
    async def order_approve(self, info: Info, id: relay.GlobalID) -> OrderApprovePayload:
        return OrderApprovePayload(order=OrderNode.from_model(await services.approve(info.context.user,
                                                                                     decode_id(id, "Order"))))

    @mutation(permission_classes=[IsAuthenticated], description="Cancel an order that is not paid yet.")
    async def order_cancel(self, info: Info, id: relay.GlobalID) -> OrderCancelPayload:
        return OrderCancelPayload(order=OrderNode.from_model(await services.cancel(info.context.user,
                                                                                   decode_id(id, "Order"))))
