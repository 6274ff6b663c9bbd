from __future__ import annotations

import strawberry
from strawberry import relay

from core.errors import NotFound
from core.stores import services
from schema.base import decode_id
from schema.context import Info
from schema.permissions import IsAuthenticated
from schema.stores.types import StoreNode


@strawberry.type
class StoreQueries:
    @strawberry.field(permission_classes=[IsAuthenticated], description="Your account's connected stores.")
    async def stores(self, info: Info) -> list[StoreNode]:
        rows = await services.visible_stores(info.context.user).order_by("id").limit(500)
        return [StoreNode.from_model(s) for s in rows]

    @strawberry.field(permission_classes=[IsAuthenticated], description="One of your stores, or null.")
    async def store(self, info: Info, id: relay.GlobalID) -> StoreNode | None:
        try:
            return StoreNode.from_model(await services.get_for_user(info.context.user, decode_id(id, "Store"), "id"))
        except NotFound:
            return None
