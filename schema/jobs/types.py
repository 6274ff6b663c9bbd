from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from core.jobs import services
from core.jobs.models import Job, JobStatus
from schema.base import ModelNode

JobStatusEnum = strawberry.enum(JobStatus, name="JobStatus")


@strawberry.type(name="Job", description="Long work: sync, editing, publishing, e-mail.")
class JobNode(ModelNode):
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
    def visible(cls, user):
        return services.visible_jobs(user)

    @classmethod
    def from_model(cls, job: Job) -> "JobNode":
        return cls(
            id=job.id, kind=job.kind, status=job.status, done=job.done, total=job.total,
            message=job.message, created_at=job.created_at, started_at=job.started_at,
            finished_at=job.finished_at,
        )

