"""The JobQueue port: "run job N". The Job row carries what to do; the queue only
carries its id. Two implementations: ``ArqJobQueue`` (Redis, any number of
``pixport worker`` processes) and the embedded runner in ``workers.embedded``."""

from __future__ import annotations

from typing import Protocol

RUN_JOB = "run_job"  # the one arq function: it loads the row and dispatches on its kind


class JobQueue(Protocol):
    async def enqueue(self, job_id: int, attempt: int, *, defer_seconds: float = 0) -> None: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def arq_job_id(namespace: str, job_id: int, attempt: int) -> str:
    # Deterministic: enqueueing the same attempt twice is a no-op in arq (whose job keys
    # are global to the Redis database, hence the namespace).
    return f"{namespace}:job:{job_id}:{attempt}"


def queue_name(namespace: str) -> str:
    return f"{namespace}:queue"


class ArqJobQueue:
    def __init__(self, redis_url: str, namespace: str = "pixport") -> None:
        self._redis_url = redis_url
        self._namespace = namespace
        self._queue_name = queue_name(namespace)
        self._pool = None

    async def start(self) -> None:
        from arq import create_pool

        from core.jobs.serialization import arq_redis_settings, deserialize, serialize

        self._pool = await create_pool(
            arq_redis_settings(self._redis_url),
            job_serializer=serialize,
            job_deserializer=deserialize,
            default_queue_name=self._queue_name,
        )

    async def stop(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()

    async def enqueue(self, job_id: int, attempt: int, *, defer_seconds: float = 0) -> None:
        await self._pool.enqueue_job(
            RUN_JOB,
            job_id,
            _job_id=arq_job_id(self._namespace, job_id, attempt),
            _defer_by=defer_seconds or None,
        )
