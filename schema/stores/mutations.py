from __future__ import annotations

import strawberry
from strawberry import relay

from core.catalog import sync
from core.stores import services
from schema.base import UserError, decode_id, mutation
from schema.context import Info
from schema.jobs.types import JobNode
from schema.permissions import IsAuthenticated
from schema.stores.types import StoreNode


@strawberry.type
class StoreSyncStartPayload:
    job: JobNode | None = None
    store: StoreNode | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class StoreMutations:
    @mutation(
        permission_classes=[IsAuthenticated],
        description="Sync the store now: incremental after the first sync unless `full`. "
        "Returns the sync already running, if any. Follow it with jobProgress.",
    )
    async def store_sync_start(
        self, info: Info, store_id: relay.GlobalID, full: bool | None = None
    ) -> StoreSyncStartPayload:
        store = await services.get_for_user(info.context.user, decode_id(store_id, "Store", "storeId"))
        job = await sync.start_sync(store, full=full)
        await store.refresh_from_db()
        return StoreSyncStartPayload(job=JobNode.from_model(job), store=StoreNode.from_model(store))
