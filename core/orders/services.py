"""Orders: made from the cart, edited while unpaid (re-quoted), approved,
cancelled; every status change goes through ``transition`` and is announced."""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np
from tortoise.transactions import in_transaction

from core.accounts.visibility import rows_visible_to
from core import runtime
from core.carts import services as carts
from core.carts.errors import EmptyCart
from core.errors import DomainError
from core.orders.errors import OrderInvalidTransition, OrderNotFound
from core.orders.models import Order, OrderImage, OrderImageLocation
from core.orders.states import EDITABLE, OrderStatus, can_move
from core.pricing.services import PriceQuote, quote
from core.specs import services as specs
from core.specs.models import Specification, SpecificationVersion
from core.timeutil import utcnow

MAX_COMMENT = 5_000


def channel(order_id: int) -> str:
    return f"order:{order_id}"


def visible_orders(user):
    return rows_visible_to(user, Order)


async def get_for_user(user, order_id: int, field: str = "id") -> Order:
    order = await visible_orders(user).filter(id=order_id).first()
    if order is None:
        raise OrderNotFound("No such order.", field=field)
    return order


def number_for(order_id: int) -> str:
    return f"PX-{order_id:06d}"


def _comment(comment: str | None) -> str:
    text = (comment or "").strip()
    if len(text) > MAX_COMMENT:
        raise DomainError(f"A comment is at most {MAX_COMMENT} characters.", field="input.comment")
    return text


async def _spec(user, spec_id: int) -> tuple[Specification, SpecificationVersion]:
    spec = await specs.get_for_user(user, spec_id, field="input.specificationId")
    return spec, await specs.current_version(spec)


def _quote_for(version: SpecificationVersion, image_count: int) -> PriceQuote:
    return quote(specs.options_of(version), image_count)


async def announce(order: Order) -> None:
    await runtime.current().bus.publish(channel(order.id), {"id": order.id, "status": order.status.value})


# ---- the lifecycle ------------------------------------------------------------------------


async def transition(order: Order, to: OrderStatus, field: str = "id") -> Order:
    """The one way an order's status changes: legal moves only (TRANSITIONS), applied
    with a conditional UPDATE so that two racing requests cannot both move it."""
    frm = order.status
    if not can_move(frm, to):
        raise OrderInvalidTransition(f"An order that is {frm.value} cannot become {to.value}.", field=field)
    now = utcnow()
    changes: dict = {"status": to, "updated_at": now}
    if to == OrderStatus.AWAITING_PAYMENT:
        changes["approved_at"] = now
    elif to == OrderStatus.IN_PRODUCTION and order.paid_at is None:
        changes["paid_at"] = now
        changes["due_at"] = now + timedelta(hours=order.turnaround_hours)
    elif to == OrderStatus.CANCELLED:
        changes["cancelled_at"] = now
    elif to == OrderStatus.READY_FOR_REVIEW and frm == OrderStatus.IN_PRODUCTION:
        changes["ready_at"] = now  # (back from a rolled-back publish it was ready long before)
    intake = None
    async with in_transaction():
        moved = await Order.filter(id=order.id, status=frm).update(**changes)
        if not moved:
            raise OrderInvalidTransition("The order changed meanwhile; reload it.", field=field)
        if to == OrderStatus.IN_PRODUCTION:
            await specs.lock_version(order.spec_version_id)  # a paid order's recipe never changes
        for name, value in changes.items():
            setattr(order, name, value)
        if to == OrderStatus.IN_PRODUCTION and frm == OrderStatus.AWAITING_PAYMENT:
            from core.production import services as production  # production builds on orders

            intake = await production.create_intake(order)  # with the move: paid means produced
    if intake is not None:
        from core.jobs import services as jobs

        await jobs.enqueue(intake)  # after the commit: the runner must see the rows
    await announce(order)
    return order


# ---- create from the cart ----------------------------------------------------------------

def _mapping_source(conn, image_ids: list[int], group_nos: list[int], sizes: list[int],
                    first: int) -> tuple[str, list]:
    """A row source (image_id, group_no, size) from Python lists, set-based on both
    databases: unnest() of arrays on PostgreSQL, json_each() on SQLite. ``size`` is the
    group's number of images on its representative's row, 0 on the others."""
    if conn.capabilities.dialect == "postgres":
        return ((f"SELECT * FROM unnest(${first}::int[], ${first + 1}::int[], ${first + 2}::int[]) "
                "AS m(image_id, group_no, size)"), [image_ids, group_nos, sizes])
    return (("SELECT json_extract(value, '$[0]') AS image_id, json_extract(value, '$[1]') AS group_no, "
            "json_extract(value, '$[2]') AS size FROM json_each(?)"),
            [json.dumps([list(t) for t in zip(image_ids, group_nos, sizes)], separators=(",", ":"))])


_ORDER_IMAGE_INSERT = (
    "INSERT INTO order_image (order_id, group_no, image_id, source_url, file_name, sha256, width, height, format, "
    "location_count, production_status, original_bytes, result_width, result_height, result_bytes, "
    "retouch_reason, error_message, redo_note, redo_count) "
    "SELECT {p1}, m.group_no, i.id, i.source_url, i.file_name, i.sha256, i.width, i.height, i.format, m.size, "
    "'QUEUED', 0, 0, 0, 0, '', '', '', 0 "  # the model's defaults: a raw INSERT gets none from the database
    "FROM {m} JOIN image i ON i.id = m.image_id WHERE m.size > 0")
_LOCATION_INSERT = (
    "INSERT INTO order_image_location (order_id, order_image_id, image_id, image_external_id, product_id, "
    "product_external_id, variant_external_id, position, is_thumbnail, alt_text) "
    "SELECT {p1}, oi.id, i.id, i.external_id, i.product_id, p.external_id, i.variant_external_id, "
    "i.position, i.is_thumbnail, i.alt_text "
    "FROM {m} JOIN image i ON i.id = m.image_id JOIN product p ON p.id = i.product_id "
    "JOIN {oi} AND oi.group_no = m.group_no")


async def _snapshot(conn, order_id: int, groups) -> None:
    """OrderImages (one per group, its representative's file) and their locations (every
    image of the group), set-based: one statement on PostgreSQL, two on SQLite."""
    sizes = groups.sizes()
    image_ids = groups.image_ids.tolist()
    group_nos = np.repeat(np.arange(1, len(groups) + 1), sizes).tolist()
    rep_sizes = np.zeros(groups.image_ids.size, dtype=np.int64)
    rep_sizes[groups.starts] = sizes
    source, params = _mapping_source(conn, image_ids, group_nos, rep_sizes.tolist(), 2)
    if conn.capabilities.dialect == "postgres":
        p1 = "CAST($1 AS INTEGER)"
        sql = (f"WITH m AS ({source}), oi AS ({_ORDER_IMAGE_INSERT.format(p1=p1, m='m')} RETURNING id, group_no) "
               f"{_LOCATION_INSERT.format(p1=p1, m='m', oi='oi ON TRUE')}")
        await conn.execute_query(sql, [order_id, *params])
        return
    p1 = "CAST(? AS INTEGER)"
    await conn.execute_query(_ORDER_IMAGE_INSERT.format(p1=p1, m=f"({source}) m"), [order_id, *params])
    await conn.execute_query(
        _LOCATION_INSERT.format(p1=p1, m=f"({source}) m", oi=f"order_image oi ON oi.order_id = {p1}"),
        [order_id, *params, order_id],
    )


async def create(user, store_id: int, spec_id: int, comment: str | None) -> Order:
    errors: list[DomainError] = []
    cart = await carts.find_cart(user, store_id)
    try:
        spec, version = await _spec(user, spec_id)
    except DomainError as exc:
        errors.append(exc)
    try:
        text = _comment(comment)
    except DomainError as exc:
        errors.append(exc)
    if errors:
        from core.errors import ValidationFailed

        raise ValidationFailed(errors) if len(errors) > 1 else errors[0]
    groups = await carts.cart_components(cart.id) if cart else None
    if not groups:
        raise EmptyCart("The cart is empty: add images first.", field="input.storeId")
    price = _quote_for(version, len(groups))
    async with in_transaction():
        conn = OrderImage._meta.db
        order = await Order.create(
            account_id=user.account_id, store_id=cart.store_id, specification_id=spec.id, spec_version_id=version.id,
            comment=text, image_count=len(groups), quote=price.to_json(), total_amount=price.total,
            currency=price.currency, turnaround_hours=price.turnaround_hours,
        )
        order.number = number_for(order.id)
        await order.save(update_fields=["number"])
        await _snapshot(conn, order.id, groups)
        await carts.empty(cart)
    await announce(order)
    return order


# ---- edit, approve, cancel ---------------------------------------------------------------


async def update(user, order_id: int, spec_id: int | None, comment: str | None) -> Order:
    order = await get_for_user(user, order_id)
    if order.status not in EDITABLE:
        raise OrderInvalidTransition(
            f"Only a draft or an order awaiting payment can change; this one is {order.status.value}.", field="id")
    changes: dict = {}
    if spec_id is not None:
        spec, version = await _spec(user, spec_id)
        changes.update(specification_id=spec.id, spec_version_id=version.id)
    else:
        version = await SpecificationVersion.get(id=order.spec_version_id)
    if comment is not None:
        changes["comment"] = _comment(comment)
    price = _quote_for(version, order.image_count)
    changes.update(quote=price.to_json(), total_amount=price.total, currency=price.currency,
                   turnaround_hours=price.turnaround_hours, updated_at=utcnow())
    moved = await Order.filter(id=order.id, status__in=list(EDITABLE)).update(**changes)
    if not moved:
        raise OrderInvalidTransition("The order changed meanwhile; reload it.", field="id")
    await order.refresh_from_db()
    return order


async def approve(user, order_id: int) -> Order:
    return await transition(await get_for_user(user, order_id), OrderStatus.AWAITING_PAYMENT)


async def cancel(user, order_id: int) -> Order:
    """Cancel an unpaid order; a paid one (not yet published) is refunded in full
    through the provider it was paid with, and becomes REFUNDED."""
    from core.payments import services as payments  # payments build on orders, not the reverse

    order = await get_for_user(user, order_id)
    if can_move(order.status, OrderStatus.REFUNDED) and await payments.refundable(order):
        await payments.refund_order(order)
        return await transition(order, OrderStatus.REFUNDED)
    return await transition(order, OrderStatus.CANCELLED)


async def requote_unpaid(version_id: int) -> None:
    """A version edited in place: its unpaid orders follow it, with a fresh quote."""
    version = await SpecificationVersion.get(id=version_id)
    for order in await Order.filter(spec_version_id=version_id, status__in=list(EDITABLE)):
        price = _quote_for(version, order.image_count)
        await Order.filter(id=order.id, status__in=list(EDITABLE)).update(
            quote=price.to_json(), total_amount=price.total, currency=price.currency,
            turnaround_hours=price.turnaround_hours, updated_at=utcnow())


def stored_quote(order: Order) -> PriceQuote:
    return PriceQuote.from_json(order.quote)


def images(order: Order):
    return OrderImage.filter(order_id=order.id)


def locations(order_image_ids: list[int]):
    return OrderImageLocation.filter(order_image_id__in=order_image_ids)
