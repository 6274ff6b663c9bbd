from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator

import strawberry
from strawberry import relay

from core import runtime
from core.jobs import services
from core.jobs.models import Job
from schema.base import decode_id
from schema.context import Info
from schema.jobs.types import JobNode
from schema.permissions import IsAuthenticated

# The bus only says "changed"; the row is re-read. Re-reading on a timer too means
# a lost message delays an update by at most this long, never loses it.
RECHECK_SECONDS = 5.0


def _snapshot(job: Job) -> tuple:
    return (job.status, job.done, job.total, job.message)


@strawberry.type
class JobSubscriptions:
    @strawberry.subscription(
        permission_classes=[IsAuthenticated],
        description="The job now, then on every change; ends after a final status.",
    )
    async def job_progress(self, info: Info, job_id: relay.GlobalID) -> AsyncGenerator[JobNode, None]:
        job = await services.get_for_user(info.context.user, decode_id(job_id, "Job", "jobId"))
        async with runtime.current().bus.subscribe(services.channel(job.id)) as queue:
            await job.refresh_from_db()  # subscribed first, then read: no change slips between
            last = _snapshot(job)
            yield JobNode.from_model(job)
            while not job.status.is_final:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(queue.get(), timeout=RECHECK_SECONDS)
                    while not queue.empty():  # a burst of news needs one re-read
                        queue.get_nowait()
                await job.refresh_from_db()
                if _snapshot(job) != last:
                    last = _snapshot(job)
                    yield JobNode.from_model(job)
