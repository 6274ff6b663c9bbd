"""Store sync: Pixport's copy of the store's products and images.

A sync job pages through the connector's listing (keyset-ordered, resumable):
each page is upserted in bulk in one transaction and the cursor checkpointed
after it, so a worker killed mid-sync resumes from the last committed page. A
full sync marks what it did not see as removed; an incremental one only reads
products modified since the last sync (image changes do not touch a product's
modification time on every platform, so a scheduled full rescan keeps the copy
true). Webhooks re-read a single product.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from core import bulk, db
from core.accounts.models import Role, User
from core.catalog.models import AnalysisStatus, Image, Product
from core.connectors import ConnectorError, ConnectorErrorCode, ExternalProduct
from core.jobs import services as jobs
from core.jobs.errors import RetryLater
from core.jobs.models import FINAL_STATUSES, Job
from core.jobs.services import Progress
from core.notifications import services as mail
from core.stores import services as stores
from core.stores.errors import StoreUninstalled
from core.stores.models import Store, StoreStatus
from core.timeutil import utcnow

log = logging.getLogger(__name__)

SYNC = "catalog.sync"
REFRESH_PRODUCT = "catalog.refresh_product"
FULL_RESCAN_EVERY = timedelta(hours=24)
# Incremental syncs look back a little further than the last sync began, so a
# product changed while that sync ran is not missed (clocks and commit order).
OVERLAP = timedelta(minutes=5)


async def _running(job_id: int | None) -> Job | None:
    if job_id is None:
        return None
    job = await Job.get_or_none(id=job_id)
    return job if job is not None and job.status not in FINAL_STATUSES else None


async def start_sync(store: Store, *, full: bool | None = None) -> Job:
    """Queue a sync of ``store`` (full on the first sync or when asked), or return the
    one already queued or running."""
    if store.status != StoreStatus.INSTALLED:
        raise StoreUninstalled("The app is not installed in this store any more.", field="storeId")
    async with in_transaction():
        store = await Store.select_for_update().get(id=store.id)
        running = await _running(store.sync_job_id)
        if running is not None:
            return running
        full = full if full is not None else store.last_full_synced_at is None
        job = await jobs.create(SYNC, {"store_id": store.id, "full": full}, account_id=store.account_id)
        store.sync_job = job
        await store.save(update_fields=["sync_job_id"])
    await jobs.enqueue(job)
    return job


async def start_first_sync(store_id: int) -> Job:
    return await start_sync(await Store.get(id=store_id), full=True)


async def refresh_product(store_id: int, product_external_id: str) -> Job:
    """Re-read one product (a webhook said it changed)."""
    store = await Store.get(id=store_id)
    return await jobs.submit(
        REFRESH_PRODUCT, {"store_id": store_id, "product": product_external_id}, account_id=store.account_id
    )


async def schedule_full_rescans(now: datetime | None = None) -> int:
    """Queue a full rescan of every installed store not fully synced for a day."""
    now = now or utcnow()
    due = await Store.filter(status=StoreStatus.INSTALLED, last_full_synced_at__lt=now - FULL_RESCAN_EVERY)
    for store in due:
        await start_sync(store, full=True)
    return len(due)


def category_key(categories) -> str:
    return ("," + ",".join(categories) + ",")[:1000] if categories else ""


def _retry(error: ConnectorError) -> Exception:
    if error.retryable:
        return RetryLater(error.message, delay=error.retry_after or 5)
    return error


async def upsert_products(store: Store, products: list[ExternalProduct], seen_at: datetime) -> int:
    """Write a page of products and their images; returns the number of images.
    Images of these products that the page no longer lists are marked removed."""
    if not products:
        return 0
    product_rows = [
        {
            "store_id": store.id, "external_id": p.external_id, "name": p.name[:255], "sku": p.sku[:255],
            "brand": p.brand[:255], "categories": list(p.categories), "is_visible": p.is_visible,
            "modified_at": p.modified_at, "removed_at": None, "synced_at": seen_at,
        }
        for p in products
    ]
    async with in_transaction():
        await bulk.upsert(Product, product_rows, conflict=["store_id", "external_id"], update=[
            "name", "sku", "brand", "categories", "is_visible", "modified_at", "removed_at", "synced_at"])
        ids = dict(
            await Product.filter(store_id=store.id, external_id__in=[p.external_id for p in products]).values_list(
                "external_id", "id"
            )
        )
        images = [(p, image) for p in products for image in p.images]
        known = dict(
            await Image.filter(store_id=store.id, external_id__in=[i.external_id for _, i in images]).values_list(
                "external_id", "source_url"
            )
        ) if images else {}
        rows = [
            {
                "store_id": store.id, "product_id": ids[p.external_id], "external_id": i.external_id,
                "variant_external_id": i.variant_external_id, "position": i.position, "is_thumbnail": i.is_thumbnail,
                "alt_text": i.alt_text[:500], "file_name": i.file_name[:500], "source_url": i.url,
                "thumbnail_url": i.thumbnail_url, "modified_at": i.modified_at or p.modified_at or seen_at,
                "removed_at": None, "synced_at": seen_at, "product_name": p.name[:255], "sku": p.sku[:255],
                "brand": p.brand[:255], "category_ids": category_key(p.categories), "is_visible": p.is_visible,
                # Only for new rows; an update keeps what analysis found (reset below if replaced).
                "analysis_status": AnalysisStatus.PENDING, "width": 0, "height": 0, "file_bytes": 0, "edited": False,
                "unreadable_reason": "",
            }
            for p, i in images
        ]
        await bulk.upsert(Image, rows, conflict=["store_id", "external_id"], update=[
            "product_id", "variant_external_id", "position", "is_thumbnail", "alt_text", "file_name", "source_url",
            "thumbnail_url", "modified_at", "removed_at", "synced_at", "product_name", "sku", "brand",
            "category_ids", "is_visible"])
        # A new picture behind a known image id must be analysed again.
        replaced = [i.external_id for _, i in images if i.external_id in known and known[i.external_id] != i.url]
        if replaced:
            await Image.filter(store_id=store.id, external_id__in=replaced).update(
                analysis_status=AnalysisStatus.PENDING, analyzed_at=None
            )
        # By product only (not store): the planner then takes the (product_id, removed_at)
        # index even while a growing table's statistics are stale.
        await Image.filter(
            product_id__in=list(ids.values()), synced_at__lt=seen_at, removed_at__isnull=True
        ).update(removed_at=seen_at)
    return len(rows)


async def mark_removed(store: Store, product_external_ids: list[str], when: datetime) -> None:
    products = Product.filter(store_id=store.id, external_id__in=product_external_ids, removed_at__isnull=True)
    ids = await products.values_list("id", flat=True)
    async with in_transaction():
        await Product.filter(id__in=ids).update(removed_at=when)
        await Image.filter(product_id__in=ids, removed_at__isnull=True).update(removed_at=when)


async def run_sync(job: Job, progress: Progress) -> None:
    store = await Store.get(id=job.payload["store_id"])
    full = bool(job.payload.get("full"))
    checkpoint = job.checkpoint or {
        "cursor": None, "pages": 0, "products": 0, "images": 0, "started": utcnow().isoformat(),
    }
    started = datetime.fromisoformat(checkpoint["started"])
    since = None if full or store.last_synced_at is None else store.last_synced_at - OVERLAP
    connector = stores.connector_for(store)

    async def fetch(cursor):
        try:
            return await connector.list_products(cursor, modified_since=since)
        except ConnectorError as error:
            raise _retry(error) from error

    # The next page is fetched while this one is written: the store's quota, not the
    # database, sets the pace. A page fetched but not committed is fetched again on resume.
    upcoming = asyncio.create_task(fetch(checkpoint["cursor"]))
    try:
        while True:
            page = await upcoming
            if page.next_cursor is not None:
                upcoming = asyncio.create_task(fetch(page.next_cursor))
            images = await upsert_products(store, page.products, utcnow())
            checkpoint.update(
                cursor=page.next_cursor, pages=checkpoint["pages"] + 1,
                products=checkpoint["products"] + len(page.products), images=checkpoint["images"] + images,
            )
            await progress.update(
                done=checkpoint["products"], total=max(page.total or 0, checkpoint["products"]),
                message=f"{checkpoint['products']} products, {checkpoint['images']} images",
                checkpoint=checkpoint,
            )
            if page.next_cursor is None:
                break
            if checkpoint["pages"] & (checkpoint["pages"] - 1) == 0:  # pages 1, 2, 4, 8…: the tables doubled
                await db.refresh_statistics("product", "image")
            if await progress.cancelled():
                return
    finally:
        if not upcoming.done():
            upcoming.cancel()
            with contextlib.suppress(BaseException):
                await upcoming
        await connector.close()
    await _finish_sync(store, full, started, checkpoint)


async def _finish_sync(store: Store, full: bool, started: datetime, counts: dict) -> None:
    first = store.last_synced_at is None
    async with in_transaction():
        if full:  # whatever the listing no longer has is gone from the store
            await Product.filter(store_id=store.id, removed_at__isnull=True, synced_at__lt=started).update(removed_at=started)
            await Image.filter(store_id=store.id, removed_at__isnull=True, synced_at__lt=started).update(removed_at=started)
        store.image_count = await Image.filter(store_id=store.id, removed_at__isnull=True).count()
        store.last_synced_at = started
        update = ["image_count", "last_synced_at"]
        if full:
            store.last_full_synced_at = started
            update.append("last_full_synced_at")
        await store.save(update_fields=update)
    await _start_analysis(store.id)
    if first:
        await _mail_first_sync(store, counts)


async def _start_analysis(store_id: int) -> None:
    try:
        from core.catalog.analyze import start_analysis
    except ImportError:  # analysis arrives in its own module
        return
    await start_analysis(store_id)


async def _mail_first_sync(store: Store, counts: dict) -> None:
    if store.account_id is None:
        log.info("store %s synced before it was linked to an account; no one to tell", store.id)
        return
    owners = await User.filter(account_id=store.account_id, role=Role.OWNER)
    for owner in owners:
        await mail.send(
            owner.email, "sync_done", name=owner.name, store_name=store.name or store.domain or store.external_id,
            products=counts["products"], images=store.image_count, url=f"{mail.public_url()}/app/",
        )


async def run_refresh_product(job: Job, progress: Progress) -> None:
    store = await Store.get(id=job.payload["store_id"])
    if store.status != StoreStatus.INSTALLED:
        return
    external_id = job.payload["product"]
    connector = stores.connector_for(store)
    try:
        product = await connector.get_product(external_id)
    except ConnectorError as error:
        if error.code == ConnectorErrorCode.NOT_FOUND:
            product = None
        else:
            raise _retry(error) from error
    finally:
        await connector.close()
    now = utcnow()
    if product is None:
        await mark_removed(store, [external_id], now)
    else:
        await upsert_products(store, [product], now)
    store.image_count = await Image.filter(store_id=store.id, removed_at__isnull=True).count()
    await store.save(update_fields=["image_count"])
    await progress.update(done=1, total=1)
