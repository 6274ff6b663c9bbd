from __future__ import annotations

import strawberry
from strawberry import relay

from core.specs import services
from schema.base import UserError, decode_id, mutation
from schema.context import Info
from schema.permissions import IsAuthenticated
from schema.specs.inputs import SpecificationInput
from schema.specs.types import SpecificationNode


@strawberry.type
class SpecificationCreatePayload:
    specification: SpecificationNode | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SpecificationUpdatePayload:
    specification: SpecificationNode | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SpecificationDeletePayload:
    specification: SpecificationNode | None = None
    archived: bool = strawberry.field(default=False, description="True: orders use it, so it was archived "
                                                                  "(hidden, kept for them) rather than deleted.")
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SpecificationMutations:
    @mutation(permission_classes=[IsAuthenticated], description="Save a new specification (name required).")
    async def specification_create(self, info: Info, input: SpecificationInput) -> SpecificationCreatePayload:
        name, options = input.split()
        spec = await services.create(info.context.user, name or "", options)
        return SpecificationCreatePayload(specification=SpecificationNode.from_model(spec))

    @mutation(permission_classes=[IsAuthenticated],
              description="Change a specification; fields left out keep their value. A version a paid order "
                          "used is never changed: a new version becomes current.")
    async def specification_update(self, info: Info, id: relay.GlobalID,
                                   input: SpecificationInput) -> SpecificationUpdatePayload:
        name, options = input.split()
        spec = await services.update(info.context.user, decode_id(id, "Specification"), name, options or None)
        return SpecificationUpdatePayload(specification=SpecificationNode.from_model(spec))

    @mutation(permission_classes=[IsAuthenticated],
              description="Delete a specification; one that orders use is archived instead.")
    async def specification_delete(self, info: Info, id: relay.GlobalID) -> SpecificationDeletePayload:
        spec, archived = await services.delete(info.context.user, decode_id(id, "Specification"))
        return SpecificationDeletePayload(specification=SpecificationNode.from_model(spec), archived=archived)
