"""Benchmark of image analysis (issue 4: at least 100 images/s per worker process on
1000×1000 JPEGs from the sandbox CDN).

Starts the BigCommerce sandbox as its own uvicorn process (render cache large enough
for every picture), creates a store whose N images are generated 1000×1000 JPEGs on
varied backgrounds, downloads each once to warm the CDN, then, in this process:

1. the pure ``analyze()`` rate on one core, over the same bytes;
2. the whole job (``core.catalog.analyze.analyze_store_images``): N PENDING Image rows in
   an embedded (SQLite) database, downloads through the BigCommerce connector with its
   bounded concurrency, analysis in the process pool, bulk writes. Run once with the
   pool sized to the CPUs (the default) and once with a single analysis process.

    .venv/bin/python bench/analysis.py [--images 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PER_PRODUCT = 10


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_sandbox(port: int, cache_mb: int) -> subprocess.Popen:
    code = ("import uvicorn; from plugins.bigcommerce.sandbox.app import create_app; "
            f"uvicorn.run(create_app(render_cache_mb={cache_mb}), host='127.0.0.1', port={port}, "
            "log_level='warning')")
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)


async def prepare(base: str, n: int) -> tuple[dict, list[tuple[str, str, str]], list[bytes]]:
    """A sandbox store with n generated 1000×1000 JPEGs: (store, [(pid, iid, url)], their bytes)."""
    async with httpx.AsyncClient(base_url=base, timeout=120) as c:
        for _ in range(300):
            try:
                await c.get("/")
                break
            except httpx.HTTPError:
                await asyncio.sleep(0.05)
        products = -(-n // PER_PRODUCT)
        store = (await c.post("/_sandbox/stores", json={"products": products, "images_per_product": 0, "seed": 4,
                                                        "variant_share": 0})).json()
        h = store["store_hash"]
        sem = asyncio.Semaphore(16)

        async def add(pid: int) -> list[tuple[str, str, str]]:
            out = []
            for _ in range(min(PER_PRODUCT, n - (pid - 1) * PER_PRODUCT)):
                async with sem:
                    r = await c.post(f"/_sandbox/stores/{h}/products/{pid}/images",
                                     json={"generate": True, "format": "JPEG", "width": 1000, "height": 1000,
                                           "quality": 88})
                    r.raise_for_status()
                    image = r.json()
                out.append((str(pid), str(image["id"]), image["url_zoom"]))
            return out

        images = [i for chunk in await asyncio.gather(*(add(p) for p in range(1, products + 1))) for i in chunk]

        async def warm(url: str) -> bytes:
            async with sem:
                r = await c.get(url)
                r.raise_for_status()
                return r.content

        t = time.perf_counter()
        bodies = await asyncio.gather(*(warm(u) for _, _, u in images))
        print(f"sandbox: {len(images)} images rendered and cached in {time.perf_counter() - t:.1f} s "
              f"(mean {sum(map(len, bodies)) / len(bodies) / 1024:.0f} KiB)")
        return store, images, bodies


def pure_rate(bodies: list[bytes]) -> float:
    from core.catalog.analysis import analyze

    for data in bodies[:20]:
        analyze(data)
    t = time.perf_counter()
    for data in bodies:
        analyze(data)
    return len(bodies) / (time.perf_counter() - t)


async def job_rate(store_remote: dict, images: list, processes: int | None, data_dir: Path) -> tuple[float, int]:
    from core import cpu, db
    from core.catalog import analyze as analysis_job
    from core.catalog.models import AnalysisStatus, Image, Product
    from core.jobs import services as jobs
    from core.jobs.services import Progress
    from core.settings import Settings
    from core.stores.models import Store
    from core.stores.services import secret_box
    from core.timeutil import utcnow
    from workers import runtime as worker_runtime

    settings = Settings(data_dir=data_dir, secret_key="bench-secret", image_hosts=["127.0.0.1"])
    await db.migrate(settings.db_url)
    await db.close_db()
    rt = await worker_runtime.start(settings)
    try:
        store = await Store.create(platform="bigcommerce", external_id=store_remote["store_hash"],
                                   access_token_sealed=secret_box().seal(store_remote["access_token"]))
        now = utcnow()
        products = {}
        rows = []
        for pid, iid, url in images:
            if pid not in products:
                products[pid] = await Product.create(store=store, external_id=pid, name=f"P{pid}", synced_at=now,
                                                     modified_at=now)
            rows.append(Image(store=store, product=products[pid], external_id=iid, source_url=url,
                              modified_at=now, synced_at=now))
        await Image.bulk_create(rows, batch_size=1000)
        if processes is not None:
            cpu.pool_size = lambda: processes
        cpu.shutdown_pool()
        pool = cpu.pool()  # start the processes before timing (a worker keeps its pool)
        list(pool.map(abs, range(pool._max_workers * 4)))
        job = await jobs.create(analysis_job.ANALYZE, {"store_id": store.id})
        t = time.perf_counter()
        await analysis_job.analyze_store_images(job, Progress(job))
        elapsed = time.perf_counter() - t
        done = await Image.filter(store=store, analysis_status=AnalysisStatus.DONE).count()
        return done / elapsed, pool._max_workers
    finally:
        cpu.shutdown_pool()
        await worker_runtime.stop(rt)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=2000)
    args = ap.parse_args()
    port = free_port()
    # every picture is cached twice (the original and the zoom rendition): no re-rendering while timing
    proc = start_sandbox(port, cache_mb=max(256, args.images * 400 // 1024))
    try:
        base = f"http://127.0.0.1:{port}"
        remote, images, bodies = asyncio.run(prepare(base, args.images))
        print(f"CPUs usable by this process: {len(os.sched_getaffinity(0))}")
        print(f"pure analyze(), one core: {pure_rate(bodies):.0f} images/s")
        for processes in (None, 1):
            with tempfile.TemporaryDirectory() as tmp:
                rate, workers = asyncio.run(job_rate(remote, images, processes, Path(tmp)))
            print(f"analysis job, one worker process, pool of {workers} analysis process(es): "
                  f"{rate:.0f} images/s (download + analyze + write, {len(images)} images)")
            # the CDN is warm for the second run too: it serves the same cached renditions
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    main()
