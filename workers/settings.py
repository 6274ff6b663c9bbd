"""arq's WorkerSettings for ``pixport worker``: one function, ``run_job``, that
loads the Job row and dispatches on its kind; a cron that re-queues what dead
runners left behind."""

from __future__ import annotations

from arq import cron, func

from core.catalog import sync
from core.jobs.queue import RUN_JOB, queue_name
from core.jobs.serialization import arq_redis_settings, deserialize, serialize
from core.settings import Settings
from workers import execute, runtime

_settings = Settings()


async def _run_job(ctx, job_id: int) -> None:
    await execute.run_job(job_id)


async def _requeue_abandoned(ctx) -> None:
    await execute.requeue_abandoned()


async def _schedule_full_rescans(ctx) -> None:
    await sync.schedule_full_rescans()


async def _startup(ctx) -> None:
    ctx["runtime"] = await runtime.start(_settings)
    await execute.requeue_abandoned()


async def _shutdown(ctx) -> None:
    await runtime.stop(ctx["runtime"])


class WorkerSettings:
    functions = [func(_run_job, name=RUN_JOB, timeout=24 * 3600, max_tries=1000)]
    cron_jobs = [
        cron(_requeue_abandoned, second={0, 30}, run_at_startup=False),
        cron(_schedule_full_rescans, minute=7, second=0),  # hourly; each store at most daily
    ]
    on_startup = _startup
    on_shutdown = _shutdown
    redis_settings = arq_redis_settings(_settings.redis or "redis://127.0.0.1:6379")
    job_serializer = staticmethod(serialize)
    job_deserializer = staticmethod(deserialize)
    queue_name = queue_name(_settings.redis_namespace)
    max_jobs = 16
    allow_abort_jobs = True
