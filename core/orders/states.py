"""The order lifecycle (ARCHITECTURE.md) as data, and the one guarded way to move."""

from __future__ import annotations

from enum import Enum


class OrderStatus(str, Enum):
    DRAFT = "DRAFT"  # made from the cart: spec attached, price shown
    AWAITING_PAYMENT = "AWAITING_PAYMENT"  # approved by the merchant
    IN_PRODUCTION = "IN_PRODUCTION"  # paid; due = paid + turnaround
    READY_FOR_REVIEW = "READY_FOR_REVIEW"  # every image edited
    PUBLISHING = "PUBLISHING"
    PUBLISHED = "PUBLISHED"
    PARTIALLY_PUBLISHED = "PARTIALLY_PUBLISHED"
    CANCELLED = "CANCELLED"
    REFUNDED = "REFUNDED"


S = OrderStatus
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.DRAFT: frozenset({S.AWAITING_PAYMENT, S.CANCELLED}),
    S.AWAITING_PAYMENT: frozenset({S.IN_PRODUCTION, S.CANCELLED}),
    S.IN_PRODUCTION: frozenset({S.READY_FOR_REVIEW, S.REFUNDED}),
    S.READY_FOR_REVIEW: frozenset({S.PUBLISHING, S.IN_PRODUCTION, S.REFUNDED}),  # back: a redo
    # back to READY_FOR_REVIEW: a rollback took every published image out of the store again
    S.PUBLISHING: frozenset({S.PUBLISHED, S.PARTIALLY_PUBLISHED, S.READY_FOR_REVIEW}),
    S.PUBLISHED: frozenset({S.PUBLISHING}),  # a rollback or another publish runs as a publish
    S.PARTIALLY_PUBLISHED: frozenset({S.PUBLISHING}),  # retry the failed items
    S.CANCELLED: frozenset(),
    S.REFUNDED: frozenset(),
}

EDITABLE = frozenset({S.DRAFT, S.AWAITING_PAYMENT})  # spec and comment may change, re-quoted
PAID = frozenset({S.IN_PRODUCTION, S.READY_FOR_REVIEW, S.PUBLISHING, S.PUBLISHED, S.PARTIALLY_PUBLISHED})


def can_move(frm: OrderStatus, to: OrderStatus) -> bool:
    return to in TRANSITIONS[frm]
