"""Keyset pagination for Relay connections: the cursor holds the sort value and the
id of the last row, so page 5 000 costs what page 1 costs (no OFFSET)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

import strawberry
from strawberry import relay
from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from core.errors import DomainError

MAX_PAGE = 100
T = TypeVar("T")


def encode_cursor(value: Any, row_id: int) -> str:
    if isinstance(value, datetime):
        value = {"t": value.isoformat()}
    return base64.urlsafe_b64encode(json.dumps([value, row_id], separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str) -> tuple[Any, int]:
    try:
        value, row_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if isinstance(value, dict):
            value = datetime.fromisoformat(value["t"])
        if not isinstance(row_id, int):
            raise ValueError
        return value, row_id
    except (ValueError, TypeError, KeyError, json.JSONDecodeError):
        raise DomainError("This cursor is not one Pixport gave out.", field="after") from None


def check_first(first: int | None) -> int:
    first = MAX_PAGE if first is None else first
    if not 0 <= first <= MAX_PAGE:
        raise DomainError(f"first must be between 0 and {MAX_PAGE}.", field="first")
    return first


@dataclass
class KeysetPage(Generic[T]):
    rows: list[T]
    cursors: list[str]
    has_next: bool
    has_previous: bool

    def page_info(self) -> relay.PageInfo:
        return relay.PageInfo(
            has_next_page=self.has_next, has_previous_page=self.has_previous,
            start_cursor=self.cursors[0] if self.cursors else None,
            end_cursor=self.cursors[-1] if self.cursors else None,
        )


async def keyset_page(query: QuerySet, column: str, descending: bool, first: int | None, after: str | None) -> KeysetPage:
    first = check_first(first)
    if after:
        value, last_id = decode_cursor(after)
        if column == "id":
            query = query.filter(id__lt=last_id) if descending else query.filter(id__gt=last_id)
        else:
            # (column, id) after (value, last_id), written so that the database can start an
            # index range scan at ``value`` (the first condition) instead of scanning.
            op, op_or_equal = ("lt", "lte") if descending else ("gt", "gte")
            query = query.filter(
                Q(**{f"{column}__{op_or_equal}": value})
                & (Q(**{f"{column}__{op}": value}) | Q(**{f"id__{op}": last_id}))
            )
    order = [f"-{column}", "-id"] if descending else [column, "id"]
    if column == "id":
        order = order[:1]
    rows = await query.order_by(*order).limit(first + 1)
    rows, more = rows[:first], len(rows) > first
    cursors = [encode_cursor(getattr(r, column), r.id) for r in rows]
    return KeysetPage(rows=rows, cursors=cursors, has_next=more, has_previous=after is not None)


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class CountedConnection:
    """The base of a connection whose ``totalCount`` is counted only when asked for."""

    count_query: strawberry.Private[QuerySet]

    @strawberry.field
    async def total_count(self) -> int:
        return await self.count_query.count()
