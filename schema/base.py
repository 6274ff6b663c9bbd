"""The shared GraphQL vocabulary of CONTRACT.md: UserError/ErrorCode, Money, global ids."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry import relay
from strawberry.extensions import FieldExtension

from core.errors import DomainError, ErrorCode as CoreErrorCode, NotFound, ValidationFailed

ErrorCode = strawberry.enum(CoreErrorCode, name="ErrorCode", description="Stable error codes for clients.")


@strawberry.type(description="A problem with the input that the user can fix. `field` names the input.")
class UserError:
    code: ErrorCode
    field: str | None
    message: str


@strawberry.type(description="An amount of money in minor units (cents) of `currency` (ISO 4217).")
class Money:
    amount: int
    currency: str


def user_errors(exc: DomainError) -> list[UserError]:
    errors = exc.errors if isinstance(exc, ValidationFailed) else [exc]
    return [UserError(code=e.code, field=e.field, message=e.message) for e in errors]


class ReturnsUserErrors(FieldExtension):
    """Turns a DomainError raised by a mutation into its payload's ``errors``:
    resolvers raise, they do not build error payloads by hand."""

    def apply(self, field) -> None:
        self.payload_type = field.type

    async def resolve_async(self, next_, source: Any, info, **kwargs):
        try:
            return await next_(source, info, **kwargs)
        except DomainError as exc:
            return self.payload_type(errors=user_errors(exc))


def mutation(**kwargs):
    """``strawberry.mutation`` with typed user errors."""
    return strawberry.mutation(extensions=[ReturnsUserErrors()], **kwargs)


class ModelNode(relay.Node):
    """A Node backed by a tortoise model. Subclasses say which rows a user may see
    (``visible``) and how a row becomes the type (``from_model``); refetching by
    global id then never reveals what the caller may not see."""

    @classmethod
    def visible(cls, user):  # -> QuerySet of the rows ``user`` may see
        raise NotImplementedError

    @classmethod
    def from_model(cls, row):
        raise NotImplementedError

    @classmethod
    async def resolve_nodes(cls, *, info, node_ids, required: bool = False):
        ids = [int(i) for i in node_ids]
        found = {row.id: row for row in await cls.visible(info.context.user).filter(id__in=ids)}
        return [cls.from_model(found[i]) if i in found else None for i in ids]


def decode_id(global_id: relay.GlobalID | str, type_name: str, field: str = "id") -> int:
    """The database id behind a global id of ``type_name``; NotFound otherwise."""
    try:
        gid = global_id if isinstance(global_id, relay.GlobalID) else relay.GlobalID.from_id(global_id)
        if gid.type_name != type_name:
            raise ValueError
        return int(gid.node_id)
    except (ValueError, TypeError, relay.GlobalIDValueError):
        raise NotFound(f"No {type_name} with this id.", field=field) from None
