"""The embedded job runner: the JobQueue of the default, one-process setup.

It runs the same ``run_job`` as the arq worker, in background tasks of the
``pixport serve`` process. Job rows are persisted, so after a restart
``start()`` picks up whatever was queued or running when the process stopped.

Fairness: bulk kinds (a store's sync or analysis, production edits, publishing) may hold
at most ``concurrency - 1`` runners; the last one is kept for everything else, so a
welcome e-mail or a new store's first page never waits behind hundreds of edit jobs.
Bulk jobs wait in their own FIFO backlog. At scale (arq) the same need is met by running
more worker processes (and, if ever needed, a separate arq queue for bulk kinds); arq's
queue is left as it is.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging

from core.jobs.models import Job, JobStatus
from workers.execute import run_job
from workers.handlers import BULK

log = logging.getLogger(__name__)


def is_bulk(kind: str | None) -> bool:
    return kind in BULK


class EmbeddedJobQueue:
    def __init__(self, concurrency: int = 4, periodic=()) -> None:
        """``periodic``: (coroutine function, seconds) pairs run on a timer, as arq's crons."""
        self._concurrency = concurrency
        self._bulk_limit = max(1, concurrency - 1)  # with one runner there is nothing to reserve
        self._bulk_running = 0
        self._backlog: collections.deque[int] = collections.deque()  # bulk jobs waiting for a bulk slot
        self._periodic = list(periodic)
        self._queue: asyncio.Queue[int] = asyncio.Queue()
        self._pending: set[int] = set()
        self._tasks: list[asyncio.Task] = []
        self._timers: set[asyncio.TimerHandle] = set()

    async def start(self) -> None:
        # This process is the only runner: whatever was RUNNING was cut off by a stop.
        await Job.filter(status=JobStatus.RUNNING).update(status=JobStatus.QUEUED, lease_until=None)
        unfinished = await Job.filter(status=JobStatus.QUEUED).order_by("id").values_list("id", flat=True)
        for job_id in unfinished:
            self._put(job_id)
        if unfinished:
            log.info("resuming %d unfinished jobs", len(unfinished))
        self._tasks = [asyncio.create_task(self._work(), name=f"embedded-job-{i}") for i in range(self._concurrency)]
        self._tasks += [asyncio.create_task(self._every(fn, seconds)) for fn, seconds in self._periodic]

    async def stop(self) -> None:
        for timer in self._timers:
            timer.cancel()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def enqueue(self, job_id: int, attempt: int, *, defer_seconds: float = 0) -> None:
        if defer_seconds:
            loop = asyncio.get_running_loop()
            timer = loop.call_later(defer_seconds, self._put, job_id)
            self._timers.add(timer)
        else:
            self._put(job_id)

    def _put(self, job_id: int) -> None:
        if job_id not in self._pending:
            self._pending.add(job_id)
            self._queue.put_nowait(job_id)

    async def _every(self, fn, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await fn()
            except Exception:
                log.exception("periodic %s failed", fn.__name__)

    async def _work(self) -> None:
        while True:
            job_id = await self._queue.get()
            self._pending.discard(job_id)
            if not is_bulk(await self._kind(job_id)):
                await self._run(job_id)
                continue
            self._backlog.append(job_id)
            # A bulk slot frees only when a bulk job ends, and that runner takes the next
            # waiting one here: the backlog never stalls while runners sit idle.
            while self._backlog and self._bulk_running < self._bulk_limit:
                self._bulk_running += 1
                try:
                    await self._run(self._backlog.popleft())
                finally:
                    self._bulk_running -= 1

    @staticmethod
    async def _kind(job_id: int) -> str | None:
        try:
            return await Job.filter(id=job_id).first().values_list("kind", flat=True)
        except Exception:  # a database outage: run_job meets it too, and logs it
            return None

    async def _run(self, job_id: int) -> None:
        try:
            await run_job(job_id)
        except Exception:  # run_job records failures; this is a database outage
            log.exception("embedded runner could not run job %s", job_id)
