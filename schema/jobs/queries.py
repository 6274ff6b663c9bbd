from __future__ import annotations

import strawberry
from strawberry import relay

from core.errors import NotFound
from core.jobs import services
from schema.base import decode_id
from schema.context import Info
from schema.jobs.types import JobNode
from schema.permissions import IsAuthenticated


@strawberry.type
class JobQueries:
    @strawberry.field(permission_classes=[IsAuthenticated], description="A job of your account, or null.")
    async def job(self, info: Info, id: relay.GlobalID) -> JobNode | None:
        try:
            return JobNode.from_model(await services.get_for_user(info.context.user, decode_id(id, "Job")))
        except NotFound:
            return None
