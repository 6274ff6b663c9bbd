"""An arq worker running in the test's event loop, with the product's job function."""

from __future__ import annotations

import asyncio
import contextlib

from arq.worker import Worker

from core.settings import Settings
from workers.settings import WorkerSettings


class RunningWorker:
    def __init__(self, worker: Worker, task: asyncio.Task) -> None:
        self.worker, self.task = worker, task

    async def close(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
        await self.worker.close()


async def in_process_arq_worker(settings: Settings) -> RunningWorker:
    from core.jobs.queue import queue_name
    from core.jobs.serialization import arq_redis_settings

    worker = Worker(
        functions=WorkerSettings.functions,
        redis_settings=arq_redis_settings(settings.redis),
        job_serializer=WorkerSettings.job_serializer,
        job_deserializer=WorkerSettings.job_deserializer,
        max_jobs=WorkerSettings.max_jobs,
        queue_name=queue_name(settings.redis_namespace),
        poll_delay=0.05,
        handle_signals=False,
    )
    task = asyncio.create_task(worker.async_run())
    return RunningWorker(worker, task)
