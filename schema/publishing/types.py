from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from core.catalog.models import Product
from core.jobs.models import Job
from core.orders.models import Order, OrderImage
from core.publishing import services
from core.publishing.models import PublishItem, PublishPlan
from core.publishing.states import ItemStatus, PlanStatus, PublishAction
from core.stores.models import Store
from core.storage.signing import signed_link
from schema.base import ModelNode
from schema.catalog.types import ProductNode
from schema.context import Info
from schema.jobs.types import JobNode
from schema.loaders import batch_loader, load_node, loader, page_loader
from schema.orders.types import OrderImageNode, OrderNode
from schema.pagination import CountedConnection, Edge, keyset_page
from schema.stores.types import StoreNode

PublishActionEnum = strawberry.enum(PublishAction, name="PublishAction",
                                    description="What publishing does at one place an edited image goes.")
PublishPlanStatusEnum = strawberry.enum(PlanStatus, name="PublishPlanStatus")
PublishItemStatusEnum = strawberry.enum(ItemStatus, name="PublishItemStatus")


@strawberry.type(name="PublishItem", description="One place an edited image goes, its action and its result.")
class PublishItemNode(ModelNode):
    id: relay.NodeID[int]
    action: PublishActionEnum
    note: str = strawberry.field(description="Why the default action is what it is (e.g. no product with this SKU).")
    status: PublishItemStatusEnum
    error: str = strawberry.field(description="Why the item failed (empty otherwise).")
    source_product_external_id: str
    image_external_id: str = strawberry.field(description="The store's image at this place when the order was made.")
    variant_external_id: str | None
    position: int
    is_thumbnail: bool
    alt_text: str
    before_url: str = strawberry.field(description="The picture there now (before).")
    target_product_external_id: str | None
    store_image_id_before: str | None = strawberry.field(description="The store's image in the slot before the write.")
    store_image_id_after: str | None = strawberry.field(description="The store's image Pixport wrote.")
    restored_image_id: str | None = strawberry.field(description="The original put back by a rollback.")
    finished_at: datetime | None
    rolled_back_at: datetime | None
    order_image_pk: strawberry.Private[int]
    target_product_pk: strawberry.Private[int | None]

    @strawberry.field(description="A signed link (1 h) to the edited picture (after).")
    async def after_url(self, info: Info) -> str | None:
        row = await loader(info, "order_image_by_id", OrderImage).load(self.order_image_pk)
        return signed_link(row.result_key) if row is not None and row.result_key else None

    @strawberry.field
    async def order_image(self, info: Info) -> OrderImageNode | None:
        return await load_node(info, OrderImageNode, OrderImage, self.order_image_pk)

    @strawberry.field(description="The product it is written to (Pixport's copy), null if none is chosen.")
    async def target_product(self, info: Info) -> ProductNode | None:
        return await load_node(info, ProductNode, Product, self.target_product_pk)

    @classmethod
    def visible(cls, user):
        return services.visible_items(user)

    @classmethod
    def from_model(cls, r: PublishItem) -> "PublishItemNode":
        return cls(
            id=r.id, action=r.action, note=r.note, status=r.status, error=r.error,
            source_product_external_id=r.source_product_external_id, image_external_id=r.image_external_id,
            variant_external_id=r.variant_external_id, position=r.position, is_thumbnail=r.is_thumbnail,
            alt_text=r.alt_text, before_url=r.source_url, target_product_external_id=r.target_product_external_id,
            store_image_id_before=r.before_image_id, store_image_id_after=r.after_image_id,
            restored_image_id=r.restored_image_id, finished_at=r.finished_at, rolled_back_at=r.rolled_back_at,
            order_image_pk=r.order_image_id, target_product_pk=r.target_product_id,
        )


@strawberry.type(description="One line of the publish log: an item, what was done and what came of it.")
class PublishLogEntry:
    item_id: relay.GlobalID
    action: PublishActionEnum
    result: PublishItemStatusEnum
    product_external_id: str | None
    variant_external_id: str | None
    store_image_id_before: str | None
    store_image_id_after: str | None
    restored_image_id: str | None
    at: datetime | None = strawberry.field(description="When the item finished (written, skipped or failed).")
    rolled_back_at: datetime | None
    error: str

    @classmethod
    def from_model(cls, r: PublishItem) -> "PublishLogEntry":
        return cls(item_id=relay.GlobalID("PublishItem", str(r.id)), action=r.action, result=r.status,
                   product_external_id=r.target_product_external_id, variant_external_id=r.variant_external_id,
                   store_image_id_before=r.before_image_id, store_image_id_after=r.after_image_id,
                   restored_image_id=r.restored_image_id, at=r.finished_at, rolled_back_at=r.rolled_back_at,
                   error=r.error)


@strawberry.type
class _PlanItemsCounted(CountedConnection):
    """Counted by the plan's per-request counts loader when not filtered (one query for
    a list of plans), else by its own query."""

    plan_pk: strawberry.Private[int | None]

    @strawberry.field
    async def total_count(self, info: Info) -> int:
        if self.plan_pk is None:
            return await self.count_query.count()
        return sum((await _plan_counts(info).load(self.plan_pk)).values())


@strawberry.type
class PublishItemConnection(_PlanItemsCounted):
    edges: list[Edge[PublishItemNode]]
    page_info: relay.PageInfo


@strawberry.type
class PublishLogConnection(_PlanItemsCounted):
    edges: list[Edge[PublishLogEntry]]
    page_info: relay.PageInfo


def _plan_counts(info: Info):
    return batch_loader(info, "publish_counts", services.counts_of)


async def _items_page(info: Info, plan_id: int, first: int | None, after: str | None):
    return await page_loader(info, "publish_items_page", PublishItem, "plan_id", first, after).load(plan_id)


@strawberry.type(description="Items of the plan by result.")
class PublishCounts:
    total: int
    pending: int
    done: int
    skipped: int
    failed: int
    rolled_back: int


@strawberry.type(description="One image of a product in the dry-run preview.")
class PublishPreviewImage:
    image_external_id: str | None = strawberry.field(description="Null for an image the publish adds.")
    url: str
    variant_external_id: str | None
    is_thumbnail: bool
    alt_text: str
    edited: bool = strawberry.field(description="True where the edited picture will be.")
    item_id: relay.GlobalID | None


@strawberry.type(description="A product the plan writes to: its images now (Pixport's copy) and after the publish.")
class PublishPreviewProduct:
    product: ProductNode
    before: list[PublishPreviewImage]
    after: list[PublishPreviewImage]


@strawberry.type(name="PublishPlan", description="Where each edited image of an order goes in one store, and how.")
class PublishPlanNode(ModelNode):
    id: relay.NodeID[int]
    status: PublishPlanStatusEnum
    created_at: datetime
    executed_at: datetime | None
    finished_at: datetime | None
    rolled_back_at: datetime | None
    order_pk: strawberry.Private[int]
    store_pk: strawberry.Private[int]
    job_pk: strawberry.Private[int | None]

    @strawberry.field(description="The store it publishes to.")
    async def store(self, info: Info) -> StoreNode | None:
        return await load_node(info, StoreNode, Store, self.store_pk)

    @strawberry.field
    async def order(self, info: Info) -> OrderNode | None:
        return await load_node(info, OrderNode, Order, self.order_pk)

    @strawberry.field(description="The last publish or rollback job (follow it with jobProgress).")
    async def job(self, info: Info) -> JobNode | None:
        return await load_node(info, JobNode, Job, self.job_pk)

    @strawberry.field
    async def counts(self, info: Info) -> PublishCounts:
        c = await _plan_counts(info).load(self.id)
        return PublishCounts(total=sum(c.values()), pending=c["PENDING"], done=c["DONE"], skipped=c["SKIPPED"],
                             failed=c["FAILED"], rolled_back=c["ROLLED_BACK"])

    @strawberry.field(description="The items, in plan order; filter by status or action.")
    async def items(self, info: Info, status: list[PublishItemStatusEnum] | None = None,
                    action: list[PublishActionEnum] | None = None, first: int | None = 50,
                    after: str | None = None) -> PublishItemConnection:
        query = PublishItem.filter(plan_id=self.id)
        if status:
            query = query.filter(status__in=list(status))
        if action:
            query = query.filter(action__in=list(action))
        filtered = bool(status or action)
        page = await keyset_page(query, "id", False, first, after) if filtered else \
            await _items_page(info, self.id, first, after)
        return PublishItemConnection(
            edges=[Edge(cursor=c, node=PublishItemNode.from_model(r)) for r, c in zip(page.rows, page.cursors)],
            page_info=page.page_info(), count_query=query, plan_pk=None if filtered else self.id)

    @strawberry.field(description="Every item: action, result, store image ids before and after, time, error. "
                                  "Also as CSV: GET logCsvUrl with the same bearer token.")
    async def log(self, info: Info, first: int | None = 100, after: str | None = None) -> PublishLogConnection:
        page = await _items_page(info, self.id, first, after)
        return PublishLogConnection(
            edges=[Edge(cursor=c, node=PublishLogEntry.from_model(r)) for r, c in zip(page.rows, page.cursors)],
            page_info=page.page_info(), count_query=PublishItem.filter(plan_id=self.id), plan_pk=self.id)

    @strawberry.field(description="Path of the log as CSV (send the bearer token).")
    def log_csv_url(self) -> str:
        return f"/publishing/plans/{relay.to_base64('PublishPlan', self.id)}/log.csv"

    @strawberry.field(description="Dry run: per product written to, its images now and after the publish.")
    async def preview(self, info: Info, first: int | None = 20, after: str | None = None) -> list[PublishPreviewProduct]:
        return await preview(info, self.id, first, after)

    @classmethod
    def visible(cls, user):
        return services.visible_plans(user)

    @classmethod
    def from_model(cls, p: PublishPlan) -> "PublishPlanNode":
        return cls(id=p.id, status=p.status, created_at=p.created_at, executed_at=p.executed_at,
                   finished_at=p.finished_at, rolled_back_at=p.rolled_back_at, order_pk=p.order_id,
                   store_pk=p.store_id, job_pk=p.job_id)


async def preview(info: Info, plan_id: int, first: int | None, after: str | None) -> list[PublishPreviewProduct]:
    """Products in target-product order; ``after`` is the last product's global id."""
    from schema.base import decode_id
    from schema.pagination import check_first

    limit = check_first(first)
    query = PublishItem.filter(plan_id=plan_id, target_product_id__isnull=False).exclude(action=PublishAction.SKIP)
    if after:
        query = query.filter(target_product_id__gt=decode_id(after, "Product", "after"))
    product_ids = sorted(set(await query.values_list("target_product_id", flat=True)))[:limit]
    if not product_ids:
        return []
    items = await PublishItem.filter(plan_id=plan_id, target_product_id__in=product_ids).exclude(
        action=PublishAction.SKIP).order_by("id")
    images = await services.product_images(product_ids)
    products = {p.id: p for p in await Product.filter(id__in=product_ids)}
    results = dict(await OrderImage.filter(id__in={i.order_image_id for i in items}).values_list("id", "result_key"))
    out = []
    for pid in product_ids:
        mine = [i for i in items if i.target_product_id == pid]
        replaced = {(i.variant_external_id or None, i.image_external_id): i for i in mine
                    if i.action == PublishAction.OVERWRITE}
        before, after_ = [], []
        for image in images.get(pid, []):
            now = PublishPreviewImage(image_external_id=image.external_id, url=image.source_url,
                                      variant_external_id=image.variant_external_id, is_thumbnail=image.is_thumbnail,
                                      alt_text=image.alt_text, edited=False, item_id=None)
            before.append(now)
            item = replaced.get((image.variant_external_id or None, image.external_id))
            if item is None:
                after_.append(now)
            else:
                after_.append(PublishPreviewImage(
                    image_external_id=None, url=signed_link(results[item.order_image_id] or ""),
                    variant_external_id=image.variant_external_id, is_thumbnail=image.is_thumbnail,
                    alt_text=image.alt_text, edited=True, item_id=relay.GlobalID("PublishItem", str(item.id))))
        for item in mine:
            if item.action in (PublishAction.APPEND, PublishAction.COPY_TO_PRODUCT):
                after_.append(PublishPreviewImage(
                    image_external_id=None, url=signed_link(results[item.order_image_id] or ""),
                    variant_external_id=None, is_thumbnail=False, alt_text=item.alt_text, edited=True,
                    item_id=relay.GlobalID("PublishItem", str(item.id))))
        out.append(PublishPreviewProduct(product=ProductNode.from_model(products[pid]), before=before, after=after_))
    return out
