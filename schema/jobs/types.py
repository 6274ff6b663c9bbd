from __future__ import annotations

from datetime import datetime
from typing import Iterable

import strawberry
from strawberry import relay

from core.jobs import services
from core.jobs.models import Job, JobStatus
from schema.context import Info

JobStatusEnum = strawberry.enum(JobStatus, name="JobStatus")


@strawberry.type(name="Job", description="Long work: sync, editing, publishing, e-mail.")
class JobNode(relay.Node):
    id: relay.NodeID[int]
    kind: str
    status: JobStatusEnum
    done: int
    total: int | None
    message: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def from_model(cls, job: Job) -> "JobNode":
        return cls(
            id=job.id, kind=job.kind, status=job.status, done=job.done, total=job.total,
            message=job.message, created_at=job.created_at, started_at=job.started_at,
            finished_at=job.finished_at,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        ids = [int(i) for i in node_ids]
        found = {j.id: j for j in await Job.filter(id__in=ids) if services.can_see(info.context.user, j)}
        return [cls.from_model(found[i]) if i in found else None for i in ids]
