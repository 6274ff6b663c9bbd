"""Publishing 2 000 edited images (half OVERWRITE, half APPEND) at a Standard-plan quota.

    .venv/bin/python bench/publish.py [--items 2000] [--quota 150] [--window-ms 3000] [--share 1.0]

The BigCommerce sandbox runs as its own process (quota scaled to ``--quota`` requests per
``--window-ms``); Pixport's publish job runs on a separate ``pixport worker`` process
(arq on Redis, PostgreSQL). The order is made the normal way from a synced catalog
(cart, specification, order) and its edited files put in the BlobStore, as production does.

Prints: the publish time against the quota lower bound (the writes it must make — a
POST per APPEND, a POST and a DELETE per OVERWRITE — plus one listing per product
with an OVERWRITE, divided by the allowed rate); the requests it actually used; the
429s the sandbox answered (the bench is the store's only client, so every one is
Pixport's); and duplicates: images carrying an item's idempotency key more than once.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import subprocess
import sys
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (fresh_database, pixport_command, scale_env, start_sandbox, stop_processes,  # noqa: E402
                          wait_http, wait_job)



def picture(n: int) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 64), ((n * 37) % 256, (n * 91) % 256, (n * 13) % 256)).save(out, "JPEG", quality=80)
    return out.getvalue()


async def prepare(args, remote: dict):
    """Pixport's side: account, store synced, cart -> order -> edited -> plan (mixed actions)."""
    import random

    from core import runtime
    from core.accounts import services as accounts
    from core.carts import services as carts
    from core.catalog import sync
    from core.catalog.models import AnalysisStatus, Image
    from core.orders import services as orders
    from core.orders.models import OrderImage
    from core.orders.states import OrderStatus
    from core.publishing import services as publishing
    from core.publishing.models import PublishItem
    from core.publishing.states import PublishAction
    from core.specs import services as specs
    from core.stores import services as stores
    from core.stores.models import Store
    from core.timeutil import utcnow

    user, _ = await accounts.create_account("bench@example.com", "a long passphrase 1", "Bench")
    store = await Store.create(account_id=user.account_id, platform="bigcommerce", external_id=remote["store_hash"],
                               name="Bench", access_token_sealed=stores.secret_box().seal(remote["access_token"]))
    connector = stores.connector_for(store)
    cursor = None
    while True:
        page = await connector.list_products(cursor)
        await sync.upsert_products(store, page.products, utcnow())
        if (cursor := page.next_cursor) is None:
            break
    await connector.close()
    rng = random.Random(1)
    rows = await Image.filter(store=store).order_by("id")
    for image in rows:
        image.analysis_status, image.sha256, image.phash = AnalysisStatus.DONE, f"{image.id:064x}", rng.getrandbits(63)
        image.colour_grid = bytes(rng.randrange(256) for _ in range(48)).hex()
        image.width = image.height = 200
    await Image.bulk_update(rows, fields=["analysis_status", "sha256", "phash", "colour_grid", "width", "height"],
                            batch_size=1000)
    chosen = [r.id for r in rows if r.variant_external_id is None][: args.items]
    for n in range(0, len(chosen), carts.MAX_IDS):
        await carts.add_images(user, store.id, chosen[n:n + carts.MAX_IDS])
    spec = await specs.create(user, "White", None)
    order = await orders.create(user, store.id, spec.id, "")
    order = await orders.approve(user, order.id)
    blobs = runtime.current().blobs
    images = await OrderImage.filter(order_id=order.id).order_by("id")
    for n, image in enumerate(images):
        image.result_key, image.result_format = await blobs.put(picture(n), "jpg"), "JPEG"
    await OrderImage.bulk_update(images, fields=["result_key", "result_format"], batch_size=1000)
    for to in (OrderStatus.IN_PRODUCTION, OrderStatus.READY_FOR_REVIEW):
        order = await orders.transition(order, to)
    plan = await publishing.create_plan(user, order.id, store.id)
    items = await PublishItem.filter(plan_id=plan.id).order_by("id")
    await publishing.update_items(user, plan.id, [publishing.ItemChange(i.id, PublishAction.APPEND)
                                                  for i in items[1::2]])
    return user, plan


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=2000)
    ap.add_argument("--quota", type=int, default=150)
    ap.add_argument("--window-ms", type=int, default=3000)
    ap.add_argument("--share", type=float, default=1.0, help="PIXPORT_BIGCOMMERCE_QUOTA_SHARE")
    args = ap.parse_args()

    sandbox, sandbox_url = start_sandbox()
    worker = None
    data_dir = Path(f"/tmp/pixport-bench-publish-{uuid.uuid4().hex[:8]}")
    try:
        await wait_http(sandbox_url + "/")
        async with httpx.AsyncClient(base_url=sandbox_url, timeout=120) as control:
            products = args.items // 2 + 50  # about 3 images each: enough pictures, 1-3 items per product
            remote = (await control.post("/_sandbox/stores", json={
                "products": products, "images_per_product": 3, "variant_share": 0, "duplicate_share": 0,
                "max_image_size": 200, "seed": 7, "quota": 100000, "window_ms": args.window_ms})).json()
            hash_ = remote["store_hash"]
            async with fresh_database() as db_url:
                env = scale_env(db_url, sandbox_url, args.share, PIXPORT_DATA_DIR=str(data_dir))
                pixport = pixport_command()

                from core.publishing import services as publishing
                from core.publishing.models import PublishItem
                from core.publishing.states import PublishAction
                from core.settings import Settings
                from workers import runtime

                rt = await runtime.start(Settings())
                user, plan = await prepare(args, remote)
                items = await PublishItem.filter(plan_id=plan.id).order_by("id")
                overwrite = [i for i in items if i.action == PublishAction.OVERWRITE]
                appends = len(items) - len(overwrite)
                listings = len({i.target_product_external_id for i in overwrite})
                needed = 2 * len(overwrite) + appends + listings
                images_before = (await control.get(f"/_sandbox/stores/{hash_}")).json()["images"]

                # the Standard plan's quota from here on; the counters start at zero
                await control.put(f"/_sandbox/stores/{hash_}/limits", json={"quota": args.quota,
                                                                            "window_ms": args.window_ms})
                start = (await control.get(f"/_sandbox/stores/{hash_}")).json()
                plan, job = await publishing.execute(user, plan.id)
                worker = subprocess.Popen([pixport, "worker"], env=env, stderr=subprocess.DEVNULL)
                job = await wait_job(job.id)
                end = (await control.get(f"/_sandbox/stores/{hash_}")).json()
                await plan.refresh_from_db()
                counts = await publishing.counts(plan.id)
                seconds = (job.finished_at - job.started_at).total_seconds()
                used = end["requests"] - start["requests"]
                throttled = end["throttled"] - start["throttled"]

                # every item's key on exactly one image of the store
                files: list[str] = []
                page = 1
                while True:
                    body = (await control.get(f"/_sandbox/stores/{hash_}/products",
                                              params={"page": page, "limit": 1000})).json()
                    files.extend(i["image_file"] for p in body["data"] for i in p["images"])
                    if len(body["data"]) < 1000:
                        break
                    page += 1
                marker = f"pxp{plan.marker}i"
                seen: dict[str, int] = {}
                for f in files:
                    stem = f.rsplit("/", 1)[-1]
                    if stem.startswith(marker):
                        key = stem.split("__", 1)[0]
                        seen[key] = seen.get(key, 0) + 1
                keys = {publishing.write_key(plan, i.id, "PUBLISH") for i in items}
                duplicates = sum(n - 1 for k, n in seen.items() if n > 1)
                missing = len(keys - set(seen))
                await runtime.stop(rt)
    finally:
        stop_processes(worker, sandbox)
        subprocess.run(["rm", "-rf", str(data_dir)])

    rate = args.quota / (args.window_ms / 1000)
    bound = needed / rate
    print(f"plan: {len(items)} items ({len(overwrite)} OVERWRITE, {appends} APPEND) over {listings} products with "
          f"an OVERWRITE; quota {args.quota} per {args.window_ms} ms ({rate:.0f} requests/s); share {args.share:.0%}")
    print(f"publish: {seconds:.1f} s, job {job.status.value}, plan {plan.status.value}, items {counts}")
    print(f"requests needed: {needed} ({2 * len(overwrite)} for OVERWRITE, {appends} for APPEND, {listings} listings); "
          f"used: {used}")
    print(f"quota lower bound (needed / allowed rate): {bound:.1f} s -> ratio {seconds / bound:.2f} (goal <= 1.15)")
    if args.share < 1:
        print(f"  against Pixport's share alone ({rate * args.share:.0f}/s): ratio {seconds / (bound / args.share):.2f}")
    print(f"429s answered by the sandbox: {throttled} (goal 0)")
    print(f"duplicates: {duplicates} (goal 0); items without their image: {missing}; "
          f"store images {images_before} -> {end['images']} (+{end['images'] - images_before}, appended {appends})")


if __name__ == "__main__":
    asyncio.run(main())
