from __future__ import annotations

from datetime import datetime
from typing import Iterable

import strawberry
from strawberry import relay

from core.accounts.models import Account, Role, User
from schema.context import Info

RoleEnum = strawberry.enum(Role, name="Role")


@strawberry.type(name="Account")
class AccountNode(relay.Node):
    id: relay.NodeID[int]
    name: str
    created_at: datetime

    @classmethod
    def from_model(cls, account: Account) -> "AccountNode":
        return cls(id=account.id, name=account.name, created_at=account.created_at)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        me = info.context.user
        ids = [int(i) for i in node_ids]
        if me is None:
            return [None for _ in ids]
        query = Account.filter(id__in=ids)
        if not me.role.is_staff:
            query = query.filter(id=me.account_id)
        found = {a.id: a for a in await query}
        return [cls.from_model(found[i]) if i in found else None for i in ids]

@strawberry.type(name="User")
class UserNode(relay.Node):
    id: relay.NodeID[int]
    email: str
    name: str
    role: RoleEnum
    email_verified: bool
    account_id: strawberry.Private[int]

    @strawberry.field
    async def account(self, info: Info) -> AccountNode:
        from schema.loaders import loader

        return AccountNode.from_model(await loader(info, "account_by_id", Account).load(self.account_id))

    @classmethod
    def from_model(cls, user: User) -> "UserNode":
        return cls(
            id=user.id, email=user.email, name=user.name, role=user.role,
            email_verified=user.email_verified_at is not None, account_id=user.account_id,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        me = info.context.user
        ids = [int(i) for i in node_ids]
        if me is None:
            return [None for _ in ids]
        query = User.filter(id__in=ids)
        if not me.role.is_staff:
            query = query.filter(account_id=me.account_id)
        found = {u.id: u for u in await query}
        return [cls.from_model(found[i]) if i in found else None for i in ids]
