from __future__ import annotations

import strawberry
from strawberry import relay

from core.catalog import services
from core.stores import services as stores
from schema.base import decode_id
from schema.catalog.inputs import ImageFilter, ImageSort
from schema.catalog.types import (
    FacetCount,
    ImageConnection,
    ImageFacets,
    ImageNode,
    ProductConnection,
    ProductNode,
    SortDirection,
)
from schema.context import Info
from schema.pagination import Edge, keyset_page
from schema.permissions import IsAuthenticated


async def _store_id(info: Info, store_id: relay.GlobalID) -> int:
    store = await stores.get_for_user(info.context.user, decode_id(store_id, "Store", "storeId"))
    return store.id


@strawberry.type
class CatalogQueries:
    @strawberry.field(permission_classes=[IsAuthenticated], description="A store's images: search, filter, sort, page.")
    async def images(
        self,
        info: Info,
        store_id: relay.GlobalID,
        filter: ImageFilter | None = None,
        sort: ImageSort | None = None,
        first: int | None = 50,
        after: str | None = None,
    ) -> ImageConnection:
        store_pk, core_filter = await _store_id(info, store_id), filter.to_core() if filter else None
        query = services.filtered_images(store_pk, core_filter)
        sort = sort or ImageSort()
        page = await keyset_page(
            query, services.SORT_COLUMNS[sort.field], sort.direction == SortDirection.DESC, first, after
        )
        return ImageConnection(
            edges=[Edge(cursor=c, node=ImageNode.from_model(r)) for r, c in zip(page.rows, page.cursors)],
            page_info=page.page_info(), store_id=store_pk, filter=core_filter,
        )

    @strawberry.field(permission_classes=[IsAuthenticated], description="Counts per facet of the filtered images.")
    async def image_facets(self, info: Info, store_id: relay.GlobalID, filter: ImageFilter | None = None) -> ImageFacets:
        counts = await services.facets(await _store_id(info, store_id), filter.to_core() if filter else None)
        as_list = lambda d: [FacetCount(value=k, count=v) for k, v in sorted(d.items(), key=lambda kv: (-kv[1], kv[0]))]  # noqa: E731
        return ImageFacets(**{name: as_list(values) for name, values in counts.items()})

    @strawberry.field(permission_classes=[IsAuthenticated], description="A store's products (e.g. a copy-to target).")
    async def products(
        self, info: Info, store_id: relay.GlobalID, search: str | None = None, first: int | None = 20,
        after: str | None = None,
    ) -> ProductConnection:
        query = services.products(await _store_id(info, store_id), search)
        page = await keyset_page(query, "id", False, first, after)
        return ProductConnection(
            edges=[Edge(cursor=c, node=ProductNode.from_model(r)) for r, c in zip(page.rows, page.cursors)],
            page_info=page.page_info(), count_query=query,
        )
