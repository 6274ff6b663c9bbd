"""Running one job, the same way under arq and in the embedded runner.

A runner claims the row (QUEUED, or RUNNING with an expired lease), renews its
lease while the function runs, and records how it ended. Claiming is one
conditional UPDATE, so two deliveries of one job never run it twice at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from tortoise.expressions import F, Q

from core import runtime
from core.jobs.errors import RetryLater
from core.jobs.models import Job, JobStatus
from core.jobs.services import Progress, announce, enqueue
from core.timeutil import utcnow
from workers.handlers import HANDLERS

log = logging.getLogger(__name__)

# Job functions running in this process right now (for graceful stops and tests).
in_flight = 0


async def claim(job_id: int, lease: float) -> Job | None:
    now = utcnow()
    claimed = await Job.filter(
        Q(id=job_id)
        & (Q(status=JobStatus.QUEUED) | Q(status=JobStatus.RUNNING, lease_until__lt=now))
    ).update(status=JobStatus.RUNNING, lease_until=now + timedelta(seconds=lease), attempts=F("attempts") + 1)
    if not claimed:
        return None
    job = await Job.get_or_none(id=job_id)
    if job is None:  # deleted as it was claimed
        return None
    if job.started_at is None:
        job.started_at = now
        await job.save(update_fields=["started_at"])
    return job


async def _renew_lease(job_id: int, lease: float) -> None:
    while True:
        await asyncio.sleep(lease / 3)
        await Job.filter(id=job_id, status=JobStatus.RUNNING).update(
            lease_until=utcnow() + timedelta(seconds=lease)
        )


async def _finish(job: Job, status: JobStatus, message: str | None = None) -> None:
    updates = {"status": status, "finished_at": utcnow(), "lease_until": None}
    if message is not None:
        updates["message"] = message[:500]
    # A job cancelled while it ran stays cancelled.
    await Job.filter(id=job.id, status=JobStatus.RUNNING).update(**updates)
    await job.refresh_from_db()
    await announce(job)


async def run_job(job_id: int) -> None:
    global in_flight
    in_flight += 1
    try:
        await _run_job(job_id)
    finally:
        in_flight -= 1


async def _run_job(job_id: int) -> None:
    settings = runtime.current().settings
    job = await claim(job_id, settings.job_lease_seconds)
    if job is None:
        return  # finished, cancelled, or running elsewhere
    await announce(job)
    handler = HANDLERS.get(job.kind)
    if handler is None:
        await _finish(job, JobStatus.FAILED, f"Unknown job kind {job.kind!r}")
        return
    renew = asyncio.create_task(_renew_lease(job.id, settings.job_lease_seconds))
    try:
        await handler(job, Progress(job))
    except RetryLater as retry:
        if job.attempts >= settings.job_max_attempts:
            await _finish(job, JobStatus.FAILED, f"Gave up after {job.attempts} attempts: {retry}")
        else:
            await Job.filter(id=job.id, status=JobStatus.RUNNING).update(
                status=JobStatus.QUEUED, lease_until=None, message=f"Retrying: {retry}"[:500]
            )
            await job.refresh_from_db()
            await announce(job)
            await enqueue(job, defer_seconds=retry.delay)
    except Exception:
        log.exception("job %s (%s) failed", job.id, job.kind)
        await _finish(job, JobStatus.FAILED, "The job failed because of an internal error.")
    else:
        await _finish(job, JobStatus.SUCCEEDED)
    finally:
        renew.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renew


async def requeue_abandoned() -> int:
    """Queue again the jobs a dead runner left: RUNNING past their lease, or QUEUED
    but never delivered (a crash between commit and enqueue). Safe to repeat."""
    now = utcnow()
    stale = await Job.filter(
        Q(status=JobStatus.RUNNING, lease_until__lt=now)
        | Q(status=JobStatus.QUEUED, created_at__lt=now - timedelta(seconds=30))
    ).only("id", "attempts")
    for job in stale:
        await enqueue(job)
    return len(stale)
