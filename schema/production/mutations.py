from __future__ import annotations

import strawberry
from strawberry import relay
from strawberry.file_uploads import Upload

from core import runtime
from core.production import services
from core.production.errors import UploadRejected
from schema.base import UserError, decode_id, mutation
from schema.context import Info
from schema.orders.types import OrderImageNode
from schema.permissions import IsAuthenticated, IsStaff


@strawberry.type
class OrderImagePayload:
    order_image: OrderImageNode | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


async def _read_capped(file: Upload) -> bytes:
    limit = runtime.current().settings.max_upload_bytes
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise UploadRejected(f"The file is larger than {limit} bytes.", field="file")
    return data


@strawberry.type
class ProductionMutations:
    @mutation(permission_classes=[IsStaff],
              description="Production staff: take an image of the queue (yours until you submit it).")
    async def production_image_claim(self, info: Info, order_image_id: relay.GlobalID) -> OrderImagePayload:
        image = await services.claim(info.context.user, decode_id(order_image_id, "OrderImage", "orderImageId"))
        return OrderImagePayload(order_image=OrderImageNode.from_model(image))

    @mutation(permission_classes=[IsStaff],
              description="Production staff: the edited file of an image you claimed (GraphQL multipart "
                          "upload). It counts only if it meets the specification.")
    async def production_image_submit(self, info: Info, order_image_id: relay.GlobalID,
                                      file: Upload) -> OrderImagePayload:
        image_id = decode_id(order_image_id, "OrderImage", "orderImageId")
        data = await _read_capped(file)
        image = await services.submit(info.context.user, image_id, data, getattr(file, "filename", "") or "")
        return OrderImagePayload(order_image=OrderImageNode.from_model(image))

    @mutation(permission_classes=[IsAuthenticated],
              description="Ask for an image to be done again, saying what should change: it goes back to a "
                          "retoucher and the order back to IN_PRODUCTION until it is done again.")
    async def order_image_redo_request(self, info: Info, order_image_id: relay.GlobalID,
                                       note: str) -> OrderImagePayload:
        image = await services.request_redo(info.context.user,
                                            decode_id(order_image_id, "OrderImage", "orderImageId"), note)
        return OrderImagePayload(order_image=OrderImageNode.from_model(image))
