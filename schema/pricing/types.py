from __future__ import annotations

import strawberry

from core.pricing.services import PriceQuote
from schema.base import Money


@strawberry.type
class PriceQuoteLine:
    code: str
    description: str
    quantity: int
    unit_amount: Money
    amount: Money


@strawberry.type(name="PriceQuote", description="Line items and total for a number of billable images "
                                               "(duplicates are never charged).")
class PriceQuoteType:
    lines: list[PriceQuoteLine]
    total: Money
    turnaround_hours: int
    image_count: int

    @classmethod
    def from_quote(cls, q: PriceQuote) -> "PriceQuoteType":
        money = lambda amount: Money(amount=amount, currency=q.currency)  # noqa: E731
        return cls(
            lines=[PriceQuoteLine(code=line.code, description=line.description, quantity=line.quantity,
                                  unit_amount=money(line.unit_amount), amount=money(line.amount)) for line in q.lines],
            total=money(q.total), turnaround_hours=q.turnaround_hours, image_count=q.image_count,
        )
