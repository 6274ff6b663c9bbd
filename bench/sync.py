"""Full sync of a big store at a Standard-plan quota, and a re-sync of it unchanged.

    .venv/bin/python bench/sync.py [--products 100000] [--quota 150] [--window-ms 3000] [--share 1.0]

The BigCommerce sandbox runs as its own process with a store of ``--products``
products (about 3 images each) and the quota scaled to ``--quota`` requests per
``--window-ms``; Pixport's sync runs on a separate ``pixport worker`` process
(arq on Redis, PostgreSQL). Prints the sync time against the quota lower bound
(requests needed ÷ allowed rate), the 429s the sandbox answered, the worker's
peak memory, and the API requests of an incremental re-sync of the unchanged store.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (fresh_database, peak_rss_mb, pixport_command, scale_env, start_sandbox,  # noqa: E402
                          stop_processes, wait_http, wait_job)



async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--products", type=int, default=100_000)
    ap.add_argument("--quota", type=int, default=150)
    ap.add_argument("--window-ms", type=int, default=3000)
    ap.add_argument("--share", type=float, default=1.0, help="PIXPORT_BIGCOMMERCE_QUOTA_SHARE")
    args = ap.parse_args()

    sandbox, sandbox_url = start_sandbox()
    worker = None
    try:
        await wait_http(sandbox_url + "/")
        async with httpx.AsyncClient(base_url=sandbox_url, timeout=120) as control:
            remote = (await control.post("/_sandbox/stores", json={
                "products": args.products, "seed": 7, "quota": args.quota, "window_ms": args.window_ms})).json()
            async with fresh_database() as db_url:
                env = scale_env(db_url, sandbox_url, args.share)
                pixport = pixport_command()

                from core.catalog import sync
                from core.jobs.models import Job, JobStatus
                from core.settings import Settings
                from core.stores.models import Store
                from core.stores.services import secret_box
                from workers import runtime

                rt = await runtime.start(Settings())
                store = await Store.create(platform="bigcommerce", external_id=remote["store_hash"], name="Bench",
                                           access_token_sealed=secret_box().seal(remote["access_token"]))
                job = await sync.start_sync(store, full=True)
                worker = subprocess.Popen([pixport, "worker"], env=env, stderr=subprocess.DEVNULL)
                job = await wait_job(job.id)
                # The analysis the sync queued is not part of this figure: stop it.
                await Job.filter(kind="catalog.analyze").update(status=JobStatus.CANCELLED)
                full_state = (await control.get(f"/_sandbox/stores/{remote['store_hash']}")).json()
                seconds = (job.finished_at - job.started_at).total_seconds()
                requests = full_state["requests"]
                images = await store.images.all().count()

                await store.refresh_from_db()
                again = await sync.start_sync(store)
                again = await wait_job(again.id)
                resync_requests = (await control.get(f"/_sandbox/stores/{remote['store_hash']}")).json()["requests"] - requests
                peak = peak_rss_mb(worker.pid)
                await runtime.stop(rt)
    finally:
        stop_processes(worker, sandbox)

    rate = args.quota / (args.window_ms / 1000)
    bound = requests / rate
    print(f"store: {args.products} products, {images} images; quota {args.quota} per {args.window_ms} ms "
          f"({rate:.0f} requests/s); Pixport's share {args.share:.0%}")
    print(f"full sync: {seconds:.1f} s, {requests} API requests, status {job.status.value}")
    print(f"quota lower bound (requests / allowed rate): {bound:.1f} s -> ratio {seconds / bound:.2f} (goal <= 1.15)")
    if args.share < 1:
        print(f"  against Pixport's share alone ({rate * args.share:.0f}/s): ratio {seconds / (bound / args.share):.2f}")
    print(f"429s answered by the sandbox: {full_state['throttled']} (goal 0)")
    print(f"worker peak memory (VmHWM): {peak:.0f} MB (goal < 400 MB)")
    print(f"re-sync of the unchanged store: {resync_requests} API requests (goal <= 3), status {again.status.value}")


if __name__ == "__main__":
    asyncio.run(main())
