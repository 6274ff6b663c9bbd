from __future__ import annotations

import strawberry
from strawberry import relay

from core.pricing.services import quote
from core.specs import services as specs
from schema.base import decode_id
from schema.context import Info
from schema.permissions import IsAuthenticated
from schema.pricing.types import PriceQuoteType


async def quote_for(info: Info, specification_id: relay.GlobalID, image_count: int) -> PriceQuoteType:
    spec = await specs.get_for_user(info.context.user, decode_id(specification_id, "Specification", "specificationId"),
                                    field="specificationId")
    return PriceQuoteType.from_quote(quote(specs.options_of(await specs.current_version(spec)), image_count))


@strawberry.type
class PricingQueries:
    @strawberry.field(permission_classes=[IsAuthenticated],
                      description="The price of imageCount billable images with this specification.")
    async def price_quote(self, info: Info, specification_id: relay.GlobalID, image_count: int) -> PriceQuoteType:
        return await quote_for(info, specification_id, image_count)
