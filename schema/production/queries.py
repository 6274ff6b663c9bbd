from __future__ import annotations

import strawberry

from core.production import services
from schema.context import Info
from schema.orders.types import OrderImageNode, ProductionQueueConnection
from schema.pagination import Edge, keyset_page
from schema.permissions import IsStaff


@strawberry.type
class ProductionQueries:
    @strawberry.field(permission_classes=[IsStaff],
                      description="Production staff: order images waiting for a retoucher, most urgent first. "
                                  "overdue: only those past (true) or within (false) their due time; "
                                  "claimedByMe: only yours (true) or the others (false).")
    async def production_queue(self, info: Info, first: int | None = 20, after: str | None = None,
                               overdue: bool | None = None, claimed_by_me: bool | None = None
                               ) -> ProductionQueueConnection:
        query = services.queue(info.context.user, overdue=overdue, claimed_by_me=claimed_by_me)
        page = await keyset_page(query, "due_at", False, first, after)
        return ProductionQueueConnection(
            edges=[Edge(cursor=c, node=OrderImageNode.from_model(r)) for r, c in zip(page.rows, page.cursors)],
            page_info=page.page_info(), count_query=query,
        )
