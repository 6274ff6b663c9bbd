from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from core.accounts.models import Account, Role, User
from core.accounts import services as accounts
from schema.base import ModelNode
from schema.context import Info

RoleEnum = strawberry.enum(Role, name="Role")


@strawberry.type(name="Account")
class AccountNode(ModelNode):
    id: relay.NodeID[int]
    name: str
    created_at: datetime

    @classmethod
    def visible(cls, user):
        return accounts.visible_accounts(user)

    @classmethod
    def from_model(cls, account: Account) -> "AccountNode":
        return cls(id=account.id, name=account.name, created_at=account.created_at)


@strawberry.type(name="User")
class UserNode(ModelNode):
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
    def visible(cls, user):
        return accounts.visible_users(user)

    @classmethod
    def from_model(cls, user: User) -> "UserNode":
        return cls(
            id=user.id, email=user.email, name=user.name, role=user.role,
            email_verified=user.email_verified_at is not None, account_id=user.account_id,
        )

