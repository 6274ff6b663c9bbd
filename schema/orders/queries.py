from __future__ import annotations

import strawberry
from strawberry import relay

from core.errors import NotFound
from core.orders import services
from core.orders.states import OrderStatus
from core.timeutil import utcnow
from tortoise.expressions import Q
from schema.base import decode_id
from schema.context import Info
from schema.orders.types import OrderConnection, OrderNode, OrderStatusEnum
from schema.pagination import Edge, keyset_page
from schema.permissions import IsAuthenticated


@strawberry.type
class OrderQueries:
    @strawberry.field(permission_classes=[IsAuthenticated],
                      description="Your account's orders (staff: every account's), newest first. overdue: only "
                                  "orders in production past their due time (true) or the others (false).")
    async def orders(self, info: Info, status: list[OrderStatusEnum] | None = None, first: int | None = 20,
                     after: str | None = None, overdue: bool | None = None) -> OrderConnection:
        query = services.visible_orders(info.context.user)
        if status:
            query = query.filter(status__in=list(status))
        if overdue is not None:
            late = Q(status=OrderStatus.IN_PRODUCTION, due_at__lt=utcnow())
            query = query.filter(late if overdue else ~late)
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
