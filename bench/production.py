"""A paid order of 500 sandbox product photos, through production on the embedded
defaults (SQLite, in-process jobs, local blob folder): paid -> READY_FOR_REVIEW.

    .venv/bin/python bench/production.py [--images 500] [--size 1280]

The BigCommerce sandbox runs as its own process (it renders the photos); Pixport runs
in this process exactly as ``pixport serve`` would: the embedded job runner, the
process pool for the engine. The order is made with the merchant's services (cart,
specification, orderCreate, approve) and paid by the same move a confirmed payment
makes. Prints the time from paid to READY_FOR_REVIEW, images per second, and where
the time went (download/intake, editing). Images the engine leaves to a person (none
expected with this specification) are submitted by a bench "retoucher" and counted.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import start_sandbox, stop_processes, wait_http  # noqa: E402

SPECS = {
    "keep": ("keep background, fit 1200x1200, JPEG q85",
             {"background": {"kind": "KEEP"}, "size": {"mode": "MAX", "width": 1200, "height": 1200},
              "formats": ["JPEG"], "quality": 85}),
    # The studio recipe: background removal on every photo (textured ones go to the retoucher).
    "studio": ("white background, trimmed, 10 % margins, 1200x1200 canvas, JPEG q85",
               {"background": {"kind": "WHITE"}, "crop": {"kind": "TRIM"},
                "margins": {"unit": "PERCENT", "top": 10, "right": 10, "bottom": 10, "left": 10},
                "size": {"mode": "CANVAS", "width": 1200, "height": 1200}, "formats": ["JPEG"], "quality": 85}),
}


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=500)
    ap.add_argument("--size", type=int, default=1280, help="the sandbox's largest rendition (px)")
    ap.add_argument("--spec", choices=sorted(SPECS), default="keep")
    args = ap.parse_args()

    sandbox, sandbox_url = start_sandbox()
    data_dir = Path(tempfile.mkdtemp(prefix="pixport-bench-production-"))
    try:
        await wait_http(sandbox_url + "/")
        async with httpx.AsyncClient(base_url=sandbox_url, timeout=120) as control:
            remote = (await control.post("/_sandbox/stores", json={
                "products": args.images, "images_per_product": 1, "seed": 5, "duplicate_share": 0.0,
                "max_image_size": args.size})).json()
            listed, page = [], 1
            while True:
                rows = (await control.get(f"/_sandbox/stores/{remote['store_hash']}/products",
                                          params={"limit": 250, "page": page})).json()["data"]
                listed += rows
                if len(rows) < 250:
                    break
                page += 1
        for key in [k for k in os.environ if k.startswith("PIXPORT_")]:
            del os.environ[key]  # the embedded defaults, whatever this shell has
        os.environ.update({"PIXPORT_BIGCOMMERCE_API_URL": sandbox_url, "PIXPORT_BIGCOMMERCE_LOGIN_URL": sandbox_url})
        figures = await run(listed, args.images, remote, data_dir, SPECS[args.spec][1])
    finally:
        stop_processes(sandbox)
    n, seconds, intake_s, by_person, statuses = figures
    print(f"order: {n} images ({args.size} px sandbox photos), specification: {SPECS[args.spec][0]}; "
          f"embedded defaults (SQLite, in-process jobs, local blobs), {os.cpu_count()} CPUs")
    print(f"paid -> READY_FOR_REVIEW: {seconds:.1f} s, {n / seconds:.1f} images/s; status {statuses}")
    print(f"  intake (download + store every original, queue the edits): {intake_s:.1f} s")
    print(f"  left to a person by the engine: {by_person} (submitted by the bench's retoucher)")


async def run(listed: list[dict], wanted: int, remote: dict, data_dir: Path, spec_options: dict):
    from core import db
    from core.accounts import services as accounts
    from core.carts import services as carts
    from core.catalog.models import Image, Product
    from core.jobs.models import Job
    from core.orders import services as orders
    from core.orders.models import Order, OrderImage
    from core.orders.states import OrderStatus
    from core.production import services as production
    from core.production.states import ProductionStatus as PS
    from core.settings import Settings
    from core.specs import services as specs
    from core.stores.models import Store
    from core.stores.services import secret_box
    from core.timeutil import utcnow
    from workers import runtime

    settings = Settings(data_dir=data_dir, image_hosts=["127.0.0.1"], log_level="WARNING")
    await db.migrate(settings.db_url)
    await db.close_db()
    rt = await runtime.start(settings)
    try:
        user, _ = await accounts.create_account("owner@shop.example", "correct horse battery staple 42", "Bench")
        store = await Store.create(account_id=user.account_id, platform="bigcommerce", external_id=remote["store_hash"],
                                   name="Bench", access_token_sealed=secret_box().seal(remote["access_token"]))
        now = utcnow()
        images = []
        for p in listed:
            if len(images) >= wanted:
                break
            product = await Product.create(store=store, external_id=str(p["id"]), name=p["name"], synced_at=now,
                                           modified_at=now)
            for picture in p["images"][:wanted - len(images)]:
                images.append(Image(store=store, product=product, external_id=str(picture["id"]),
                                    source_url=picture["url_zoom"], modified_at=now, synced_at=now,
                                    product_name=p["name"], file_name=f"{picture['id']}.jpg"))
        await Image.bulk_create(images)
        ids = await Image.filter(store=store).order_by("id").values_list("id", flat=True)
        for start in range(0, len(ids), 100):
            await carts.add_images(user, store.id, list(ids[start:start + 100]))
        spec = await specs.create(user, "Bench", spec_options)
        order = await orders.create(user, store.id, spec.id, "")
        await orders.approve(user, order.id)
        order = await Order.get(id=order.id)

        started = time.perf_counter()
        await orders.transition(order, OrderStatus.IN_PRODUCTION)  # what a confirmed payment does
        await order.refresh_from_db()
        intake_s, by_person = None, 0
        while True:
            await asyncio.sleep(0.2)
            row = await Order.get(id=order.id)
            if row.status == OrderStatus.READY_FOR_REVIEW:
                break
            if intake_s is None:
                job = await Job.get(id=row.intake_job_id)
                if job.status.is_final:
                    intake_s = (job.finished_at - job.started_at).total_seconds()
            busy = await OrderImage.filter(order_id=order.id,
                                           production_status__in=[PS.QUEUED, PS.EDITING]).exists()
            if not busy:
                by_person += await _retouch(order.id, production, OrderImage, PS, rt,
                                          spec_options["background"]["kind"] == "WHITE", remote["store_hash"])
        seconds = time.perf_counter() - started
        counts = await production.production_counts([order.id])
        statuses = {s.value: c for s, c in counts[order.id].items()}
        await asyncio.sleep(0.5)  # the ready e-mail job
        return order.image_count, seconds, intake_s or 0.0, by_person, statuses
    finally:
        await runtime.stop(rt)


async def _retouch(order_id, production, OrderImage, PS, rt, studio: bool, store_hash: str) -> int:
    """The bench's retoucher: the original fitted as the spec asks (for the studio spec, cut out
    with the sandbox's true mask) and re-encoded."""
    from core.catalog.models import Image
    from PIL import Image as PILImage

    from core.accounts.models import Role, User

    staff = await User.get_or_none(email="rita@studio.example")
    if staff is None:
        from core.accounts import services as accounts

        staff, _ = await accounts.create_account("rita@studio.example", "correct horse battery staple 42", "Retoucher")
        await User.filter(id=staff.id).update(role=Role.STAFF)
        staff = await User.get(id=staff.id)
    waiting = await OrderImage.filter(order_id=order_id, production_status__in=[PS.RETOUCH, PS.FAILED])
    for image in waiting:
        with PILImage.open(io.BytesIO(await rt.blobs.get(image.original_key))) as im:
            im = im.convert("RGB")
            if studio:  # cut out with the sandbox's true mask, fitted inside the 10 % margins on white
                external_id = (await Image.get(id=image.image_id)).external_id
                async with httpx.AsyncClient(base_url=os.environ["PIXPORT_BIGCOMMERCE_API_URL"]) as sandbox:
                    r = await sandbox.get(f"/_sandbox/stores/{store_hash}/images/{external_id}/mask")
                    r.raise_for_status()
                mask = PILImage.open(io.BytesIO(r.content)).convert("L").resize(im.size)
                box = mask.getbbox()
                product, mask = im.crop(box), mask.crop(box)
                scale = 960 / max(product.size)  # up or down: the product fills the room inside the margins
                size = (max(1, round(product.width * scale)), max(1, round(product.height * scale)))
                product, mask = product.resize(size, PILImage.LANCZOS), mask.resize(size, PILImage.LANCZOS)
                im = PILImage.new("RGB", (1200, 1200), "white")
                im.paste(product, ((1200 - product.width) // 2, (1200 - product.height) // 2), mask)
            else:
                im.thumbnail((1200, 1200))
            out = io.BytesIO()
            im.save(out, "JPEG", quality=85, dpi=(72, 72))
        await production.claim(staff, image.id)
        await production.submit(staff, image.id, out.getvalue(), "bench.jpg")
    return len(waiting)


if __name__ == "__main__":
    asyncio.run(main())
