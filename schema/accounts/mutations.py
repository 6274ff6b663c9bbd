from __future__ import annotations

import strawberry

from core.accounts import services
from core.errors import DomainError
from core.stores import services as stores
from schema.accounts.types import UserNode
from schema.base import UserError, mutation
from schema.context import Info
from schema.permissions import IsAuthenticated, Public


@strawberry.input
class AccountCreateInput:
    email: str
    password: str
    name: str
    store_link_token: str | None = strawberry.field(
        default=None, description="From /bigcommerce/load: links that store to the new account."
    )


@strawberry.input
class SessionCreateInput:
    email: str
    password: str
    store_link_token: str | None = None


@strawberry.type
class AccountCreatePayload:
    user: UserNode | None = None
    token: str | None = strawberry.field(default=None, description="Bearer token of the new session.")
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SessionCreatePayload:
    user: UserNode | None = None
    token: str | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SessionDeletePayload:
    ok: bool = False
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class AccountEmailVerifyPayload:
    user: UserNode | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class AccountMutations:
    @mutation(permission_classes=[Public], description="Sign up: a new account, signed in.")
    async def account_create(self, info: Info, input: AccountCreateInput) -> AccountCreatePayload:
        link = None
        if input.store_link_token:  # checked first: a bad link creates no account
            link = await stores.read_store_link(input.store_link_token, for_new_account=True)
        user, token = await services.create_account(input.email, input.password, input.name)
        if link is not None:
            await stores.link_store(link, user)
        return AccountCreatePayload(user=UserNode.from_model(user), token=token)

    @mutation(permission_classes=[Public], description="Log in.")
    async def session_create(self, info: Info, input: SessionCreateInput) -> SessionCreatePayload:
        link = await stores.read_store_link(input.store_link_token) if input.store_link_token else None
        user, token = await services.log_in(input.email, input.password)
        if link is not None:
            try:
                await stores.link_store(link, user)
            except DomainError:
                await services.log_out(token)  # refused: no session either, nothing changed
                raise
        return SessionCreatePayload(user=UserNode.from_model(user), token=token)

    @mutation(permission_classes=[IsAuthenticated], description="Log out: ends this session.")
    async def session_delete(self, info: Info) -> SessionDeletePayload:
        return SessionDeletePayload(ok=await services.log_out(info.context.token))

    @mutation(permission_classes=[Public], description="Confirm an e-mail address with the link's token.")
    async def account_email_verify(self, info: Info, token: str) -> AccountEmailVerifyPayload:
        return AccountEmailVerifyPayload(user=UserNode.from_model(await services.verify_email(token)))
