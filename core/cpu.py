"""The process's CPU pool: image analysis and the editing engine run here, so the
event loop never blocks on Pillow or numpy. One pool per process, one child per usable CPU."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

_pool: ProcessPoolExecutor | None = None


class PoolBroke(Exception):
    """A child died (killed, out of memory) and took the work in flight with it; the
    next call starts a fresh pool."""


def pool_size() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def pool() -> ProcessPoolExecutor:
    """The pool, created on first use.

    ``forkserver`` children start from a clean server process that has already
    imported Pillow, numpy and imagehash, so a new child is cheap and inherits no
    event loop, thread or socket of this process."""
    global _pool
    if _pool is None:
        methods = multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        if ctx.get_start_method() == "forkserver":
            ctx.set_forkserver_preload(["core.catalog.analysis"])
        _pool = ProcessPoolExecutor(max_workers=pool_size(), mp_context=ctx)
    return _pool


def shutdown_pool() -> None:
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=True, cancel_futures=True)
        _pool = None


def _reset_broken_pool(broken: ProcessPoolExecutor) -> None:
    global _pool
    if _pool is broken:
        _pool = None
        broken.shutdown(wait=False, cancel_futures=True)


async def run(fn, *args):
    """``fn(*args)`` in the pool; ``PoolBroke`` if a child died meanwhile."""
    executor = pool()
    try:
        return await asyncio.get_running_loop().run_in_executor(executor, fn, *args)
    except BrokenProcessPool:
        _reset_broken_pool(executor)
        raise PoolBroke() from None
