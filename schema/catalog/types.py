from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry import relay

from core.catalog import services
from core.catalog.models import AnalysisStatus, BackgroundKind, Image, Product
from schema.base import ModelNode
from schema.context import Info
from schema.loaders import loader
from schema.pagination import CountedConnection, Edge

BackgroundKindEnum = strawberry.enum(BackgroundKind, name="BackgroundKind")
AnalysisStatusEnum = strawberry.enum(AnalysisStatus, name="AnalysisStatus")
ImageSortFieldEnum = strawberry.enum(services.ImageSortField, name="ImageSortField")


@strawberry.enum
class SortDirection(Enum):
    ASC = "ASC"
    DESC = "DESC"


@strawberry.type(name="Product")
class ProductNode(ModelNode):
    id: relay.NodeID[int]
    external_id: str
    name: str
    sku: str
    brand: str
    categories: list[str]
    is_visible: bool
    modified_at: datetime | None

    @classmethod
    def visible(cls, user):
        return services.visible_products(user)

    @classmethod
    def from_model(cls, p: Product) -> "ProductNode":
        return cls(id=p.id, external_id=p.external_id, name=p.name, sku=p.sku, brand=p.brand,
                   categories=list(p.categories or []), is_visible=p.is_visible, modified_at=p.modified_at)


@strawberry.type(description="Where an image sits in the store.")
class ImageLocation:
    product_id: relay.GlobalID
    variant_external_id: str | None
    position: int
    is_thumbnail: bool
    alt_text: str


@strawberry.type(name="Image", description="A product or variant image of a connected store.")
class ImageNode(ModelNode):
    id: relay.NodeID[int]
    external_id: str
    file_name: str
    url: str
    thumbnail_url: str | None
    product_name: str
    sku: str
    brand: str
    is_visible: bool
    modified_at: datetime
    analysis_status: AnalysisStatusEnum
    unreadable_reason: str | None
    width: int | None
    height: int | None
    format: str | None
    file_bytes: int | None
    background: BackgroundKindEnum | None
    edited: bool
    location: ImageLocation
    product_pk: strawberry.Private[int]

    @strawberry.field
    async def product(self, info: Info) -> ProductNode:
        return ProductNode.from_model(await loader(info, "product_by_id", Product).load(self.product_pk))

    @classmethod
    def visible(cls, user):
        return services.visible_images(user)

    @classmethod
    def from_model(cls, i: Image) -> "ImageNode":
        analysed = i.analysis_status == AnalysisStatus.DONE
        return cls(
            id=i.id, external_id=i.external_id, file_name=i.file_name, url=i.source_url, thumbnail_url=i.thumbnail_url,
            product_name=i.product_name, sku=i.sku, brand=i.brand, is_visible=i.is_visible, modified_at=i.modified_at,
            analysis_status=i.analysis_status, unreadable_reason=i.unreadable_reason or None,
            width=i.width if analysed else None, height=i.height if analysed else None,
            format=i.format if analysed else None, file_bytes=i.file_bytes if analysed else None,
            background=i.background if analysed else None, edited=i.edited,
            location=ImageLocation(
                product_id=relay.GlobalID("Product", str(i.product_id)), variant_external_id=i.variant_external_id,
                position=i.position, is_thumbnail=i.is_thumbnail, alt_text=i.alt_text,
            ),
            product_pk=i.product_id,
        )


@strawberry.type
class ImageConnection:
    edges: list[Edge[ImageNode]]
    page_info: relay.PageInfo
    store_id: strawberry.Private[int]
    filter: strawberry.Private[services.ImageFilter | None]

    @strawberry.field(description="Images matching the filter (counted only when asked for; may lag a few seconds).")
    async def total_count(self) -> int:
        return await services.count_images(self.store_id, self.filter)


@strawberry.type
class ProductConnection(CountedConnection):
    edges: list[Edge[ProductNode]]
    page_info: relay.PageInfo


@strawberry.type
class FacetCount:
    value: str
    count: int


@strawberry.type(description="How many of the filtered images fall in each value.")
class ImageFacets:
    background: list[FacetCount]
    format: list[FacetCount]
    brand: list[FacetCount]
    size: list[FacetCount]
