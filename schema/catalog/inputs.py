from __future__ import annotations

import strawberry
from strawberry import relay

from core.catalog import services
from schema.base import decode_id
from schema.catalog.types import AnalysisStatusEnum, BackgroundKindEnum, ImageSortFieldEnum, SortDirection

MAX_LIST = 100


@strawberry.input(description="Every condition given must hold; lists mean any of.")
class ImageFilter:
    search: str | None = strawberry.field(default=None, description="Text in product name, SKU or file name.")
    product_ids: list[relay.GlobalID] | None = None
    brand: list[str] | None = None
    categories: list[str] | None = None
    background: list[BackgroundKindEnum] | None = None
    formats: list[str] | None = None
    min_width: int | None = None
    max_width: int | None = None
    min_height: int | None = None
    max_height: int | None = None
    edited: bool | None = None
    visible: bool | None = None
    analysis: list[AnalysisStatusEnum] | None = None

    def to_core(self) -> services.ImageFilter:
        from core.errors import DomainError

        for name in ("product_ids", "brand", "categories", "formats"):
            if len(getattr(self, name) or []) > MAX_LIST:
                raise DomainError(f"At most {MAX_LIST} values.", field=f"filter.{name}")
        return services.ImageFilter(
            search=self.search,
            product_ids=[decode_id(p, "Product", "filter.productIds") for p in self.product_ids or []],
            brands=list(self.brand or []), categories=list(self.categories or []),
            backgrounds=list(self.background or []), formats=list(self.formats or []),
            min_width=self.min_width, max_width=self.max_width, min_height=self.min_height,
            max_height=self.max_height, edited=self.edited, visible=self.visible,
            analysis=[a.value for a in self.analysis or []],
        )


@strawberry.input
class ImageSort:
    field: ImageSortFieldEnum = services.ImageSortField.ID
    direction: SortDirection = SortDirection.ASC
