from __future__ import annotations

import base64
from datetime import datetime

import strawberry
from strawberry import relay

from core.carts import groups as grouping
from core.carts import services
from core.carts.models import Cart, CartItem
from core.catalog.models import Image
from core.stores.models import Store
from schema.base import ModelNode
from schema.catalog.types import ImageNode
from schema.context import Info
from schema.loaders import load_node, loader
from schema.pagination import Edge, check_first, keyset_page
from schema.pricing.queries import quote_for
from schema.pricing.types import PriceQuoteType
from schema.stores.types import StoreNode


@strawberry.type
class CartItemType:
    added_at: datetime
    image_pk: strawberry.Private[int]

    @strawberry.field
    async def image(self, info: Info) -> ImageNode | None:
        return await load_node(info, ImageNode, Image, self.image_pk)


CartItemType.__strawberry_definition__.name = "CartItem"


@strawberry.type
class CartItemConnection:
    edges: list[Edge[CartItemType]]
    page_info: relay.PageInfo
    total_count: int


@strawberry.type(description="Pictures that are one billable, editable unit: the same image, the same bytes, "
                             "or near-identical pictures. The edit goes to every place they sit.")
class DuplicateGroup:
    size: int
    image_pks: strawberry.Private[list[int]]

    @strawberry.field(description="The picture that is edited (the group's first image).")
    async def representative(self, info: Info) -> ImageNode | None:
        return await load_node(info, ImageNode, Image, self.image_pks[0])

    @strawberry.field(description="Every image of the group, each with its location in the store.")
    async def images(self, info: Info) -> list[ImageNode]:
        rows = await loader(info, "image_by_id", Image).load_many(self.image_pks)
        return [ImageNode.from_model(r) for r in rows if r is not None]


@strawberry.type
class DuplicateGroupConnection:
    edges: list[Edge[DuplicateGroup]]
    page_info: relay.PageInfo
    total_count: int


def _cursor(image_id: int) -> str:
    return base64.urlsafe_b64encode(f"g:{image_id}".encode()).decode()


def _after(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        kind, value = base64.urlsafe_b64decode(cursor.encode()).decode().split(":")
        assert kind == "g"
        return int(value)
    except Exception:  # noqa: BLE001
        from core.errors import DomainError

        raise DomainError("This cursor is not one Pixport gave out.", field="after") from None


@strawberry.type(name="Cart", description="The images picked in one store, before an order.")
class CartNode(ModelNode):
    id: relay.NodeID[int]
    updated_at: datetime
    store_pk: strawberry.Private[int]
    cache: strawberry.Private[dict]

    async def _groups(self) -> list[grouping.Group]:
        if "groups" not in self.cache:
            self.cache["groups"] = await services.cart_groups(self.id)
        return self.cache["groups"]

    @strawberry.field
    async def store(self, info: Info) -> StoreNode:
        return StoreNode.from_model(await loader(info, "store_by_id", Store).load(self.store_pk))

    @strawberry.field(description="Billable images: duplicate groups, never a duplicate twice.")
    async def image_count(self) -> int:
        return len(await self._groups())

    @strawberry.field(description="Every image in the cart, in the order they were added.")
    async def items(self, info: Info, first: int | None = 50, after: str | None = None) -> CartItemConnection:
        query = CartItem.filter(cart_id=self.id)
        page = await keyset_page(query, "id", False, first, after)
        return CartItemConnection(
            edges=[Edge(cursor=c, node=CartItemType(added_at=r.added_at, image_pk=r.image_id))
                   for r, c in zip(page.rows, page.cursors)],
            page_info=page.page_info(), total_count=await query.count(),
        )

    @strawberry.field(description="Duplicate groups, by their first image; only those of two or more images "
                                  "unless duplicatesOnly is false.")
    async def duplicate_groups(self, first: int | None = 50, after: str | None = None,
                               duplicates_only: bool = True) -> DuplicateGroupConnection:
        limit = check_first(first)
        start = _after(after)
        groups = [g for g in await self._groups() if not duplicates_only or len(g.image_ids) > 1]
        rest = [g for g in groups if g.representative > start]
        page = rest[:limit]
        return DuplicateGroupConnection(
            edges=[Edge(cursor=_cursor(g.representative), node=DuplicateGroup(size=len(g.image_ids),
                                                                                image_pks=g.image_ids))
                   for g in page],
            page_info=relay.PageInfo(has_next_page=len(rest) > limit, has_previous_page=start > 0,
                                     start_cursor=_cursor(page[0].representative) if page else None,
                                     end_cursor=_cursor(page[-1].representative) if page else None),
            total_count=len(groups),
        )

    @strawberry.field(description="The price of this cart with a specification.")
    async def quote(self, info: Info, specification_id: relay.GlobalID) -> PriceQuoteType:
        return await quote_for(info, specification_id, len(await self._groups()))

    @classmethod
    def visible(cls, user):
        if user is None:
            return Cart.filter(id=-1)
        return Cart.all() if user.role.is_staff else Cart.filter(account_id=user.account_id)

    @classmethod
    def from_model(cls, cart: Cart, groups: list[grouping.Group] | None = None) -> "CartNode":
        return cls(id=cart.id, updated_at=cart.updated_at, store_pk=cart.store_id,
                   cache={} if groups is None else {"groups": groups})
