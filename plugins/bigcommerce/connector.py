"""The BigCommerce connector: ``core.connectors.Connector`` over the REST API.

Listing is keyset-ordered by id (``sort=id`` + ``id:greater``), 250 products a page with
their images and variants, so a full sync of N products costs ceil(N/250) requests and a
cursor (the last id seen) resumes exactly after the last committed page.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from urllib.parse import urlsplit

import httpx

from core.connectors import (
    ConnectorError,
    ConnectorErrorCode,
    ExternalImage,
    ExternalProduct,
    ImageUpload,
    Page,
    StoreAccess,
    StoreInfo,
)
from plugins.bigcommerce import mapping
from plugins.bigcommerce.client import _FROM_SETTINGS, BigCommerceClient
from plugins.bigcommerce.settings import BigCommerceSettings, current as current_settings

PAGE_SIZE = 250  # BigCommerce's maximum
INCLUDE = "images,variants"
# The three product events, not ``store/product/*``: the wildcard also delivers
# ``store/product/inventory/updated`` and ``.../inventory/order/updated`` on every order,
# which say nothing about images.
HOOK_SCOPES = ("store/product/created", "store/product/updated", "store/product/deleted")
# BigCommerce's CDN: cdn.bigcommerce.com, cdn8..., cdn11.bigcommerce.com
_BC_CDN = re.compile(r"cdn\d*\.bigcommerce\.com")
# The variants spec rejects multipart files over 1 MB (with a 500).
VARIANT_UPLOAD_MAX = 1024 * 1024
IMAGE_URL_MAX = 255
_MIME = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp", "gif": "image/gif",
         "bmp": "image/bmp"}


def _since(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class BigCommerceConnector:
    platform = "bigcommerce"

    def __init__(
        self,
        access: StoreAccess,
        *,
        settings: BigCommerceSettings | None = None,
        redis_url: str | None | object = _FROM_SETTINGS,
        page_size: int = PAGE_SIZE,
    ) -> None:
        self.access = access
        self.settings = settings or current_settings()
        self.page_size = max(1, min(PAGE_SIZE, page_size))
        self.api = BigCommerceClient(access.external_id, access.access_token, self.settings, redis_url=redis_url)
        self._cdn: httpx.AsyncClient | None = None

    def __repr__(self) -> str:
        return f"<BigCommerceConnector store={self.access.external_id}>"

    @classmethod
    def http_routes(cls) -> list:
        from plugins.bigcommerce.routes import routes

        return routes()

    # ---- store and catalog --------------------------------------------------------------

    async def store_info(self) -> StoreInfo:
        return mapping.store_info(await self.api.get("/v2/store"), self.access.external_id)

    async def list_products(self, cursor: str | None = None, *, modified_since: datetime | None = None) -> Page:
        params = {"limit": self.page_size, "include": INCLUDE, "sort": "id", "direction": "asc"}
        if cursor is not None:
            if not str(cursor).isdigit():
                raise ConnectorError(ConnectorErrorCode.INVALID, f"not a BigCommerce cursor: {cursor!r}")
            params["id:greater"] = str(cursor)
        if modified_since is not None:
            params["date_modified:min"] = _since(modified_since)
        body = await self.api.get("/v3/catalog/products", params)
        data = body.get("data") or []
        pagination = (body.get("meta") or {}).get("pagination") or {}
        products = [mapping.product(p) for p in data]
        remaining = pagination.get("total")
        more = bool(data) and (
            int(pagination.get("total_pages", 0)) > int(pagination.get("current_page", 1))
            if pagination else len(data) >= self.page_size
        )
        return Page(
            products=products,
            next_cursor=str(data[-1]["id"]) if more else None,
            total=int(remaining) if cursor is None and remaining is not None else None,
        )

    async def get_product(self, product_external_id: str) -> ExternalProduct | None:
        if not str(product_external_id).isdigit():
            return None
        try:
            body = await self.api.get(f"/v3/catalog/products/{product_external_id}", {"include": INCLUDE})
        except ConnectorError as exc:
            if exc.code == ConnectorErrorCode.NOT_FOUND:
                return None
            raise
        return mapping.product(body["data"])

    async def search_products(self, text: str, limit: int = 20) -> list[ExternalProduct]:
        text = (text or "").strip()
        params = {"limit": max(1, min(PAGE_SIZE, limit)), "include": INCLUDE, "sort": "name"}
        if text:
            params["keyword"] = text[:255]
        body = await self.api.get("/v3/catalog/products", params)
        return [mapping.product(p) for p in body.get("data") or []]

    # ---- image bytes ----------------------------------------------------------------------

    def image_allowed(self, url: str) -> bool:
        """Only the store's own files on BigCommerce's CDN (https), or a host the
        deployment allows (``StoreAccess.image_hosts``: ``host`` or ``host:port``)."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            return False
        host = (parts.hostname or "").lower()
        if parts.scheme not in ("http", "https") or not host or parts.username or parts.password:
            return False
        allowed = {h.lower() for h in self.access.image_hosts}
        if host in allowed or (port is not None and f"{host}:{port}" in allowed):
            return True
        return (
            parts.scheme == "https"
            and port in (None, 443)
            and bool(_BC_CDN.fullmatch(host))
            and parts.path.startswith(f"/s-{self.access.external_id}/")
        )

    async def fetch_image(self, url: str, *, max_bytes: int) -> bytes:
        if not self.image_allowed(url):
            raise ConnectorError(ConnectorErrorCode.INVALID, "image host not allowed for this store")
        if self._cdn is None:
            t = self.settings.timeout_seconds
            self._cdn = httpx.AsyncClient(timeout=httpx.Timeout(t, connect=min(10.0, t)), follow_redirects=False,
                                          limits=httpx.Limits(max_connections=32, max_keepalive_connections=32))
        try:
            async with asyncio.timeout(self.settings.timeout_seconds):
                async with self._cdn.stream("GET", url) as response:
                    status = response.status_code
                    if status == 404 or status == 410:
                        raise ConnectorError(ConnectorErrorCode.NOT_FOUND, f"image not found ({status})")
                    if status == 429:
                        raise ConnectorError(ConnectorErrorCode.RATE_LIMITED, "CDN throttled", retry_after=1.0)
                    if status >= 500:
                        raise ConnectorError(ConnectorErrorCode.TRANSIENT, f"CDN answered {status}")
                    if status != 200:
                        raise ConnectorError(ConnectorErrorCode.INVALID, f"CDN answered {status}")
                    declared = response.headers.get("content-length")
                    if declared and declared.isdigit() and int(declared) > max_bytes:
                        raise ConnectorError(ConnectorErrorCode.INVALID, f"image larger than {max_bytes} bytes")
                    chunks, size = [], 0
                    async for chunk in response.aiter_bytes():
                        size += len(chunk)
                        if size > max_bytes:
                            raise ConnectorError(ConnectorErrorCode.INVALID, f"image larger than {max_bytes} bytes")
                        chunks.append(chunk)
                    return b"".join(chunks)
        except TimeoutError:
            raise ConnectorError(ConnectorErrorCode.TRANSIENT, "image download timed out") from None
        except httpx.HTTPError as exc:
            raise ConnectorError(ConnectorErrorCode.TRANSIENT, f"image download failed: {type(exc).__name__}") from None

    # ---- publishing -----------------------------------------------------------------------
    # BigCommerce has no idempotency keys on catalog writes: the key goes into the uploaded
    # file's name, which BigCommerce keeps in ``image_file`` and the CDN URLs. After an
    # ambiguous failure (a lost answer, a 5xx) or on ``resume``, the product's images are
    # read and an image carrying the key is adopted instead of writing a second one.

    async def list_product_images(self, product_external_id: str) -> list[ExternalImage]:
        product = await self.get_product(product_external_id)
        if product is None:
            raise ConnectorError(ConnectorErrorCode.NOT_FOUND, f"product {product_external_id} not found")
        return list(product.images)

    async def _find_keyed(self, pid: str, key: str) -> dict | None:
        page = 1
        while True:
            body = await self.api.get(f"/v3/catalog/products/{pid}/images", {"limit": PAGE_SIZE, "page": page})
            data = body.get("data") or []
            found = next((i for i in data if mapping.carries_key(i, key)), None)
            pagination = (body.get("meta") or {}).get("pagination") or {}
            if found is not None or not data or int(pagination.get("total_pages", 1)) <= page:
                return found
            page += 1

    async def _post_image(self, pid: str, upload: ImageUpload, fields: dict, resume: bool) -> dict:
        """POST the file once: reconciled by its key after any answer that leaves it unknown."""
        if not str(pid).isdigit():
            raise ConnectorError(ConnectorErrorCode.NOT_FOUND, f"product {pid} not found")
        ext = upload.ext.lower().lstrip(".")
        files = {"image_file": (upload.file_name, upload.data, _MIME.get(ext, "application/octet-stream"))}
        attempts = max(1, self.settings.retry_attempts)
        for attempt in range(attempts):
            if resume or attempt:
                found = await self._find_keyed(pid, upload.key)
                if found is not None:
                    return found
            try:
                body = await self.api.post(f"/v3/catalog/products/{pid}/images", files=files, data=fields)
                return body["data"]
            except ConnectorError as exc:
                if exc.code != ConnectorErrorCode.TRANSIENT or attempt == attempts - 1:
                    raise
        raise AssertionError("unreachable")

    async def replace_image(self, product_external_id: str, current: ExternalImage, upload: ImageUpload, *,
                            resume: bool = False) -> ExternalImage:
        """PUT cannot take a new file (and a new ``image_url`` was seen ignored), so: POST the
        new file with the old one's sort order, thumbnail flag and description, then DELETE
        the old one. The new image has a new id."""
        pid = str(product_external_id)
        if current.variant_external_id:
            return await self.set_variant_image(pid, current.variant_external_id, upload)
        fields = {"sort_order": str(current.position), "is_thumbnail": "true" if current.is_thumbnail else "false",
                  "description": current.alt_text}
        written = await self._post_image(pid, upload, fields, resume)
        await self.remove_image(pid, current.external_id)
        return mapping.image(pid, written)

    async def add_image(self, product_external_id: str, upload: ImageUpload, *, alt_text: str = "",
                        resume: bool = False) -> ExternalImage:
        pid = str(product_external_id)
        written = await self._post_image(pid, upload, {"is_thumbnail": "false", "description": alt_text}, resume)
        return mapping.image(pid, written)

    async def remove_image(self, product_external_id: str, image_external_id: str) -> bool:
        if not str(image_external_id).isdigit() or not str(product_external_id).isdigit():
            return False
        try:
            await self.api.delete(f"/v3/catalog/products/{product_external_id}/images/{image_external_id}")
        except ConnectorError as exc:
            if exc.code == ConnectorErrorCode.NOT_FOUND:
                return False
            raise
        return True

    async def set_variant_image(self, product_external_id: str, variant_external_id: str,
                                upload: ImageUpload) -> ExternalImage:
        pid, vid = str(product_external_id), str(variant_external_id).removeprefix("v")
        if not pid.isdigit() or not vid.isdigit():
            raise ConnectorError(ConnectorErrorCode.NOT_FOUND, f"variant {vid} of product {pid} not found")
        ext = upload.ext.lower().lstrip(".")
        send: dict = {"files": {"image_file": (upload.file_name, upload.data, _MIME.get(ext, "application/octet-stream"))}}
        if len(upload.data) > VARIANT_UPLOAD_MAX:  # bigger files only by URL (BigCommerce downloads up to 8 MB)
            if not upload.url or len(upload.url) > IMAGE_URL_MAX:
                raise ConnectorError(ConnectorErrorCode.INVALID, "BigCommerce takes variant image files of at most "
                                                                 "1 MB, or a URL of at most 255 characters")
            send = {"json": {"image_url": upload.url}}
        attempts = max(1, self.settings.retry_attempts)
        for attempt in range(attempts):
            try:  # posting again replaces the variant's one image: safe to repeat
                body = await self.api.post(f"/v3/catalog/products/{pid}/variants/{vid}/image", **send)
                return mapping.variant_written(pid, vid, body.get("data") or {})
            except ConnectorError as exc:
                if exc.code != ConnectorErrorCode.TRANSIENT or attempt == attempts - 1:
                    raise
        raise AssertionError("unreachable")

    # ---- webhooks -------------------------------------------------------------------------

    async def _hooks(self, destination: str) -> list[dict]:
        hooks, page = [], 1
        while True:
            body = await self.api.get("/v3/hooks", {"destination": destination, "limit": 250, "page": page})
            data = body.get("data") or []
            hooks.extend(h for h in data if h.get("destination") == destination)
            pagination = (body.get("meta") or {}).get("pagination") or {}
            if not data or int(pagination.get("total_pages", 1)) <= page:
                return hooks
            page += 1

    async def _ensure_hook(self, hook: dict, headers: dict) -> None:
        if not hook.get("is_active") or (hook.get("headers") or {}) != headers:
            await self.api.put(f"/v3/hooks/{hook['id']}", {"is_active": True, "headers": headers})

    async def install_webhooks(self, destination: str, headers: Mapping[str, str]) -> None:
        headers = dict(headers)
        existing = await self._hooks(destination)
        for scope in HOOK_SCOPES:
            hook = next((h for h in existing if h.get("scope") == scope), None)
            if hook is not None:
                await self._ensure_hook(hook, headers)
                continue
            body = {"scope": scope, "destination": destination, "is_active": True, "headers": headers}
            try:
                await self.api.post("/v3/hooks", body)
            except ConnectorError as exc:
                if exc.code in (ConnectorErrorCode.UNAUTHORIZED, ConnectorErrorCode.RATE_LIMITED):
                    raise
                # Did it happen after all (a lost answer), or did someone else make it?
                hook = next((h for h in await self._hooks(destination) if h.get("scope") == scope), None)
                if hook is not None:
                    await self._ensure_hook(hook, headers)
                elif exc.code == ConnectorErrorCode.TRANSIENT:
                    await self.api.post("/v3/hooks", body)
                else:
                    raise

    async def remove_webhooks(self, destination: str) -> None:
        for hook in await self._hooks(destination):
            try:
                await self.api.delete(f"/v3/hooks/{hook['id']}")
            except ConnectorError as exc:
                if exc.code != ConnectorErrorCode.NOT_FOUND:
                    raise

    async def close(self) -> None:
        await self.api.aclose()
        if self._cdn is not None:
            await self._cdn.aclose()
            self._cdn = None
