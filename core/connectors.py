"""The connector port: what an e-commerce platform must offer Pixport.

Nothing here is platform-shaped. A platform plugin (``plugins/<name>/``) implements
``Connector`` and registers a factory under the ``pixport.connectors`` entry-point
group; ``core`` finds it with ``connector_for(store)``. The port lives in ``core``
because core's services call it and core imports no plugin; ``plugins/base.py``
re-exports it for plugin authors.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from importlib.metadata import entry_points
from typing import Any, ClassVar, Protocol, runtime_checkable

ENTRY_POINT_GROUP = "pixport.connectors"


class ConnectorErrorCode(str, enum.Enum):
    RATE_LIMITED = "RATE_LIMITED"  # retry after ``retry_after`` seconds
    UNAUTHORIZED = "UNAUTHORIZED"  # the token was revoked: the store must be reinstalled
    NOT_FOUND = "NOT_FOUND"
    TRANSIENT = "TRANSIENT"  # 5xx, network: retry later
    INVALID = "INVALID"  # the platform refused the request; retrying will not help


class ConnectorError(Exception):
    def __init__(self, code: ConnectorErrorCode, message: str, *, retry_after: float | None = None):
        super().__init__(f"{code.value}: {message}")
        self.code = code
        self.message = message
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        return self.code in (ConnectorErrorCode.RATE_LIMITED, ConnectorErrorCode.TRANSIENT)


@dataclass(frozen=True, slots=True)
class ExternalImage:
    """One image as the platform has it, and where it sits."""

    external_id: str  # unique within the store (a variant image gets its own id)
    product_external_id: str
    url: str  # the largest rendition the platform serves
    thumbnail_url: str | None = None
    variant_external_id: str | None = None
    position: int = 0
    is_thumbnail: bool = False
    alt_text: str = ""
    file_name: str = ""
    modified_at: datetime | None = None
    original_url: str | None = None  # the file as uploaded, where the platform serves it (kept for rollback)


@dataclass(frozen=True, slots=True)
class ExternalProduct:
    external_id: str
    name: str
    sku: str = ""
    brand: str = ""
    categories: tuple[str, ...] = ()
    is_visible: bool = True
    modified_at: datetime | None = None
    images: tuple[ExternalImage, ...] = ()


@dataclass(frozen=True, slots=True)
class Page:
    """A page of products; ``next_cursor`` resumes after it (None: this was the last)."""

    products: list[ExternalProduct]
    next_cursor: str | None
    total: int | None = None  # products in the whole listing, when the platform says


@dataclass(frozen=True, slots=True)
class StoreInfo:
    external_id: str
    name: str
    domain: str
    currency: str = "USD"
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StoreAccess:
    """What a connector needs to talk to one store (the token decrypted, in memory only)."""

    store_id: int
    external_id: str
    access_token: str
    image_hosts: tuple[str, ...] = ()  # the only hosts image bytes are fetched from


@dataclass(frozen=True, slots=True)
class ImageUpload:
    """An image file to write to the store. ``key`` is the idempotency key: the
    connector leaves it on what it writes (where the platform keeps it, e.g. in the
    file name) so that the write can be found again after an ambiguous failure."""

    data: bytes
    ext: str  # jpg, png, webp...
    key: str  # short, lower-case letters and digits only
    url: str | None = None  # a signed, expiring link to the same bytes, for writes a platform takes by URL

    @property
    def file_name(self) -> str:
        return f"{self.key}.{self.ext.lower().lstrip('.')}"


@runtime_checkable
class Connector(Protocol):
    platform: ClassVar[str]

    async def store_info(self) -> StoreInfo: ...

    async def list_products(self, cursor: str | None = None, *, modified_since: datetime | None = None) -> Page:
        """Products with their images, in a stable order, resumable from ``cursor``."""
        ...

    async def get_product(self, product_external_id: str) -> ExternalProduct | None: ...

    async def search_products(self, text: str, limit: int = 20) -> list[ExternalProduct]: ...

    async def fetch_image(self, url: str, *, max_bytes: int) -> bytes:
        """The bytes at ``url``, only from the store's image hosts, at most ``max_bytes``."""
        ...

    # ---- publishing --------------------------------------------------------------------
    # Every write takes an idempotency key (``ImageUpload.key`` or ``key``). With
    # ``resume=True`` (a write with this key may already have happened: a crash or a lost
    # answer) the connector first looks for what the key left and adopts it instead of
    # writing again. Raises ConnectorError(NOT_FOUND) when the product (or image) is gone.

    async def list_product_images(self, product_external_id: str) -> list[ExternalImage]:
        """The product's images now, in position order, with its variants' images."""
        ...

    async def replace_image(self, product_external_id: str, current: ExternalImage, upload: ImageUpload, *,
                            resume: bool = False) -> ExternalImage:
        """``upload`` takes the slot of ``current`` (as ``list_product_images`` gave it):
        same position, thumbnail flag and alt text; ``current`` is removed. A variant's
        image is replaced through the variant. Returns the image now in the slot."""
        ...

    async def add_image(self, product_external_id: str, upload: ImageUpload, *, alt_text: str = "",
                        resume: bool = False) -> ExternalImage:
        """Append ``upload`` to the product (any product of the store: also "copy to
        another product"), last and not the thumbnail."""
        ...

    async def remove_image(self, product_external_id: str, image_external_id: str) -> bool:
        """Remove an image; False if it was already gone (so it is safe to repeat)."""
        ...

    async def set_variant_image(self, product_external_id: str, variant_external_id: str,
                                upload: ImageUpload) -> ExternalImage:
        """Make ``upload`` the variant's image (a variant has one: setting it again
        replaces it, so this is idempotent by nature)."""
        ...

    async def install_webhooks(self, destination: str, headers: Mapping[str, str]) -> None:
        """Subscribe ``destination`` to product changes, sending ``headers`` with each
        delivery (the store's secret). Safe to repeat: no duplicate subscriptions."""
        ...

    async def remove_webhooks(self, destination: str) -> None: ...

    async def close(self) -> None: ...


class ConnectorFactory(Protocol):
    """The registered class. ``http_routes()`` (optional) returns the web routes the
    platform calls — app install, load, webhooks — which the API mounts."""

    platform: ClassVar[str]

    def __call__(self, access: StoreAccess) -> Connector: ...


@cache
def factories() -> dict[str, ConnectorFactory]:
    """Every installed platform plugin, by platform key."""
    return {ep.name: ep.load() for ep in entry_points(group=ENTRY_POINT_GROUP)}


def connector_class(platform: str) -> ConnectorFactory:
    try:
        return factories()[platform]
    except KeyError:
        raise ConnectorError(ConnectorErrorCode.INVALID, f"no connector for platform {platform!r}") from None
