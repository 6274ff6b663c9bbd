"""The cart: adding images one by one or every image matching a filter (one
INSERT … SELECT over the catalog's filtered set), removing, clearing, and its
duplicate groups (core.carts.groups)."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.exceptions import IntegrityError

from core.carts import groups as grouping
from core.carts.errors import ImageNotFound, ImageNotUsable
from core.carts.models import Cart, CartItem
from core.catalog import services as catalog
from core.catalog.models import AnalysisStatus
from core.errors import DomainError, ValidationFailed
from core.stores import services as stores
from core.timeutil import utcnow

MAX_IDS = 100  # per cartAddImages / cartRemoveImages


@dataclass
class AddResult:
    cart: Cart
    groups: grouping.Groups
    added: int  # new billable images (duplicate groups)
    duplicates_removed: int  # images of the request that were already in, or duplicates


def db():
    """The connection (the transaction's, inside ``in_transaction()``)."""
    return CartItem._meta.db


def placeholder(conn, n: int) -> str:
    return f"${n}" if conn.capabilities.dialect == "postgres" else "?"


async def open_cart(user, store_id: int) -> Cart:
    """The user's cart for this store (made on first use); the store must be theirs."""
    store = await stores.get_for_user(user, store_id)
    cart = await Cart.get_or_none(account_id=user.account_id, store_id=store.id)
    if cart is None:
        try:
            cart = await Cart.create(account_id=user.account_id, store_id=store.id)
        except IntegrityError:  # made by a concurrent request
            cart = await Cart.get(account_id=user.account_id, store_id=store.id)
    return cart


async def find_cart(user, store_id: int) -> Cart | None:
    store = await stores.get_for_user(user, store_id)
    return await Cart.get_or_none(account_id=user.account_id, store_id=store.id)


def _ids(image_ids: list[int]) -> None:
    if not image_ids:
        raise DomainError("Give at least one image.", field="imageIds")
    if len(image_ids) > MAX_IDS:
        raise DomainError(f"At most {MAX_IDS} images at once; use cartAddMatching for more.", field="imageIds")


async def _check_images(user, store_id: int, image_ids: list[int]) -> None:
    """Every id must be a live, readable image of this store that the user may see;
    otherwise every problem is reported, each on its position."""
    rows = {i.id: i for i in await catalog.visible_images(user).filter(id__in=set(image_ids))}
    errors: list[DomainError] = []
    for n, image_id in enumerate(image_ids):
        image = rows.get(image_id)
        field = f"imageIds.{n}"
        if image is None:
            errors.append(ImageNotFound("No such image.", field=field))
        elif image.store_id != store_id:
            errors.append(ImageNotUsable("This image belongs to another store.", field=field))
        elif image.removed_at is not None:
            errors.append(ImageNotUsable("This image has been removed from the store.", field=field))
        elif image.analysis_status == AnalysisStatus.UNREADABLE:
            errors.append(ImageNotUsable(f"This image cannot be read: {image.unreadable_reason}".rstrip(": "),
                                         field=field))
    if errors:
        raise ValidationFailed(errors)


async def add_images(user, store_id: int, image_ids: list[int]) -> AddResult:
    _ids(image_ids)
    cart = await open_cart(user, store_id)
    await _check_images(user, cart.store_id, image_ids)
    conn = db()
    now = _db_now()
    p = lambda n: placeholder(conn, n)
    await conn.execute_many(
        f"INSERT INTO cart_item (cart_id, image_id, added_at) VALUES ({p(1)}, {p(2)}, {p(3)}) "
        "ON CONFLICT (cart_id, image_id) DO NOTHING",
        [[cart.id, image_id, now] for image_id in dict.fromkeys(image_ids)],
    )
    return await _after_add(cart, len(image_ids))


async def add_matching(user, store_id: int, f: catalog.ImageFilter | None) -> AddResult:
    """Every live, readable image of the store that matches ``f`` — one INSERT … SELECT
    from the same filtered set the image grid shows (core.catalog.services)."""
    cart = await open_cart(user, store_id)
    matching = catalog.filtered_images(cart.store_id, f).exclude(analysis_status=AnalysisStatus.UNREADABLE)
    requested = await matching.count()
    query = matching.values("id")
    query._choose_db_if_not_chosen()
    query._make_query()
    select_sql, params = query.query.get_parameterized_sql()
    conn = db()
    now = _db_now()
    if conn.capabilities.dialect == "postgres":
        n = len(params)
        cart_p, now_p, values = f"CAST(${n + 1} AS INTEGER)", f"CAST(${n + 2} AS TIMESTAMPTZ)", [*params, cart.id, now]
    else:
        cart_p, now_p, values = "?", "?", [cart.id, now, *params]
    # SQLite needs a WHERE before ON CONFLICT in INSERT … SELECT (parsing ambiguity).
    await conn.execute_query(
        f"INSERT INTO cart_item (cart_id, image_id, added_at) SELECT {cart_p}, m.id, {now_p} "
        f"FROM ({select_sql}) m WHERE 1 = 1 ON CONFLICT (cart_id, image_id) DO NOTHING",
        values,
    )
    return await _after_add(cart, requested)


def _db_now():
    """Now, as the ``added_at`` column stores it (tortoise's own conversion)."""
    return CartItem._meta.fields_map["added_at"].to_db_value(utcnow(), CartItem)


async def _after_add(cart: Cart, requested: int) -> AddResult:
    before = cart.billable_count
    groups = await refresh_groups(cart)
    added = max(0, len(groups) - before)
    return AddResult(cart=cart, groups=groups, added=added, duplicates_removed=max(0, requested - added))


async def remove_images(user, store_id: int, image_ids: list[int]) -> tuple[Cart, grouping.Groups]:
    _ids(image_ids)
    cart = await open_cart(user, store_id)
    await CartItem.filter(cart_id=cart.id, image_id__in=image_ids).delete()
    return cart, await refresh_groups(cart)


async def clear(user, store_id: int) -> Cart:
    cart = await open_cart(user, store_id)
    await empty(cart)
    return cart


async def empty(cart: Cart) -> None:
    await CartItem.filter(cart_id=cart.id).delete()
    cart.billable_count = 0
    await cart.save(update_fields=["billable_count", "updated_at"])


async def refresh_groups(cart: Cart) -> grouping.Groups:
    groups = await cart_groups(cart.id)
    cart.billable_count = len(groups)
    await cart.save(update_fields=["billable_count", "updated_at"])
    return groups


GROUP_WHERE = """
FROM cart_item ci JOIN image i ON i.id = ci.image_id
WHERE ci.cart_id = {p} AND i.removed_at IS NULL AND i.analysis_status <> 'UNREADABLE'
"""
# PostgreSQL: one row of six arrays (asyncpg decodes them in C; 100 000 records cost ~10× more).
GROUP_ARRAYS_SQL = ("SELECT array_agg(ci.image_id), array_agg(i.sha256), array_agg(i.phash), array_agg(i.colour_grid), "
                    "array_agg(i.width), array_agg(i.height)" + GROUP_WHERE)
GROUP_ROWS_SQL = "SELECT ci.image_id, i.sha256, i.phash, i.colour_grid, i.width, i.height" + GROUP_WHERE


async def cart_components(cart_id: int) -> grouping.Components:
    """The cart's duplicate groups as arrays: exact ones (same bytes) and near ones
    (core.carts.groups). Images removed from the store or unreadable since they were
    added do not count."""
    conn = db()
    if conn.capabilities.dialect == "postgres":
        async with conn.acquire_connection() as raw:
            row = await raw.fetchrow(GROUP_ARRAYS_SQL.format(p="$1"), cart_id)
        columns = [c or [] for c in row]
    else:
        async with conn.acquire_connection() as raw:
            cursor = await raw.execute(GROUP_ROWS_SQL.format(p="?"), [cart_id])
            rows = list(await cursor.fetchall())
        columns = [list(c) for c in zip(*rows)] if rows else [[] for _ in range(6)]
    ids, shas, phashes, grids, widths, heights = columns
    return grouping.components(ids, grouping.exact_roots(ids, shas), phashes, grids, widths, heights)


async def cart_groups(cart_id: int) -> grouping.Groups:
    """The cart's duplicate groups (a read-only list), by their representative (smallest) image id."""
    return (await cart_components(cart_id)).groups()


def items(cart: Cart):
    return CartItem.filter(cart_id=cart.id)
