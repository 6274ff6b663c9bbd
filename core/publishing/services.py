"""Publish plans: made from an edited order for one of the account's stores, actions
set per item (in bulk), executed and rolled back as jobs (core.publishing.executor)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from core.accounts.visibility import rows_visible_to
from core import runtime
from core.catalog.models import Image, Product
from core.errors import DomainError, ErrorCode, NotFound, ValidationFailed
from core.jobs import services as jobs
from core.jobs.models import Job
from core.orders import services as orders
from core.orders.models import Order, OrderImage, OrderImageLocation
from core.orders.states import OrderStatus
from core.publishing.errors import PlanInvalidTransition, PlanNotFound
from core.publishing.models import PublishItem, PublishPlan
from core.publishing.states import (
    EDITABLE,
    EXECUTABLE,
    ROLLBACKABLE,
    ItemStatus,
    PlanStatus,
    PublishAction,
)
from core.stores import services as stores
from core.stores.models import StoreStatus
from core.timeutil import utcnow

PUBLISH = "publishing.publish"
ROLLBACK = "publishing.rollback"
# An order can be published (again, or to another store) once every image is edited.
PUBLISHABLE_ORDERS = frozenset({OrderStatus.READY_FOR_REVIEW, OrderStatus.PUBLISHING, OrderStatus.PUBLISHED,
                                OrderStatus.PARTIALLY_PUBLISHED})
MAX_ITEMS_PER_UPDATE = 5_000


def channel(plan_id: int) -> str:
    return f"publish-plan:{plan_id}"


def visible_plans(user):
    return rows_visible_to(user, PublishPlan)


def visible_items(user):
    return rows_visible_to(user, PublishItem, "plan__account_id")


async def get_for_user(user, plan_id: int, field: str = "planId") -> PublishPlan:
    plan = await visible_plans(user).filter(id=plan_id).first()
    if plan is None:
        raise PlanNotFound("No such publish plan.", field=field)
    return plan


def write_key(plan: PublishPlan, item_id: int, kind: str) -> str:
    """The idempotency key of one store write: lower-case letters and digits, short
    enough for any platform's file names."""
    return f"pxp{plan.marker}i{item_id}{kind[0].lower()}"


# ---- create ---------------------------------------------------------------------------------

async def create_plan(user, order_id: int, store_id: int) -> PublishPlan:
    order = await orders.get_for_user(user, order_id, field="orderId")
    store = await stores.get_for_user(user, store_id, field="storeId")
    if store.account_id != order.account_id:
        raise NotFound("No such store.", field="storeId")
    if store.status != StoreStatus.INSTALLED:
        raise DomainError("The app is not installed in this store any more.", field="storeId")
    if order.status not in PUBLISHABLE_ORDERS:
        raise PlanInvalidTransition(f"An order that is {order.status.value} has nothing to publish yet.",
                                    field="orderId")
    images = {i.id: i for i in await OrderImage.filter(order_id=order.id)}
    if not images or any(i.result_key is None for i in images.values()):
        raise PlanInvalidTransition("Not every image of the order is edited yet.", field="orderId")
    locations = await OrderImageLocation.filter(order_id=order.id).order_by("order_image_id", "id")
    urls = dict(await Image.filter(id__in=[loc.image_id for loc in locations if loc.image_id]).values_list(
        "id", "source_url"))
    same_store = order.store_id == store.id
    by_sku: dict[str, Product] = {}
    if not same_store:  # the same product in another store: found by SKU
        skus = dict(await Product.filter(id__in={loc.product_id for loc in locations}).values_list("id", "sku"))
        wanted = {s for s in skus.values() if s}
        for product in await Product.filter(store_id=store.id, sku__in=list(wanted), removed_at__isnull=True):
            by_sku.setdefault(product.sku, product)
    restored: dict[int, str] = {}  # a rolled-back overwrite put the original back under a new id
    if same_store:
        for loc_id, image_id in await PublishItem.filter(
                location_id__in=[loc.id for loc in locations], plan__store_id=store.id, status=ItemStatus.ROLLED_BACK,
                action=PublishAction.OVERWRITE, restored_image_id__isnull=False).order_by("rolled_back_at", "id") \
                .values_list("location_id", "restored_image_id"):
            restored[loc_id] = image_id
    rows = []
    for loc in locations:
        target, action, note = None, PublishAction.OVERWRITE, ""
        if same_store:
            target_id, target_ext = loc.product_id, loc.product_external_id
        else:
            target = by_sku.get(skus.get(loc.product_id) or "")
            if target is None:
                action, note = PublishAction.SKIP, "No product with the same SKU in this store: pick one to copy to."
                target_id, target_ext = None, None
            else:
                action, note = PublishAction.APPEND, f"Product with the same SKU ({target.sku})."
                target_id, target_ext = target.id, target.external_id
        rows.append(PublishItem(
            order_image_id=loc.order_image_id, location_id=loc.id, action=action, note=note,
            source_product_external_id=loc.product_external_id,
            image_external_id=restored.get(loc.id, loc.image_external_id),
            variant_external_id=loc.variant_external_id, position=loc.position, is_thumbnail=loc.is_thumbnail,
            alt_text=loc.alt_text, source_url=urls.get(loc.image_id) or images[loc.order_image_id].source_url,
            target_product_id=target_id, target_product_external_id=target_ext))
    async with in_transaction():
        plan = await PublishPlan.create(account_id=order.account_id, order_id=order.id, store_id=store.id,
                                        marker=secrets.token_hex(4))
        for row in rows:
            row.plan_id = plan.id
        await PublishItem.bulk_create(rows, batch_size=1000)
    return plan


# ---- actions ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ItemChange:
    item_id: int
    action: PublishAction
    target_product_id: int | None = None


async def update_items(user, plan_id: int, changes: list[ItemChange]) -> PublishPlan:
    """Set actions (and copy targets) of many items at once: all or nothing."""
    plan = await get_for_user(user, plan_id)
    if plan.status not in EDITABLE:
        raise PlanInvalidTransition(f"A plan that is {plan.status.value} cannot change.", field="planId")
    if len(changes) > MAX_ITEMS_PER_UPDATE:
        raise DomainError(f"At most {MAX_ITEMS_PER_UPDATE} items per update.", field="items")
    order = await Order.get(id=plan.order_id)
    same_store = order.store_id == plan.store_id
    items = {i.id: i for i in await PublishItem.filter(plan_id=plan.id, id__in=[c.item_id for c in changes])}
    wanted_targets = {c.target_product_id for c in changes if c.target_product_id is not None}
    products = {p.id: p for p in await Product.filter(id__in=list(wanted_targets), store_id=plan.store_id,
                                                      removed_at__isnull=True)}
    location_products = dict(await OrderImageLocation.filter(
        id__in=[i.location_id for i in items.values() if i.location_id]).values_list("id", "product_id"))
    errors: list[DomainError] = []
    updates: list[PublishItem] = []

    def own_product(item: PublishItem) -> tuple[int | None, str]:
        return location_products.get(item.location_id, item.target_product_id), item.source_product_external_id

    for n, change in enumerate(changes):
        at = f"items.{n}"
        item = items.get(change.item_id)
        if item is None:
            errors.append(NotFound("No such item in this plan.", field=f"{at}.itemId"))
            continue
        if plan.status == PlanStatus.PARTIALLY_PUBLISHED and item.status != ItemStatus.FAILED:
            errors.append(PlanInvalidTransition("Only the failed items of a partly published plan can change.",
                                                field=f"{at}.itemId"))
            continue
        target = None
        if change.target_product_id is not None:
            target = products.get(change.target_product_id)
            if target is None:
                errors.append(NotFound("No such product in the plan's store.", field=f"{at}.targetProductId"))
                continue
        action = change.action
        if action == PublishAction.OVERWRITE:
            if not same_store:
                errors.append(DomainError("OVERWRITE needs the store the image came from; use APPEND or "
                                          "COPY_TO_PRODUCT.", field=f"{at}.action"))
                continue
            item.target_product_id, item.target_product_external_id = own_product(item)
        elif action == PublishAction.APPEND:
            if same_store:
                item.target_product_id, item.target_product_external_id = own_product(item)
            elif target is not None:
                item.target_product_id, item.target_product_external_id = target.id, target.external_id
            elif item.target_product_id is None:
                errors.append(DomainError("APPEND to another store needs a product of that store.",
                                          field=f"{at}.targetProductId", code=ErrorCode.REQUIRED))
                continue
        elif action == PublishAction.COPY_TO_PRODUCT:
            if target is None:
                errors.append(DomainError("COPY_TO_PRODUCT needs a product of the plan's store.",
                                          field=f"{at}.targetProductId", code=ErrorCode.REQUIRED))
                continue
            item.target_product_id, item.target_product_external_id = target.id, target.external_id
        item.action = action
        updates.append(item)
    if errors:
        raise ValidationFailed(errors)
    if updates:
        async with in_transaction():
            # locked: an execute that starts meanwhile waits, then sees the new actions
            current = await PublishPlan.filter(id=plan.id).select_for_update().values_list("status", flat=True)
            if not current or current[0] != plan.status:
                raise PlanInvalidTransition("The plan changed meanwhile; reload it.", field="planId")
            await PublishItem.bulk_update(updates, fields=["action", "target_product_id", "target_product_external_id"],
                                          batch_size=1000)
    return plan


# ---- run --------------------------------------------------------------------------------------

async def execute(user, plan_id: int) -> tuple[PublishPlan, Job]:
    """Start publishing the plan (or its failed items again). Asked twice at once, it
    starts one job and both callers get it."""
    plan = await get_for_user(user, plan_id)
    return await _start(plan, EXECUTABLE, PlanStatus.PUBLISHING, PUBLISH)


async def rollback(user, plan_id: int) -> tuple[PublishPlan, Job]:
    """Undo the plan: originals back in their slots, appended copies removed."""
    plan = await get_for_user(user, plan_id)
    return await _start(plan, ROLLBACKABLE, PlanStatus.ROLLING_BACK, ROLLBACK)


async def _start(plan: PublishPlan, allowed: frozenset, to: PlanStatus, kind: str) -> tuple[PublishPlan, Job]:
    if plan.status == to and plan.job_id is not None:  # already under way: the same job
        job = await Job.get_or_none(id=plan.job_id)
        if job is not None and not job.status.is_final:
            return plan, job
        allowed = frozenset({to})  # its job ended without finishing the plan (a bug, a cancel): run again
    if plan.status not in allowed:
        raise PlanInvalidTransition(f"A plan that is {plan.status.value} cannot do that.", field="planId")
    job = None
    async with in_transaction():
        moved = await PublishPlan.filter(id=plan.id, status=plan.status, job_id=plan.job_id).update(
            status=to, updated_at=utcnow())
        if moved:
            if kind == PUBLISH:
                await PublishItem.filter(plan_id=plan.id, status=ItemStatus.FAILED).update(
                    status=ItemStatus.PENDING, error="")
                await PublishPlan.filter(id=plan.id).update(executed_at=utcnow())
            if plan.status != to:  # a rollback, too, runs as a publish of the order
                await _order_publishing(plan.order_id)
            job = await jobs.create(kind, {"plan_id": plan.id}, account_id=plan.account_id)
            await PublishPlan.filter(id=plan.id).update(job_id=job.id)
    await plan.refresh_from_db()
    if job is None:  # another request moved it first
        running = await Job.get_or_none(id=plan.job_id) if plan.status == to and plan.job_id else None
        if running is not None:
            return plan, running
        raise PlanInvalidTransition("The plan changed meanwhile; reload it.", field="planId")
    await jobs.enqueue(job)
    await announce(plan)
    return plan, job


async def _order_publishing(order_id: int) -> None:
    order = await Order.get(id=order_id)
    if order.status != OrderStatus.PUBLISHING:
        await orders.transition(order, OrderStatus.PUBLISHING, field="planId")


async def announce(plan: PublishPlan) -> None:
    await runtime.current().bus.publish(channel(plan.id), {"id": plan.id, "status": plan.status.value})


# ---- reading ----------------------------------------------------------------------------------

async def counts(plan_id: int) -> dict[str, int]:
    return (await counts_of([plan_id]))[plan_id]


async def counts_of(plan_ids: list[int]) -> dict[int, dict[str, int]]:
    """Items per status, per plan (one query)."""
    from tortoise.functions import Count

    found = {p: {s.value: 0 for s in ItemStatus} for p in plan_ids}
    rows = await PublishItem.filter(plan_id__in=plan_ids).group_by("plan_id", "status").annotate(
        n=Count("id")).values_list("plan_id", "status", "n")
    for plan_id, status, n in rows:
        found[plan_id][getattr(status, "value", status)] = n
    return found


async def product_images(product_ids: list[int]) -> dict[int, list[Image]]:
    """Pixport's copy of the products' current images (for the dry-run preview)."""
    out: dict[int, list[Image]] = {pid: [] for pid in product_ids}
    for image in await Image.filter(product_id__in=product_ids, removed_at__isnull=True).order_by(
            "product_id", "variant_external_id", "position", "id"):
        out[image.product_id].append(image)
    return out
