from __future__ import annotations

import strawberry
from strawberry import relay

from core.errors import DomainError
from core.pricing.services import quote
from core.specs import options as spec_options
from core.specs import services as specs
from schema.base import UserError, decode_id, user_errors
from schema.context import Info
from schema.permissions import IsAuthenticated
from schema.pricing.types import PriceQuoteType
from schema.specs.inputs import SpecificationInput


async def quote_for(info: Info, specification_id: relay.GlobalID, image_count: int) -> PriceQuoteType:
    spec = await specs.get_for_user(info.context.user, decode_id(specification_id, "Specification", "specificationId"),
                                    field="specificationId")
    return PriceQuoteType.from_quote(quote(specs.options_of(await specs.current_version(spec)), image_count))


@strawberry.type
class PriceQuotePreview:
    quote: PriceQuoteType | None
    errors: list[UserError]


@strawberry.type
class PricingQueries:
    @strawberry.field(permission_classes=[IsAuthenticated],
                      description="The price of imageCount billable images with this specification.")
    async def price_quote(self, info: Info, specification_id: relay.GlobalID, image_count: int) -> PriceQuoteType:
        return await quote_for(info, specification_id, image_count)

    @strawberry.field(permission_classes=[IsAuthenticated],
                      description="The live price of the specification editor: options validated as "
                                  "specificationCreate would (errors on the same fields) and priced for "
                                  "imageCount images, without saving anything.")
    async def price_quote_preview(self, info: Info, input: SpecificationInput, image_count: int) -> PriceQuotePreview:
        _, options = input.split()
        try:
            q = quote(spec_options.validate(options), image_count)
        except DomainError as exc:
            return PriceQuotePreview(quote=None, errors=user_errors(exc))
        return PriceQuotePreview(quote=PriceQuoteType.from_quote(q), errors=[])
