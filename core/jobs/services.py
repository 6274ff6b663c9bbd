"""Creating jobs, and reporting what they do. The row is written first, the
event published after, so a subscriber that re-reads the row sees the news."""

from __future__ import annotations

import time

from core.accounts.visibility import rows_visible_to
from core import runtime
from core.errors import InvalidTransition, NotFound
from core.jobs.models import FINAL_STATUSES, Job, JobStatus
from core.timeutil import utcnow


def channel(job_id: int) -> str:
    return f"job:{job_id}"


async def create(kind: str, payload: dict | None = None, *, account_id: int | None = None) -> Job:
    """A QUEUED row. Call inside the transaction that made what the job works on;
    call ``enqueue`` once that transaction has committed."""
    return await Job.create(kind=kind, payload=payload or {}, account_id=account_id)


async def enqueue(job: Job, *, defer_seconds: float = 0) -> None:
    await runtime.current().queue.enqueue(job.id, job.attempts, defer_seconds=defer_seconds)


async def submit(kind: str, payload: dict | None = None, *, account_id: int | None = None) -> Job:
    job = await create(kind, payload, account_id=account_id)
    await enqueue(job)
    return job


async def announce(job: Job) -> None:
    await runtime.current().bus.publish(channel(job.id), {"id": job.id, "status": job.status.value})


async def get_for_user(user, job_id: int) -> Job:
    job = await Job.get_or_none(id=job_id)
    if job is None or not can_see(user, job):
        raise NotFound("No such job.", field="id")
    return job


def visible_jobs(user):
    return rows_visible_to(user, Job)


def can_see(user, job: Job) -> bool:
    if user is None:
        return False
    if user.role.is_staff:
        return True
    return job.account_id is not None and job.account_id == user.account_id


async def cancel(user, job_id: int) -> Job:
    job = await get_for_user(user, job_id)
    if job.status in FINAL_STATUSES:
        raise InvalidTransition("The job has already ended.", field="id")
    job.status = JobStatus.CANCELLED
    job.finished_at = utcnow()
    await job.save(update_fields=["status", "finished_at"])
    await announce(job)
    return job


class Progress:
    """Handed to a running job function: counts, messages and checkpoints.

    Counters are written at most every ``interval`` seconds (a job may tick
    thousands of times a second); checkpoints and the last tick always are.
    """

    def __init__(self, job: Job, interval: float = 0.25) -> None:
        self.job = job
        self.interval = interval
        self._last_write = 0.0

    async def update(
        self,
        *,
        done: int | None = None,
        total: int | None = None,
        message: str | None = None,
        checkpoint: dict | None = None,
        force: bool = False,
    ) -> None:
        fields = []
        for name, value in (("done", done), ("total", total), ("message", message), ("checkpoint", checkpoint)):
            if value is not None:
                setattr(self.job, name, value[:500] if name == "message" else value)
                fields.append(name)
        now = time.monotonic()
        finished = self.job.total is not None and self.job.done >= self.job.total
        if not (force or checkpoint is not None or finished or now - self._last_write >= self.interval):
            return
        self._last_write = now
        await self.job.save(update_fields=["done", "total", "message", "checkpoint"])
        await announce(self.job)

    async def cancelled(self) -> bool:
        """Jobs that run long call this between steps and stop when it is True."""
        status = await Job.filter(id=self.job.id).values_list("status", flat=True)
        return bool(status) and status[0] == JobStatus.CANCELLED
