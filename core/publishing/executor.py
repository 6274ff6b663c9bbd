"""The publish and rollback jobs.

Per item, every store write follows one recipe (brandur's recovery points):

1. what rollback needs is saved first (the original's bytes in the BlobStore and its slot);
2. an intent row (PublishWrite, with the write's idempotency key) is committed;
3. the connector writes, leaving the key on what it writes;
4. the intent row and the item are closed in one transaction.

A worker killed between 3 and 4 leaves an INTENDED row: the next run passes
``resume=True`` and the connector looks for the key before writing anything, so the
store ends with exactly one image. Items of one product run in order (positions shift
as images come and go); products run side by side within the store's rate limit.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict

from tortoise.transactions import in_transaction

from core import runtime
from core.connectors import Connector, ConnectorError, ConnectorErrorCode, ExternalImage, ImageUpload
from core.jobs.errors import RetryLater
from core.jobs.models import Job
from core.jobs.services import Progress
from core.orders import services as orders
from core.orders.models import Order, OrderImage
from core.orders.states import OrderStatus
from core.catalog.models import Image
from core.publishing import catalog, services
from core.publishing.models import PublishItem, PublishPlan, PublishWrite
from core.publishing.states import RUNNING, ItemStatus, PlanStatus, PublishAction, WriteKind, WriteStatus
from core.storage.blobs import BlobNotFound
from core.storage.filetypes import ext_for_format, sniff_ext
from core.stores import services as stores
from core.stores.errors import StoreUninstalled
from core.stores.models import Store
from core.timeutil import utcnow
from core.storage.signing import signed_link

log = logging.getLogger(__name__)

MAX_IMAGE_BYTES = 8 * 1024 * 1024
PRODUCTS_AT_ONCE = 8  # products worked on side by side (the connector caps requests in flight)
CANCEL_CHECK_EVERY = 10  # items between looks at the job's row


class ItemFailed(Exception):
    """This item cannot be written (the reason goes to the log); the others go on."""


def _reason(error: ConnectorError) -> str:
    if error.code == ConnectorErrorCode.NOT_FOUND:
        return "The product (or image) no longer exists in the store."
    if error.code == ConnectorErrorCode.UNAUTHORIZED:
        return "The store refused Pixport's access: open the app in the store again."
    if error.code in (ConnectorErrorCode.TRANSIENT, ConnectorErrorCode.RATE_LIMITED):
        return f"The store did not answer: {error.message}"[:500]
    return f"The store refused the image: {error.message}"[:500]


def _saved_slot(meta: dict, pid: str, external_id: str) -> ExternalImage:
    """The original's slot (position, thumbnail flag, alt text) as saved before the first write."""
    return ExternalImage(external_id=external_id, product_external_id=pid, url=meta.get("url", ""),
                         variant_external_id=meta.get("variant_external_id"), position=meta.get("position", 0),
                         is_thumbnail=meta.get("is_thumbnail", False), alt_text=meta.get("alt_text", ""))


class _Run:
    """One run of a publish or rollback job over the plan's items."""

    def __init__(self, plan: PublishPlan, connector: Connector, progress: Progress, *, last_try: bool):
        self.plan = plan
        self.connector = connector
        self.progress = progress
        self.last_try = last_try
        self.blobs = runtime.current().blobs
        self.listings: dict[str, list[ExternalImage] | ConnectorError] = {}
        self.passing: list[ConnectorError] = []
        self.done = 0
        self.stopped = False  # the job was cancelled: the rest waits for publishPlanExecute
        self.order_images: dict[int, OrderImage] = {}  # the edited files' rows, read per product

    async def listing(self, product_id: str) -> list[ExternalImage]:
        """The product's images as the store has them now (read once per product and run)."""
        found = self.listings.get(product_id)
        if found is None:
            try:
                found = await self.connector.list_product_images(product_id)
            except ConnectorError as exc:
                if exc.retryable:
                    raise
                found = exc
            self.listings[product_id] = found
        if isinstance(found, ConnectorError):
            raise found
        return found

    def relist(self, product_id: str, old_id: str | None, new: ExternalImage) -> None:
        """Keep the cached listing true after a write: ``new`` in ``old_id``'s slot."""
        cached = self.listings.get(product_id)
        if isinstance(cached, list):
            self.listings[product_id] = [new if i.external_id == old_id else i for i in cached] \
                if old_id is not None else [*cached, new]

    async def through(self, items: list[PublishItem], work) -> bool:
        """``work`` on every item, then the connector closed. True when the job was
        cancelled (the rest waits); ``RetryLater`` when items wait for the store."""
        try:
            await self.each_product(items, work)
        finally:
            await self.connector.close()
        if self.stopped:
            return True
        if self.passing:
            first = self.passing[0]
            raise RetryLater(f"{len(self.passing)} items wait for the store: {first.message}",
                             delay=first.retry_after or 5)
        return False

    async def each_product(self, items: list[PublishItem], work) -> None:
        groups: dict[str, list[PublishItem]] = defaultdict(list)
        for item in items:
            groups[item.target_product_external_id or f"none-{item.id}"].append(item)
        gate = asyncio.Semaphore(PRODUCTS_AT_ONCE)

        async def one_product(group: list[PublishItem]) -> None:
            async with gate:
                if work == self.publish:
                    await self.read_order_images(group)
                for item in await self.in_slot_order(group):
                    if self.stopped:
                        return
                    await self.guarded(item, work)

        await asyncio.gather(*(one_product(g) for g in groups.values()))

    async def read_order_images(self, group: list[PublishItem]) -> None:
        """The group's edited files in one query (not one per item)."""
        wanted = {i.order_image_id for i in group if i.action != PublishAction.SKIP} - self.order_images.keys()
        if wanted:
            self.order_images.update({r.id: r for r in await OrderImage.filter(id__in=wanted)})

    async def in_slot_order(self, group: list[PublishItem]) -> list[PublishItem]:
        """Last slot first: putting an image into a slot moves the images after it
        (BigCommerce renumbers), so the slots still to be written stay where they were read."""
        positions: dict[str, int] = {}
        pid = group[0].target_product_external_id
        if pid and any(i.action == PublishAction.OVERWRITE for i in group):
            try:
                positions = {i.external_id: i.position for i in await self.listing(pid)}
            except ConnectorError:
                pass  # each item meets the error itself

        def slot_of(item: PublishItem) -> int:
            if self.plan.status == PlanStatus.ROLLING_BACK and item.after_image_id in positions:
                return positions[item.after_image_id]
            return positions.get(item.image_external_id, (item.original_meta or {}).get("position", item.position))
        return sorted(group, key=lambda i: (-slot_of(i), i.id))

    async def guarded(self, item: PublishItem, work) -> None:
        try:
            await work(item)
        except ItemFailed as exc:
            await self.fail(item, str(exc))
        except ConnectorError as exc:
            if exc.retryable and not self.last_try:
                self.passing.append(exc)  # stays as it is: the next try resumes it
                return
            await self.fail(item, _reason(exc))
        self.done += 1
        await self.progress.update(done=self.done, message=f"{self.done} of {self.progress.job.total} items")
        if self.done % CANCEL_CHECK_EVERY == 0 and await self.progress.cancelled():
            self.stopped = True

    async def fail(self, item: PublishItem, reason: str) -> None:
        """Publishing: the item FAILED with its reason. Rolling back: it stays DONE (still
        in the store, so the rollback is incomplete) with the reason."""
        item.error = reason[:500]
        item.attempts += 1
        if self.plan.status == PlanStatus.PUBLISHING:
            item.status, item.finished_at = ItemStatus.FAILED, utcnow()
        await item.save(update_fields=["status", "error", "attempts", "finished_at"])

    # ---- intent rows ------------------------------------------------------------------------

    async def intend(self, item: PublishItem, kind: WriteKind) -> tuple[PublishWrite, bool]:
        """The committed intent row of this write, and whether an earlier try may have
        made the write already (then it is reconciled before anything is sent)."""
        key = services.write_key(self.plan, item.id, kind.value)
        write = await PublishWrite.get_or_none(item_id=item.id, kind=kind)
        if write is None:
            write = await PublishWrite.create(item_id=item.id, kind=kind, key=key)
            return write, False
        resume = write.status == WriteStatus.INTENDED
        write.status, write.attempts, write.error = WriteStatus.INTENDED, write.attempts + 1, ""
        await write.save(update_fields=["status", "attempts", "error"])
        return write, resume

    async def refused(self, write: PublishWrite, error: ConnectorError, resume: bool) -> None:
        """The store answered no: nothing was written by this try. (After an earlier try
        that may have written, the row stays INTENDED: the next try looks again.)"""
        if not error.retryable and not resume:
            write.status, write.error, write.finished_at = WriteStatus.FAILED, error.message[:500], utcnow()
            await write.save(update_fields=["status", "error", "finished_at"])

    async def keyed_write(self, item: PublishItem, kind: WriteKind, call):
        write, resume = await self.intend(item, kind)
        try:
            result = await call(write.key, resume)
        except ConnectorError as exc:
            await self.refused(write, exc, resume)
            raise
        return write, result

    # ---- publish ----------------------------------------------------------------------------

    async def publish(self, item: PublishItem) -> None:
        if item.action == PublishAction.SKIP:
            item.status, item.finished_at = ItemStatus.SKIPPED, utcnow()
            await item.save(update_fields=["status", "finished_at"])
            return
        pid = item.target_product_external_id
        if not pid:
            raise ItemFailed("No product to write to: pick one (COPY_TO_PRODUCT).")
        order_image = self.order_images.get(item.order_image_id) or await OrderImage.get(id=item.order_image_id)
        try:
            edited = await self.blobs.get(order_image.result_key or "")
        except BlobNotFound:
            raise ItemFailed("The edited file is missing.") from None
        ext = ext_for_format(order_image.result_format) or sniff_ext(edited, "jpg")
        link = signed_link(order_image.result_key)  # for platforms that take big files by URL only

        if item.action == PublishAction.OVERWRITE:
            current = await self.slot(item, pid)
            write, result = await self.keyed_write(item, WriteKind.PUBLISH, lambda key, resume: self.connector.replace_image(
                pid, current, ImageUpload(edited, ext, key, link), resume=resume))
            self.relist(pid, current.external_id, result)
        else:
            write, result = await self.keyed_write(item, WriteKind.PUBLISH, lambda key, resume: self.connector.add_image(
                pid, ImageUpload(edited, ext, key, link), alt_text=item.alt_text, resume=resume))
            self.relist(pid, None, result)
        async with in_transaction():
            await PublishWrite.filter(id=write.id).update(status=WriteStatus.APPLIED, result_image_id=result.external_id,
                                                          finished_at=utcnow())
            item.status, item.after_image_id, item.error = ItemStatus.DONE, result.external_id, ""
            item.attempts += 1
            item.finished_at = utcnow()
            await item.save(update_fields=["status", "after_image_id", "error", "attempts", "finished_at"])
            await catalog.reflect(self.plan.store_id, item.target_product_id, item.before_image_id
                                  if item.action == PublishAction.OVERWRITE else None, result, edited=True)

    async def slot(self, item: PublishItem, pid: str) -> ExternalImage:
        """The original, as the store has it now; its bytes and slot saved for rollback
        before anything is written."""
        images = await self.listing(pid)
        if item.variant_external_id:
            current = next((i for i in images if i.variant_external_id == item.variant_external_id), None)
        else:
            current = next((i for i in images if i.external_id == item.image_external_id
                            and not i.variant_external_id), None)
        if current is None and item.original_meta:  # a try before ours already replaced it
            return _saved_slot(item.original_meta, pid, item.original_meta["external_id"])
        if current is None:
            raise ItemFailed("The original image is no longer on the product.")
        if item.original_key is None:
            data = await self.original_bytes(current)
            item.original_key = await self.blobs.put(data, sniff_ext(data, "jpg"))
            item.original_meta = {"external_id": current.external_id, "url": current.url,
                                  "variant_external_id": current.variant_external_id, "position": current.position,
                                  "is_thumbnail": current.is_thumbnail, "alt_text": current.alt_text}
            item.before_image_id = current.external_id
            await item.save(update_fields=["original_key", "original_meta", "before_image_id"])
        return current

    async def original_bytes(self, image: ExternalImage) -> bytes:
        """The file as uploaded when the platform serves it, else its largest rendition."""
        if image.original_url:
            try:
                return await self.connector.fetch_image(image.original_url, max_bytes=MAX_IMAGE_BYTES)
            except ConnectorError as exc:
                if exc.retryable:
                    raise
        return await self.connector.fetch_image(image.url, max_bytes=MAX_IMAGE_BYTES)

    # ---- rollback ---------------------------------------------------------------------------

    async def undo(self, item: PublishItem) -> None:
        pid = item.target_product_external_id
        restored = None
        try:
            if item.action == PublishAction.OVERWRITE:
                restored = await self.restore(item, pid)
            else:
                write, _ = await self.keyed_write(item, WriteKind.ROLLBACK, lambda key, resume: self.connector.remove_image(
                    pid, item.after_image_id))
                async with in_transaction():
                    await PublishWrite.filter(id=write.id).update(status=WriteStatus.APPLIED, finished_at=utcnow())
                    await Image.filter(store_id=self.plan.store_id, external_id=item.after_image_id,
                                       removed_at__isnull=True).update(removed_at=utcnow())
        except ConnectorError as exc:
            if exc.code != ConnectorErrorCode.NOT_FOUND:
                raise
            # The merchant deleted the product: nothing of ours is left to undo.
            item.error = "The product no longer exists in the store; nothing to undo."
        item.status, item.restored_image_id, item.rolled_back_at = ItemStatus.ROLLED_BACK, restored, utcnow()
        await item.save(update_fields=["status", "restored_image_id", "rolled_back_at", "error"])

    async def restore(self, item: PublishItem, pid: str) -> str:
        """The original back in the slot the edited image holds (or held)."""
        try:
            original = await self.blobs.get(item.original_key or "")
        except BlobNotFound:
            raise ItemFailed("The original's file is missing; it cannot be put back.") from None
        m = item.original_meta or {}
        images = await self.listing(pid)
        slot = next((i for i in images if i.external_id == item.after_image_id
                     and (i.variant_external_id or None) == (m.get("variant_external_id") or None)), None)
        if slot is None:  # the edited image is gone (the merchant, or a try before ours): its old slot
            slot = _saved_slot(m, pid, item.after_image_id or "")
        link = signed_link(item.original_key)
        write, result = await self.keyed_write(item, WriteKind.ROLLBACK, lambda key, resume: self.connector.replace_image(
            pid, slot, ImageUpload(original, sniff_ext(original, "jpg"), key, link), resume=resume))
        self.relist(pid, slot.external_id, result)
        async with in_transaction():
            await PublishWrite.filter(id=write.id).update(status=WriteStatus.APPLIED,
                                                          result_image_id=result.external_id, finished_at=utcnow())
            await catalog.reflect(self.plan.store_id, item.target_product_id, slot.external_id, result, edited=False)
        return result.external_id


# ---- the jobs -----------------------------------------------------------------------------------

async def _connector(plan: PublishPlan) -> Connector | None:
    store = await Store.get(id=plan.store_id)
    try:
        return stores.connector_for(store)
    except StoreUninstalled:
        return None


async def run_publish(job: Job, progress: Progress) -> None:
    plan = await PublishPlan.get_or_none(id=job.payload["plan_id"])
    if plan is None or plan.job_id != job.id:
        return  # superseded
    if plan.status != PlanStatus.PUBLISHING:  # finished by an earlier delivery (killed before the order moved?)
        await _settle_order(plan.order_id)
        return
    items = await PublishItem.filter(plan_id=plan.id).order_by("id")
    pending = [i for i in items if i.status == ItemStatus.PENDING]
    settings = runtime.current().settings
    await progress.update(done=len(items) - len(pending), total=len(items), message="Publishing", force=True)
    connector = await _connector(plan)
    if connector is None:
        run = _Run(plan, None, progress, last_try=True)  # type: ignore[arg-type]
        for item in pending:
            await run.fail(item, "The app is not installed in this store any more.")
    else:
        run = _Run(plan, connector, progress, last_try=job.attempts >= settings.job_max_attempts)
        run.done = len(items) - len(pending)
        if await run.through(pending, run.publish):
            return
    await _finish_publish(plan)
    await progress.update(done=len(items), total=len(items), message="Published", force=True)


async def _finish_publish(plan: PublishPlan) -> None:
    counts = await services.counts(plan.id)
    status = PlanStatus.PARTIALLY_PUBLISHED if counts[ItemStatus.FAILED.value] else PlanStatus.PUBLISHED
    await PublishPlan.filter(id=plan.id, status=PlanStatus.PUBLISHING).update(status=status, finished_at=utcnow())
    await plan.refresh_from_db()
    await services.announce(plan)
    await _settle_order(plan.order_id)


async def _settle_order(order_id: int, *, rolled_back: bool = False) -> None:
    """The order leaves PUBLISHING once none of its plans runs: after a rollback that
    left none of its images in the store, READY_FOR_REVIEW (it may be published again);
    PARTIALLY_PUBLISHED when a plan failed items or could not undo them all; PUBLISHED
    otherwise."""
    statuses = set(await PublishPlan.filter(order_id=order_id).values_list("status", flat=True))
    if statuses & RUNNING:
        return  # the last plan to finish settles it
    order = await Order.get(id=order_id)
    if order.status != OrderStatus.PUBLISHING:
        return
    if rolled_back and not await PublishItem.filter(plan__order_id=order_id, status=ItemStatus.DONE).exists():
        to = OrderStatus.READY_FOR_REVIEW
    elif statuses & {PlanStatus.PARTIALLY_PUBLISHED, PlanStatus.ROLLBACK_INCOMPLETE}:
        to = OrderStatus.PARTIALLY_PUBLISHED
    else:
        to = OrderStatus.PUBLISHED
    await orders.transition(order, to, field="planId")


async def run_rollback(job: Job, progress: Progress) -> None:
    plan = await PublishPlan.get_or_none(id=job.payload["plan_id"])
    if plan is None or plan.job_id != job.id:
        return  # superseded
    if plan.status != PlanStatus.ROLLING_BACK:  # finished by an earlier delivery (killed before the order moved?)
        await _settle_order(plan.order_id, rolled_back=True)
        return
    items = await PublishItem.filter(plan_id=plan.id, status__in=[ItemStatus.DONE, ItemStatus.ROLLED_BACK]) \
        .order_by("-id")
    todo = [i for i in items if i.status == ItemStatus.DONE]
    await progress.update(done=len(items) - len(todo), total=len(items), message="Rolling back", force=True)
    connector = await _connector(plan)
    if connector is not None:
        settings = runtime.current().settings
        run = _Run(plan, connector, progress, last_try=job.attempts >= settings.job_max_attempts)
        run.done = len(items) - len(todo)
        if await run.through(todo, run.undo):
            return
    left = await PublishItem.filter(plan_id=plan.id, status=ItemStatus.DONE).count()
    status = PlanStatus.ROLLBACK_INCOMPLETE if left else PlanStatus.ROLLED_BACK
    await PublishPlan.filter(id=plan.id, status=PlanStatus.ROLLING_BACK).update(
        status=status, rolled_back_at=utcnow() if not left else None)
    await plan.refresh_from_db()
    await services.announce(plan)
    await _settle_order(plan.order_id, rolled_back=True)
    await progress.update(done=len(items), total=len(items), force=True,
                          message="Rolled back" if not left else f"{left} items could not be undone")
