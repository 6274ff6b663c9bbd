from __future__ import annotations

import strawberry
from strawberry import relay

from core.errors import NotFound
from core.publishing import services
from schema.base import decode_id
from schema.context import Info
from schema.permissions import IsAuthenticated
from schema.publishing.types import PublishPlanNode


@strawberry.type
class PublishingQueries:
    @strawberry.field(permission_classes=[IsAuthenticated], description="One of your publish plans, or null.")
    async def publish_plan(self, info: Info, id: relay.GlobalID) -> PublishPlanNode | None:
        try:
            return PublishPlanNode.from_model(await services.get_for_user(info.context.user,
                                                                          decode_id(id, "PublishPlan")))
        except NotFound:
            return None
