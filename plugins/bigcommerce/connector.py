"""The BigCommerce connector (placeholder so entry-point discovery works; filled in next)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from core.connectors import ConnectorError, ConnectorErrorCode, ExternalProduct, Page, StoreAccess, StoreInfo


def _todo() -> ConnectorError:
    return ConnectorError(ConnectorErrorCode.INVALID, "BigCommerce connector: not implemented yet")


class BigCommerceConnector:
    platform = "bigcommerce"

    def __init__(self, access: StoreAccess) -> None:
        self.access = access

    @classmethod
    def http_routes(cls) -> list:
        return []

    async def store_info(self) -> StoreInfo:
        raise _todo()

    async def list_products(self, cursor: str | None = None, *, modified_since: datetime | None = None) -> Page:
        raise _todo()

    async def get_product(self, product_external_id: str) -> ExternalProduct | None:
        raise _todo()

    async def search_products(self, text: str, limit: int = 20) -> list[ExternalProduct]:
        raise _todo()

    async def fetch_image(self, url: str, *, max_bytes: int) -> bytes:
        raise _todo()

    async def install_webhooks(self, destination: str, headers: Mapping[str, str]) -> None:
        raise _todo()

    async def remove_webhooks(self, destination: str) -> None:
        raise _todo()

    async def close(self) -> None:
        return None
