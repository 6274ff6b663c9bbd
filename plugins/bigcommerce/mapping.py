"""BigCommerce catalog JSON -> Pixport's connector DTOs. Pure functions.

Brands: a product carries ``brand_id`` only; Pixport keeps it as the brand key (the id
as a string, "" for no brand). Resolving names would cost a ``/v3/catalog/brands``
listing per sync and names can change without the products changing; the catalog can
show names later from that listing if wanted.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from core.connectors import ExternalImage, ExternalProduct, StoreInfo


def parse_time(value) -> datetime | None:
    """``2018-08-15T14:48:31+00:00`` (catalog) or None."""
    if not value or not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _file_name(path: str) -> str:
    return (path or "").rsplit("/", 1)[-1]


def original_url(url: str, image_file: str) -> str | None:
    """The uploaded file itself: BigCommerce's CDN serves ``/s-{hash}/product_images/{image_file}``
    beside the resized renditions (``url_zoom`` is at most 1280 px and re-encoded)."""
    parts = urlsplit(url)
    segments = parts.path.split("/")
    if not image_file or len(segments) < 2 or not segments[1].startswith("s-"):
        return None
    return f"{parts.scheme}://{parts.netloc}/{segments[1]}/product_images/{image_file}"


def image(product_id: str, data: dict) -> ExternalImage:
    url = data.get("url_zoom") or data.get("url_standard") or data.get("url_thumbnail") or ""
    return ExternalImage(
        external_id=str(data["id"]),
        product_external_id=product_id,
        url=url,
        thumbnail_url=data.get("url_thumbnail") or None,
        position=int(data.get("sort_order") or 0),
        is_thumbnail=bool(data.get("is_thumbnail")),
        alt_text=data.get("description") or "",
        file_name=_file_name(data.get("image_file") or urlsplit(url).path),
        modified_at=parse_time(data.get("date_modified")),
        original_url=original_url(url, data.get("image_file") or ""),
    )


def variant_image(product_id: str, variant: dict) -> ExternalImage | None:
    url = variant.get("image_url") or ""
    if not url:
        return None
    return ExternalImage(
        external_id=f"v{variant['id']}",
        product_external_id=product_id,
        url=url,
        variant_external_id=str(variant["id"]),
        file_name=_file_name(urlsplit(url).path),
    )


def product(data: dict) -> ExternalProduct:
    pid = str(data["id"])
    images = [image(pid, i) for i in data.get("images") or []]
    images.sort(key=lambda i: (i.position, int(i.external_id)))
    for v in data.get("variants") or []:
        vi = variant_image(pid, v)
        if vi is not None:
            images.append(vi)
    brand_id = data.get("brand_id") or 0
    return ExternalProduct(
        external_id=pid,
        name=data.get("name") or "",
        sku=data.get("sku") or "",
        brand=str(brand_id) if brand_id else "",
        categories=tuple(str(c) for c in data.get("categories") or ()),
        is_visible=bool(data.get("is_visible", True)),
        modified_at=parse_time(data.get("date_modified")),
        images=tuple(images),
    )


def store_info(data: dict, store_hash: str) -> StoreInfo:
    keep = ("plan_name", "plan_level", "plan_is_trial", "secure_url", "control_panel_base_url", "admin_email",
            "store_id", "status", "timezone")
    domain = data.get("domain") or ""
    return StoreInfo(
        external_id=store_hash,
        name=data.get("name") or domain or store_hash,
        domain=domain,
        currency=data.get("currency") or "USD",
        extra={k: data[k] for k in keep if k in data},
    )


def carries_key(data: dict, key: str) -> bool:
    """Whether a catalog image is the one written with idempotency key ``key``:
    BigCommerce keeps the uploaded file's name in ``image_file`` and the CDN URLs."""
    key = key.lower()
    return any(key in (data.get(f) or "").lower() for f in ("image_file", "url_zoom", "url_standard"))


def variant_written(product_id: str, variant_id: str, data: dict) -> ExternalImage:
    """The answer of ``POST /variants/{id}/image`` (``{"image_url": ...}``)."""
    url = data.get("image_url") or ""
    return ExternalImage(external_id=f"v{variant_id}", product_external_id=product_id, url=url,
                         variant_external_id=str(variant_id), file_name=_file_name(urlsplit(url).path))
