"""Benchmark of the BigCommerce sandbox (issue 3).

Starts the sandbox as its own uvicorn process, creates a 100 000-product store with the quota
lifted, lists the whole store with ``limit=250&include=images,variants`` from this (separate)
client process, and prints: store creation time, pages/s, the sandbox's CPU time per page (the
pages/s of one core, whatever else the machine runs), and the sandbox process's RSS after the
listing.

    .venv/bin/python bench/sandbox.py [--products 100000] [--pages N]
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import rss_mb, start_sandbox, stop_processes  # noqa: E402


def cpu_s(pid: int) -> float:
    """CPU time (user + system) the process has used, in seconds: unlike pages/s, it does not
    depend on what else the machine is running."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--products", type=int, default=100_000)
    ap.add_argument("--pages", type=int, default=0, help="stop after N pages (0 = the whole store)")
    args = ap.parse_args()
    proc, base = start_sandbox()
    try:
        with httpx.Client(base_url=base, timeout=60) as c:
            for _ in range(200):
                try:
                    c.get("/")
                    break
                except httpx.HTTPError:
                    time.sleep(0.05)
            rss_idle = rss_mb(proc.pid)
            t = time.perf_counter()
            r = c.post("/_sandbox/stores", json={"products": args.products, "seed": 1, "quota": 100_000_000})
            created = time.perf_counter() - t
            store = r.json()
            h = {"X-Auth-Token": store["access_token"], "Accept": "application/json"}
            url = f"/stores/{store['store_hash']}/v3/catalog/products"
            stats = {"pages": 0, "products": 0, "images": 0, "variants": 0, "bytes": 0}
            lock = threading.Lock()

            def fetch(client: httpx.Client, page: int) -> dict:
                r = client.get(url, params={"page": page, "limit": 250, "include": "images,variants"}, headers=h)
                r.raise_for_status()
                body = orjson.loads(r.content)  # the stdlib's parser would make this client the bottleneck
                with lock:  # two threads count
                    stats["bytes"] += len(r.content)
                    stats["pages"] += 1
                    stats["products"] += len(body["data"])
                    stats["images"] += sum(len(p["images"]) for p in body["data"])
                    stats["variants"] += sum(len(p["variants"]) for p in body["data"])
                return body["meta"]["pagination"]

            # sequential: one request at a time (includes this client's JSON parsing, with orjson)
            cpu0 = cpu_s(proc.pid)
            t = time.perf_counter()
            total_pages = fetch(c, 1)["total_pages"]
            last = min(total_pages, args.pages or total_pages)
            seq_pages = min(last, 20)
            for page in range(2, seq_pages + 1):
                fetch(c, page)
            sequential = (seq_pages) / (time.perf_counter() - t)
            # the rest of the store with two connections, so the sandbox is never waiting on the client
            t = time.perf_counter()
            with httpx.Client(base_url=base, timeout=60) as c2, ThreadPoolExecutor(2) as pool:
                clients = [c, c2]
                list(pool.map(lambda p: fetch(clients[p % 2], p), range(seq_pages + 1, last + 1)))
            listing = time.perf_counter() - t
            concurrent = (last - seq_pages) / listing if last > seq_pages else float("nan")
            cpu_per_page = (cpu_s(proc.pid) - cpu0) / last
            pages, products, images, variants, nbytes = (stats["pages"], stats["products"], stats["images"],
                                                         stats["variants"], stats["bytes"])
            rss_after = rss_mb(proc.pid)
        print(f"store creation ({args.products} products): {created:.3f} s")
        print(f"listed {products} products, {images} images, {variants} variants in {pages} pages "
              f"({nbytes / 1e6:.0f} MB of JSON)")
        print(f"pages/s (limit=250&include=images,variants, one client process): "
              f"{sequential:.1f} sequential, {concurrent:.1f} with 2 connections")
        print(f"sandbox CPU per page: {cpu_per_page * 1000:.1f} ms (one core's worth: {1 / cpu_per_page:.1f} pages/s)")
        print(f"sandbox RSS: {rss_idle:.0f} MB idle, {rss_after:.0f} MB after listing the whole store")
    finally:
        stop_processes(proc)


if __name__ == "__main__":
    main()
