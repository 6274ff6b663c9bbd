from __future__ import annotations

import strawberry
from strawberry import relay

from core.errors import NotFound
from core.orders import services
from schema.base import decode_id
from schema.context import Info
from schema.orders.types import OrderConnection, OrderNode, OrderStatusEnum
from schema.pagination import Edge, keyset_page
from schema.permissions import IsAuthenticated


@strawberry.type
class OrderQueries:
    @strawberry.field(permission_classes=[IsAuthenticated], description="Your account's orders, newest first.")
    async def orders(self, info: Info, status: list[OrderStatusEnum] | None = None, first: int | None = 20,
                     after: str | None = None) -> OrderConnection:
        query = services.visible_orders(info.context.user)
        if status:
            query = query.filter(status__in=list(status))
        page = await keyset_page(query, "id", True, first, after)
        return OrderConnection(
            edges=[Edge(cursor=c, node=OrderNode.from_model(r)) for r, c in zip(page.rows, page.cursors)],
            page_info=page.page_info(), count_query=query,
        )

    @strawberry.field(permission_classes=[IsAuthenticated], description="One of your orders, or null.")
    async def order(self, info: Info, id: relay.GlobalID) -> OrderNode | None:
        try:
            return OrderNode.from_model(await services.get_for_user(info.context.user, decode_id(id, "Order")))
        except NotFound:
            return None
