from __future__ import annotations

import strawberry
from strawberry import relay

from core.carts import services
from schema.base import decode_id
from schema.carts.types import CartNode
from schema.context import Info
from schema.permissions import IsAuthenticated


@strawberry.type
class CartQueries:
    @strawberry.field(permission_classes=[IsAuthenticated], description="Your open cart in this store.")
    async def cart(self, info: Info, store_id: relay.GlobalID) -> CartNode:
        return CartNode.from_model(await services.open_cart(info.context.user, decode_id(store_id, "Store", "storeId")))
