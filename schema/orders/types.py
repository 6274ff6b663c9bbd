from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from core.catalog.models import Image
from core.jobs.models import Job
from core.production import services as production
from core.orders import services
from core.orders.models import Order, OrderImage, OrderImageLocation
from core.orders.states import OrderStatus
from core.specs.models import Specification, SpecificationVersion
from core.stores.models import Store
from schema.base import ModelNode
from schema.catalog.types import ImageNode
from schema.context import Info
from schema.loaders import batch_loader, load_node, loader, many_loader, page_loader
from schema.pagination import CountedConnection, Edge
from schema.pricing.types import PriceQuoteType
from schema.specs.types import SpecificationNode, SpecificationVersionType
from schema.stores.types import StoreNode
from schema.jobs.types import JobNode
from schema.production.types import (EditedByEnum, ImageFile, OrderProduction, ProductionError,
                                     ProductionStatusEnum)
from strawberry.scalars import JSON
from core.timeutil import utcnow

if TYPE_CHECKING:
    from schema.payments.types import PaymentNode
    from schema.publishing.types import PublishPlanNode

OrderStatusEnum = strawberry.enum(OrderStatus, name="OrderStatus")


@strawberry.type(description="A place in the store where a picture of the group sat when the order was made.")
class OrderImageLocationType:
    product_id: relay.GlobalID
    product_external_id: str
    image_external_id: str
    variant_external_id: str | None
    position: int
    is_thumbnail: bool
    alt_text: str


OrderImageLocationType.__strawberry_definition__.name = "OrderImageLocation"


@strawberry.type(name="OrderImage", description="One duplicate group of the order: edited and charged once.")
class OrderImageNode(ModelNode):
    id: relay.NodeID[int]
    source_url: str
    file_name: str
    width: int
    height: int
    format: str | None
    location_count: int
    production_status: ProductionStatusEnum
    edited_by: EditedByEnum | None = strawberry.field(description="Who made the result (null until done).")
    confidence: float | None = strawberry.field(description="The engine's confidence in its cut-out (0..1).")
    edit_report: JSON | None = strawberry.field(
        description="How the result was made: the engine's steps, or the retoucher's upload.")
    retouch_reason: str = strawberry.field(description="Why a person must do (or check) this image.")
    redo_note: str = strawberry.field(description="The merchant's last redo request.")
    redo_count: int
    due_at: datetime | None
    done_at: datetime | None
    claimed_at: datetime | None
    image_pk: strawberry.Private[int | None]
    order_pk: strawberry.Private[int]
    claimed_by_pk: strawberry.Private[int | None]
    row: strawberry.Private[OrderImage]

    @strawberry.field(description="The original at full size, once downloaded (a signed link that expires).")
    def before(self) -> ImageFile | None:
        r = self.row
        if not r.original_key:
            return None
        return ImageFile.of(r.original_key, r.width, r.height, r.original_bytes, r.format)

    @strawberry.field(description="The validated result (a signed link that expires); null until there is one.")
    def after(self) -> ImageFile | None:
        r = self.row
        if not r.result_key:
            return None
        return ImageFile.of(r.result_key, r.result_width, r.result_height, r.result_bytes, r.result_format)

    @strawberry.field(description="Set when the original cannot be edited.")
    def error(self) -> ProductionError | None:
        if not self.row.error_code:
            return None
        return ProductionError(code=self.row.error_code, message=self.row.error_message)

    @strawberry.field(description="True when you have claimed this image (retouchers).")
    def claimed_by_me(self, info: Info) -> bool:
        user = info.context.user
        return user is not None and self.claimed_by_pk == user.id

    @strawberry.field(description="The order this image belongs to.")
    async def order(self, info: Info) -> "OrderNode":
        return OrderNode.from_model(await loader(info, "order_by_id", Order).load(self.order_pk))

    @strawberry.field(description="The catalog image that is edited (null if it left the catalog).")
    async def image(self, info: Info) -> ImageNode | None:
        return await load_node(info, ImageNode, Image, self.image_pk)

    @strawberry.field(description="Every place the edited picture goes.")
    async def locations(self, info: Info) -> list[OrderImageLocationType]:
        rows = await many_loader(
            info, "order_image_locations_by_order_image", OrderImageLocation, "order_image_id"
        ).load(self.id)
        return [OrderImageLocationType(
            product_id=relay.GlobalID("Product", str(r.product_id)), product_external_id=r.product_external_id,
            image_external_id=r.image_external_id, variant_external_id=r.variant_external_id, position=r.position,
            is_thumbnail=r.is_thumbnail, alt_text=r.alt_text) for r in rows]

    @classmethod
    def visible(cls, user):
        return production.visible_images(user)

    @classmethod
    def from_model(cls, r: OrderImage) -> "OrderImageNode":
        return cls(id=r.id, source_url=r.source_url, file_name=r.file_name, width=r.width, height=r.height,
                   format=r.format, location_count=r.location_count, production_status=r.production_status,
                   edited_by=r.edited_by, confidence=r.confidence, edit_report=r.edit_report,
                   retouch_reason=r.retouch_reason, redo_note=r.redo_note, redo_count=r.redo_count, due_at=r.due_at,
                   done_at=r.done_at, claimed_at=r.claimed_at, image_pk=r.image_id, order_pk=r.order_id,
                   claimed_by_pk=r.claimed_by_id, row=r)


@strawberry.type
class OrderImageConnection:
    edges: list[Edge[OrderImageNode]]
    page_info: relay.PageInfo
    total_count: int


@strawberry.type
class ProductionQueueConnection(CountedConnection):
    edges: list[Edge[OrderImageNode]]
    page_info: relay.PageInfo


@strawberry.type(name="Order")
class OrderNode(ModelNode):
    id: relay.NodeID[int]
    number: str
    status: OrderStatusEnum
    comment: str
    image_count: int = strawberry.field(description="Billable images (duplicate groups).")
    quote: PriceQuoteType
    created_at: datetime
    updated_at: datetime
    approved_at: datetime | None
    paid_at: datetime | None
    due_at: datetime | None = strawberry.field(description="Paid time + turnaround; null until paid.")
    cancelled_at: datetime | None
    ready_at: datetime | None = strawberry.field(description="When every image was last done.")
    spec_pk: strawberry.Private[int]
    intake_job_pk: strawberry.Private[int | None]
    version_pk: strawberry.Private[int]
    store_pk: strawberry.Private[int | None]

    @strawberry.field
    async def specification(self, info: Info) -> SpecificationNode:
        return SpecificationNode.from_model(await loader(info, "specification_by_id", Specification).load(self.spec_pk))

    @strawberry.field(description="The version of the specification this order uses.")
    async def specification_version(self, info: Info) -> SpecificationVersionType:
        return SpecificationVersionType.from_model(
            await loader(info, "specification_version_by_id", SpecificationVersion).load(self.version_pk))

    @strawberry.field
    async def store(self, info: Info) -> StoreNode | None:
        return await load_node(info, StoreNode, Store, self.store_pk)

    @strawberry.field(description="The order's duplicate groups with their locations.")
    async def images(self, info: Info, first: int | None = 50, after: str | None = None) -> OrderImageConnection:
        page = await page_loader(info, "order_images_page", OrderImage, "order_id", first, after).load(self.id)
        return OrderImageConnection(
            edges=[Edge(cursor=c, node=OrderImageNode.from_model(r)) for r, c in zip(page.rows, page.cursors)],
            page_info=page.page_info(), total_count=self.image_count,
        )

    @strawberry.field(description="True when the order is in production past its due time.")
    def overdue(self) -> bool:
        return self.status == OrderStatus.IN_PRODUCTION and self.due_at is not None and self.due_at < utcnow()

    @strawberry.field(description="How many images are at each production step.")
    async def production(self, info: Info) -> OrderProduction:
        return OrderProduction.of(await _counts_loader(info).load(self.id))

    @strawberry.field(description="The job that downloads the originals and queues their edits (jobProgress).")
    async def production_job(self, info: Info) -> JobNode | None:
        return await load_node(info, JobNode, Job, self.intake_job_pk)

    @strawberry.field(description="The order's charges and refunds, oldest first.")
    async def payments(self, info: Info) -> list[Annotated["PaymentNode", strawberry.lazy("schema.payments.types")]]:
        from schema.payments.types import payments_of_order

        return await payments_of_order(info, self.id)

    @strawberry.field(description="The order's publish plans, newest first.")
    async def publish_plans(self, info: Info) -> list[Annotated["PublishPlanNode", strawberry.lazy("schema.publishing.types")]]:
        from core.publishing.models import PublishPlan
        from schema.publishing.types import PublishPlanNode

        rows = await many_loader(info, "publish_plans_by_order", PublishPlan, "order_id").load(self.id)
        return [PublishPlanNode.from_model(r) for r in reversed(rows)]

    @classmethod
    def visible(cls, user):
        return services.visible_orders(user)

    @classmethod
    def from_model(cls, o: Order) -> "OrderNode":
        return cls(
            id=o.id, number=o.number or services.number_for(o.id), status=o.status, comment=o.comment,
            image_count=o.image_count, quote=PriceQuoteType.from_quote(services.stored_quote(o)),
            created_at=o.created_at, updated_at=o.updated_at, approved_at=o.approved_at, paid_at=o.paid_at,
            due_at=o.due_at, cancelled_at=o.cancelled_at, spec_pk=o.specification_id, version_pk=o.spec_version_id,
            store_pk=o.store_id, ready_at=o.ready_at, intake_job_pk=o.intake_job_id,
        )


@strawberry.type
class OrderConnection(CountedConnection):
    edges: list[Edge[OrderNode]]
    page_info: relay.PageInfo


def _counts_loader(info: Info):
    return batch_loader(info, "production_counts", production.production_counts)
