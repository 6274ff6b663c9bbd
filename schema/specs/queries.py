from __future__ import annotations

import strawberry

from core.specs import services
from schema.context import Info
from schema.permissions import IsAuthenticated
from schema.specs.types import SpecificationNode

MAX_SPECS = 500


@strawberry.type
class SpecificationQueries:
    @strawberry.field(permission_classes=[IsAuthenticated], description="The account's specifications (not archived).")
    async def specifications(self, info: Info) -> list[SpecificationNode]:
        rows = await services.visible_specifications(info.context.user).order_by("name", "id").limit(MAX_SPECS)
        return [SpecificationNode.from_model(s) for s in rows]
