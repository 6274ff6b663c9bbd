"""Reading the catalog: the images a merchant filters, sorts and counts, and
products to pick from. One place builds the filtered set, so the grid, its facets
and "select all matching" always agree."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from cachetools import TTLCache
from tortoise.expressions import Q
from tortoise.functions import Count
from tortoise.queryset import QuerySet

from core.accounts.visibility import rows_visible_to
from core.catalog.models import BackgroundKind, Image, Product
from core.errors import DomainError


class ImageSortField(str, Enum):
    PRODUCT_NAME = "PRODUCT_NAME"
    MODIFIED_AT = "MODIFIED_AT"
    SIZE = "SIZE"  # width in pixels
    FILE_BYTES = "FILE_BYTES"
    ID = "ID"


SORT_COLUMNS = {
    ImageSortField.PRODUCT_NAME: "product_name",
    ImageSortField.MODIFIED_AT: "modified_at",
    ImageSortField.SIZE: "width",
    ImageSortField.FILE_BYTES: "file_bytes",
    ImageSortField.ID: "id",
}

SIZE_BUCKETS = [  # by the longer side, in pixels
    ("UNDER_500", 1, 499),
    ("500_999", 500, 999),
    ("1000_1999", 1000, 1999),
    ("2000_PLUS", 2000, None),
]

MAX_SEARCH = 200


@dataclass
class ImageFilter:
    search: str | None = None
    product_ids: list[int] = field(default_factory=list)
    brands: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    backgrounds: list[BackgroundKind] = field(default_factory=list)
    formats: list[str] = field(default_factory=list)
    min_width: int | None = None
    max_width: int | None = None
    min_height: int | None = None
    max_height: int | None = None
    edited: bool | None = None
    visible: bool | None = None
    analysis: list[str] = field(default_factory=list)


def visible_products(user) -> QuerySet[Product]:
    return rows_visible_to(user, Product, "store__account_id")


def visible_images(user) -> QuerySet[Image]:
    return rows_visible_to(user, Image, "store__account_id")


def live_images(store_id: int) -> QuerySet[Image]:
    return Image.filter(store_id=store_id, removed_at__isnull=True)


def filtered_images(store_id: int, f: ImageFilter | None) -> QuerySet[Image]:
    query = live_images(store_id)
    if f is None:
        return query
    if f.search:
        text = f.search.strip()
        if len(text) > MAX_SEARCH:
            raise DomainError(f"Search at most {MAX_SEARCH} characters.", field="filter.search")
        if text:
            query = query.filter(Q(product_name__icontains=text) | Q(sku__icontains=text) | Q(file_name__icontains=text))
    if f.product_ids:
        query = query.filter(product_id__in=f.product_ids)
    if f.brands:
        query = query.filter(brand__in=f.brands)
    if f.categories:
        any_of = Q()
        for category in f.categories:
            any_of |= Q(category_ids__contains=f",{category},")
        query = query.filter(any_of)
    if f.backgrounds:
        query = query.filter(background__in=f.backgrounds)
    if f.formats:
        query = query.filter(format__in=[x.upper() for x in f.formats])
    for column, bound, op in (("width", f.min_width, "gte"), ("width", f.max_width, "lte"),
                              ("height", f.min_height, "gte"), ("height", f.max_height, "lte")):
        if bound is not None:
            if bound < 0:
                raise DomainError("Sizes are zero or more pixels.", field=f"filter.{op}{column}")
            query = query.filter(**{f"{column}__{op}": bound})
            if op == "lte":
                query = query.filter(**{f"{column}__gt": 0})  # unknown size is not "small"
    if f.edited is not None:
        query = query.filter(edited=f.edited)
    if f.visible is not None:
        query = query.filter(is_visible=f.visible)
    if f.analysis:
        query = query.filter(analysis_status__in=f.analysis)
    return query


# Counting a filtered set of a million images takes PostgreSQL a few hundred ms, and a
# grid asks for the same count with every page it loads. Counts are kept a few seconds
# per API process: a count seen while a sync writes may lag by that much, never more.
COUNT_TTL_SECONDS = 5.0
_counts: TTLCache = TTLCache(maxsize=10_000, ttl=COUNT_TTL_SECONDS)


def forget_counts() -> None:
    _counts.clear()


async def count_images(store_id: int, f: ImageFilter | None) -> int:
    key = (store_id, repr(f))
    if key not in _counts:
        _counts[key] = await filtered_images(store_id, f).count()
    return _counts[key]


async def facets(store_id: int, f: ImageFilter | None) -> dict[str, dict[str, int]]:
    """Counts per background kind, format, brand and size bucket of the filtered set."""
    query = filtered_images(store_id, f)
    result: dict[str, dict[str, int]] = {}
    for name, column in (("background", "background"), ("format", "format"), ("brand", "brand")):
        rows = await query.group_by(column).annotate(n=Count("id")).values(column, "n")
        result[name] = {str(getattr(r[column], "value", r[column]) or "UNKNOWN"): r["n"] for r in rows}
    sizes: dict[str, int] = {}
    rows = await query.group_by("width", "height").annotate(n=Count("id")).values("width", "height", "n")
    for r in rows:
        longer = max(r["width"], r["height"])
        bucket = next((b for b, lo, hi in SIZE_BUCKETS if lo <= longer and (hi is None or longer <= hi)), "UNKNOWN")
        sizes[bucket] = sizes.get(bucket, 0) + r["n"]
    result["size"] = sizes
    return result


def products(store_id: int, search: str | None) -> QuerySet[Product]:
    query = Product.filter(store_id=store_id, removed_at__isnull=True)
    if search and search.strip():
        text = search.strip()[:MAX_SEARCH]
        query = query.filter(Q(name__icontains=text) | Q(sku__icontains=text))
    return query
