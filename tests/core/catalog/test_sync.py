"""Store sync against the BigCommerce sandbox: everything arrives, nothing twice,
a killed sync resumes from its last page, an unchanged store costs a request or
two, and what the merchant removed is marked removed."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

import pytest
from strawberry import relay

from core.accounts.models import User
from core.catalog import sync
from core.catalog.models import Image, Product
from core.jobs import services as jobs
from core.jobs.models import Job, JobStatus
from core.stores.models import Store
from core.timeutil import utcnow
from tests.support.factories import make_store
from tests.support.servers import wait_until
from workers import execute

pytestmark = pytest.mark.embedded  # bulk upserts and checkpoints differ between SQLite and PostgreSQL


async def _linked_store(gql, bc_sandbox, **options) -> tuple[Store, dict, dict]:
    owner = await gql.sign_up("ann@example.com")
    user = await User.get(email="ann@example.com")
    remote = await bc_sandbox.create_store(max_image_size=300, **options)  # the analysis it queues stays cheap
    store = await make_store(user.account_id, external_id=remote["store_hash"])
    from core.stores.services import secret_box

    store.access_token_sealed = secret_box().seal(remote["access_token"])
    await store.save()
    gql.token = owner["token"]
    return store, remote, owner


async def _remote_catalog(bc_sandbox, remote) -> dict[str, dict]:
    """Every product of the sandbox store with its images, from its state API."""
    products, page = {}, 1
    while True:
        r = await bc_sandbox.call("GET", f"{remote['store_hash']}/products", params={"page": page, "limit": 250})
        data = r.json()
        rows = data["data"] if isinstance(data, dict) else data
        for p in rows:
            products[str(p["id"])] = p
        if len(rows) < 250:
            return products
        page += 1


async def _run(job: Job) -> Job:
    await execute.run_job(job.id)
    return await Job.get(id=job.id)


async def test_a_full_sync_copies_every_product_and_image_once(gql, bc_sandbox, mailbox):
    store, remote, _ = await _linked_store(gql, bc_sandbox, products=40, images_per_product=3, variant_share=0.3)
    job = await jobs.create(sync.SYNC, {"store_id": store.id, "full": True}, account_id=store.account_id)
    job = await _run(job)
    assert job.status == JobStatus.SUCCEEDED, job.message
    assert job.done == job.total == 40

    expected = await _remote_catalog(bc_sandbox, remote)
    assert await Product.filter(store=store).count() == 40
    product_images = {str(i["id"]): (pid, i) for pid, p in expected.items() for i in p.get("images", [])}
    ours = {i.external_id: i for i in await Image.filter(store=store, variant_external_id__isnull=True)}
    assert set(ours) == set(product_images)
    for external_id, (pid, remote_image) in product_images.items():
        image = ours[external_id]
        assert (image.position, image.is_thumbnail) == (remote_image["sort_order"], remote_image["is_thumbnail"])
        assert (await image.product).external_id == pid
    variants = await Image.filter(store=store, variant_external_id__isnull=False).count()
    await store.refresh_from_db()
    assert store.image_count == len(product_images) + variants and store.last_synced_at is not None

    [mail] = await wait_until(lambda: mailbox.to("ann@example.com") and [
        m for m in mailbox.to("ann@example.com") if "ready in Pixport" in m["Subject"]])
    assert f"{len(expected)} products with {store.image_count} images" in mail.get_body(("plain",)).get_content()


async def test_a_killed_sync_resumes_from_its_last_page(gql, bc_sandbox):
    store, remote, _ = await _linked_store(gql, bc_sandbox, products=600, images_per_product=1, variant_share=0)
    job = await jobs.create(sync.SYNC, {"store_id": store.id, "full": True}, account_id=store.account_id)
    before = (await bc_sandbox.state(remote["store_hash"]))["requests"]
    # Pages slow enough that the worker is surely cut off between its first page and its last.
    assert (await bc_sandbox.call("PUT", f"{remote['store_hash']}/faults", json={"latency_ms": 300})).status_code == 200

    runner = asyncio.create_task(execute.run_job(job.id))
    await wait_until(lambda: Job.filter(id=job.id, done__gte=250).exists(), timeout=30)
    runner.cancel()  # the worker dies: no cleanup of the job row runs
    with contextlib.suppress(asyncio.CancelledError):
        await runner
    cut = await Job.get(id=job.id)
    assert cut.status == JobStatus.RUNNING and cut.checkpoint["pages"] >= 1
    pages_done = cut.checkpoint["pages"]

    await Job.filter(id=job.id).update(lease_until=utcnow() - timedelta(seconds=1))  # its lease runs out
    await bc_sandbox.call("PUT", f"{remote['store_hash']}/faults", json={"latency_ms": 0})
    job = await _run(cut)
    assert job.status == JobStatus.SUCCEEDED and job.attempts == 2
    assert await Product.filter(store=store).count() == 600
    assert await Image.filter(store=store).count() == (await bc_sandbox.state(remote["store_hash"]))["images"]
    used = (await bc_sandbox.state(remote["store_hash"]))["requests"] - before
    # 3 pages in all; the resumed run starts after the last committed page. What the dead
    # worker had fetched beyond it (the page being written, the one prefetched) is read again.
    assert 3 <= used <= 3 + 2 and job.checkpoint["pages"] == 3 and pages_done < 3


async def test_an_unchanged_store_resyncs_with_at_most_three_requests(gql, bc_sandbox):
    store, remote, _ = await _linked_store(gql, bc_sandbox, products=30)
    assert (await _run(await sync.start_sync(store))).status == JobStatus.SUCCEEDED
    before = (await bc_sandbox.state(remote["store_hash"]))["requests"]
    await store.refresh_from_db()
    second = await _run(await sync.start_sync(store))  # incremental: nothing changed since
    assert second.status == JobStatus.SUCCEEDED and second.payload["full"] is False
    assert (await bc_sandbox.state(remote["store_hash"]))["requests"] - before <= 3
    assert await Product.filter(store=store, removed_at__isnull=True).count() == 30


async def test_a_full_rescan_marks_what_the_merchant_removed(gql, bc_sandbox):
    store, remote, _ = await _linked_store(gql, bc_sandbox, products=10, images_per_product=2, variant_share=0)
    await _run(await sync.start_sync(store))
    gone_product = (await Product.filter(store=store).order_by("id").first()).external_id
    image = await Image.filter(store=store).exclude(product__external_id=gone_product).order_by("id").first()
    gone_image_product = (await image.product).external_id
    await bc_sandbox.call("DELETE", f"{remote['store_hash']}/products/{gone_product}")
    await bc_sandbox.call("DELETE", f"{remote['store_hash']}/products/{gone_image_product}/images/{image.external_id}")

    await store.refresh_from_db()
    job = await _run(await sync.start_sync(store, full=True))
    assert job.status == JobStatus.SUCCEEDED
    assert (await Product.get(store=store, external_id=gone_product)).removed_at is not None
    assert (await Image.get(id=image.id)).removed_at is not None
    assert await Image.filter(product__external_id=gone_product, removed_at__isnull=True).count() == 0
    await store.refresh_from_db()
    assert store.image_count == await Image.filter(store=store, removed_at__isnull=True).count() == 20 - 2 - 1


async def test_a_webhook_refresh_rereads_one_product(gql, bc_sandbox):
    store, remote, _ = await _linked_store(gql, bc_sandbox, products=5, variant_share=0)
    await _run(await sync.start_sync(store))
    product = await Product.filter(store=store).order_by("id").first()
    await bc_sandbox.call("PUT", f"{remote['store_hash']}/products/{product.external_id}", json={"name": "Renamed lamp"})
    job = await sync.refresh_product(store.id, product.external_id)
    await wait_until(lambda: Job.filter(id=job.id, status=JobStatus.SUCCEEDED).exists())
    assert (await Product.get(id=product.id)).name == "Renamed lamp"
    assert {i.product_name for i in await Image.filter(product=product)} == {"Renamed lamp"}

    await bc_sandbox.call("DELETE", f"{remote['store_hash']}/products/{product.external_id}")
    job = await sync.refresh_product(store.id, product.external_id)
    await wait_until(lambda: Job.filter(id=job.id, status=JobStatus.SUCCEEDED).exists())
    assert (await Product.get(id=product.id)).removed_at is not None


async def test_store_sync_start_streams_and_returns_the_running_sync(gql, bc_sandbox):
    store, _, owner = await _linked_store(gql, bc_sandbox, products=20)
    gid = str(relay.GlobalID("Store", str(store.id)))
    start = """mutation($s: ID!) { storeSyncStart(storeId: $s) { job { id status } errors { code field message } } }"""
    first = (await gql(start, {"s": gid}))["storeSyncStart"]
    again = (await gql(start, {"s": gid}))["storeSyncStart"]
    assert first["errors"] == [] and again["errors"] == []
    if again["job"]["id"] != first["job"]["id"]:  # the first had already finished: never two at once
        ids = [int(relay.GlobalID.from_id(j["job"]["id"]).node_id) for j in (first, again)]
        done, second = await Job.get(id=ids[0]), await Job.get(id=ids[1])
        assert done.finished_at is not None and done.finished_at <= second.created_at

    seen = [p["data"]["jobProgress"] async for p in gql.subscribe(
        "subscription($j: ID!) { jobProgress(jobId: $j) { status done total } }", {"j": first["job"]["id"]})]
    assert seen[-1] == {"status": "SUCCEEDED", "done": 20, "total": 20}
    data = (await gql("{ stores { imageCount lastSyncedAt syncJob { status } } }"))["stores"]
    assert data[0]["imageCount"] > 0 and data[0]["syncJob"]["status"] == "SUCCEEDED"

    bob = await gql.sign_up("bob@example.com")
    denied = (await gql(start, {"s": gid}, token=bob["token"]))["storeSyncStart"]
    assert denied["job"] is None and denied["errors"][0]["code"] == "NOT_FOUND"
    assert owner["token"]
