from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from core.jobs.models import Job
from core.stores import services
from core.stores.models import Store, StoreStatus
from schema.base import ModelNode
from schema.context import Info
from schema.jobs.types import JobNode
from schema.loaders import loader

StoreStatusEnum = strawberry.enum(StoreStatus, name="StoreStatus")


@strawberry.type(name="Store", description="A store connected through a platform app.")
class StoreNode(ModelNode):
    id: relay.NodeID[int]
    platform: str
    name: str
    domain: str
    status: StoreStatusEnum
    image_count: int
    last_synced_at: datetime | None
    sync_job_id: strawberry.Private[int | None]
    analysis_job_id: strawberry.Private[int | None]

    @strawberry.field(description="The latest sync of this store (running or finished).")
    async def sync_job(self, info: Info) -> JobNode | None:
        return await _job(info, self.sync_job_id)

    @strawberry.field(description="The latest image analysis of this store.")
    async def analysis_job(self, info: Info) -> JobNode | None:
        return await _job(info, self.analysis_job_id)

    @classmethod
    def visible(cls, user):
        return services.visible_stores(user)

    @classmethod
    def from_model(cls, store: Store) -> "StoreNode":
        return cls(
            id=store.id, platform=store.platform, name=store.name, domain=store.domain, status=store.status,
            image_count=store.image_count, last_synced_at=store.last_synced_at,
            sync_job_id=store.sync_job_id, analysis_job_id=store.analysis_job_id,
        )



async def _job(info: Info, job_id: int | None) -> JobNode | None:
    if job_id is None:
        return None
    job = await loader(info, "job_by_id", Job).load(job_id)
    return JobNode.from_model(job) if job else None
