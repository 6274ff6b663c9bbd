"""Production's GraphQL vocabulary: where an image is, its files (signed, expiring
links), and an order's progress. The OrderImage and Order types use these."""

from __future__ import annotations

from datetime import datetime

import strawberry

from core.production.states import EditedBy, ProductionStatus
from core.storage.signing import signed_url

ProductionStatusEnum = strawberry.enum(ProductionStatus, name="ProductionStatus",
                                       description="Where an order image is in production.")
EditedByEnum = strawberry.enum(EditedBy, name="EditedBy", description="Who made the result.")


@strawberry.type(description="An image file: a signed link that expires, and what the file is.")
class ImageFile:
    url: str = strawberry.field(description="Readable by whoever holds it until expiresAt; ask again after.")
    expires_at: datetime
    width: int
    height: int
    bytes: int
    format: str | None

    @classmethod
    def of(cls, key: str, width: int, height: int, size: int, fmt: str | None) -> "ImageFile":
        url, expires = signed_url(key)
        return cls(url=url, expires_at=expires, width=width, height=height, bytes=size, format=fmt)


@strawberry.type(description="Why an original cannot be edited (code: CORRUPT, TOO_LARGE, GONE, ...).")
class ProductionError:
    code: str
    message: str


@strawberry.type(description="How many images of the order are at each production step.")
class OrderProduction:
    total: int
    queued: int = strawberry.field(description="Paid, original not downloaded yet.")
    editing: int = strawberry.field(description="With the editing engine.")
    retouch: int = strawberry.field(description="Waiting for a retoucher (or with one).")
    failed: int = strawberry.field(description="The original cannot be edited; a person looks at it.")
    done: int = strawberry.field(description="With a validated result.")

    @classmethod
    def of(cls, counts: dict[ProductionStatus, int]) -> "OrderProduction":
        s = ProductionStatus
        return cls(total=sum(counts.values()), queued=counts.get(s.QUEUED, 0), editing=counts.get(s.EDITING, 0),
                   retouch=counts.get(s.RETOUCH, 0), failed=counts.get(s.FAILED, 0), done=counts.get(s.DONE, 0))
