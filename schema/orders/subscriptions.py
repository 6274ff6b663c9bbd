from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator

import strawberry
from strawberry import relay

from core import runtime
from core.orders import services
from core.orders.states import TRANSITIONS
from schema.base import decode_id
from schema.context import Info
from schema.orders.types import OrderNode
from schema.permissions import IsAuthenticated

RECHECK_SECONDS = 5.0  # a lost message delays an update by at most this long


@strawberry.type
class OrderSubscriptions:
    @strawberry.subscription(permission_classes=[IsAuthenticated],
                             description="The order now, then on every status change; ends at a final status.")
    async def order_updates(self, info: Info, order_id: relay.GlobalID) -> AsyncGenerator[OrderNode, None]:
        order = await services.get_for_user(info.context.user, decode_id(order_id, "Order", "orderId"))
        async with runtime.current().bus.subscribe(services.channel(order.id)) as queue:
            await order.refresh_from_db()  # subscribed first, then read: no change slips between
            last = order.status
            yield OrderNode.from_model(order)
            while TRANSITIONS[order.status]:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(queue.get(), timeout=RECHECK_SECONDS)
                    while not queue.empty():
                        queue.get_nowait()
                await order.refresh_from_db()
                if order.status != last:
                    last = order.status
                    yield OrderNode.from_model(order)
