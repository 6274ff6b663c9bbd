from __future__ import annotations

import strawberry

from core.payments import services
from schema.context import Info
from schema.payments.types import SavedCardNode
from schema.permissions import IsAuthenticated


@strawberry.type
class PaymentQueries:
    @strawberry.field(permission_classes=[IsAuthenticated], description="The account's saved cards.")
    async def saved_cards(self, info: Info) -> list[SavedCardNode]:
        return [SavedCardNode.from_model(c) for c in await services.saved_cards(info.context.user)]
