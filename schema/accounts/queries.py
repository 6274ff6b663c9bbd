from __future__ import annotations

import strawberry

from schema.accounts.types import UserNode
from schema.context import Info
from schema.permissions import Public


@strawberry.type
class AccountQueries:
    @strawberry.field(permission_classes=[Public], description="The signed-in user, or null.")
    def me(self, info: Info) -> UserNode | None:
        user = info.context.user
        return UserNode.from_model(user) if user else None
