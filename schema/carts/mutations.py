from __future__ import annotations

import strawberry
from strawberry import relay

from core.carts import services
from core.errors import DomainError, ValidationFailed
from schema.base import UserError, decode_id, mutation
from schema.carts.types import CartNode
from schema.catalog.inputs import ImageFilter
from schema.context import Info
from schema.permissions import IsAuthenticated


@strawberry.type
class CartAddImagesPayload:
    cart: CartNode | None = None
    added: int = strawberry.field(default=0, description="New billable images (duplicate groups).")
    duplicates_removed: int = strawberry.field(
        default=0, description="Images of the request already in the cart, repeated, or duplicates of another: "
                               "kept with their group, never charged.")
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CartAddMatchingPayload:
    cart: CartNode | None = None
    added: int = 0
    duplicates_removed: int = 0
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CartRemoveImagesPayload:
    cart: CartNode | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CartClearPayload:
    cart: CartNode | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _image_ids(image_ids: list[relay.GlobalID]) -> list[int]:
    if len(image_ids) > services.MAX_IDS:
        raise DomainError(f"At most {services.MAX_IDS} images at once; use cartAddMatching for more.", field="imageIds")
    ids, errors = [], []
    for n, gid in enumerate(image_ids):
        try:
            ids.append(decode_id(gid, "Image", f"imageIds.{n}"))
        except DomainError as exc:
            errors.append(exc)
    if errors:
        raise ValidationFailed(errors)
    return ids


def _store(store_id: relay.GlobalID) -> int:
    return decode_id(store_id, "Store", "storeId")


@strawberry.type
class CartMutations:
    @mutation(permission_classes=[IsAuthenticated], description="Put images in the store's cart (at most 100).")
    async def cart_add_images(self, info: Info, store_id: relay.GlobalID,
                              image_ids: list[relay.GlobalID]) -> CartAddImagesPayload:
        r = await services.add_images(info.context.user, _store(store_id), _image_ids(image_ids))
        return CartAddImagesPayload(cart=CartNode.from_model(r.cart, r.groups), added=r.added,
                                    duplicates_removed=r.duplicates_removed)

    @mutation(permission_classes=[IsAuthenticated],
              description="Select all: put every image matching the filter in the cart (unreadable ones excepted).")
    async def cart_add_matching(self, info: Info, store_id: relay.GlobalID,
                                filter: ImageFilter | None = None) -> CartAddMatchingPayload:
        r = await services.add_matching(info.context.user, _store(store_id), filter.to_core() if filter else None)
        return CartAddMatchingPayload(cart=CartNode.from_model(r.cart, r.groups), added=r.added,
                                      duplicates_removed=r.duplicates_removed)

    @mutation(permission_classes=[IsAuthenticated], description="Take images out of the cart (at most 100).")
    async def cart_remove_images(self, info: Info, store_id: relay.GlobalID,
                                 image_ids: list[relay.GlobalID]) -> CartRemoveImagesPayload:
        cart, groups = await services.remove_images(info.context.user, _store(store_id), _image_ids(image_ids))
        return CartRemoveImagesPayload(cart=CartNode.from_model(cart, groups))

    @mutation(permission_classes=[IsAuthenticated], description="Empty the cart.")
    async def cart_clear(self, info: Info, store_id: relay.GlobalID) -> CartClearPayload:
        cart = await services.clear(info.context.user, _store(store_id))
        return CartClearPayload(cart=CartNode.from_model(cart, []))
