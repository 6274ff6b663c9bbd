"""Validating image files given to the API (uploads or downloads by URL)."""

from __future__ import annotations

import io

import httpx
from PIL import Image

MAX_IMAGE_BYTES = 8 * 1024 * 1024
MAX_VARIANT_UPLOAD_BYTES = 1024 * 1024  # variants spec: multipart files over 1 MB are rejected
# BigCommerce accepts BMP, GIF, JPEG, PNG, WBMP, XBM, WEBP.  Pillow reads all but WBMP.
ALLOWED = {"BMP": "bmp", "GIF": "gif", "JPEG": "jpg", "PNG": "png", "WEBP": "webp", "XBM": "xbm", "WBMP": "wbmp"}


class ImageError(Exception):
    def __init__(self, status: int, title: str, errors: dict | None = None):
        super().__init__(title)
        self.status = status
        self.title = title
        self.errors = errors


def sniff(data: bytes) -> str | None:
    """The image format of ``data`` if BigCommerce accepts it, else None."""
    try:
        im = Image.open(io.BytesIO(data))
        fmt = im.format
    except Exception:
        fmt = None
        if data[:2] == b"\x00\x00" and len(data) > 4:  # WBMP has no magic; header type 0, fix 0
            fmt = "WBMP"
    return fmt if fmt in ALLOWED else None


def check(data: bytes, limit: int = MAX_IMAGE_BYTES) -> str:
    if len(data) > limit:
        raise ImageError(422, f"The image is larger than the maximum allowed size of {limit // (1024 * 1024)}MB.",
                         {"image_file": "file too large"})
    fmt = sniff(data)
    if fmt is None:
        raise ImageError(422, "The image type is not supported. Supported types are BMP, GIF, JPEG, PNG, "
                              "WBMP, XBM and WEBP.", {"image_file": "invalid image type"})
    return fmt


async def download(url: str, limit: int = MAX_IMAGE_BYTES) -> bytes:
    """Fetch ``url`` as BigCommerce does (any host; http or https)."""
    try:
        async with httpx.AsyncClient(timeout=15.0, follow_redirects=True) as client:
            async with client.stream("GET", url) as resp:
                if resp.status_code != 200:
                    raise ImageError(400, "The requested resource could not be downloaded and may be invalid. "
                                          "Check the URL, or the file host may be blocking requests.")
                chunks, total = [], 0
                async for chunk in resp.aiter_bytes():
                    total += len(chunk)
                    if total > limit:
                        raise ImageError(422, "The image is larger than the maximum allowed size of "
                                              f"{limit // (1024 * 1024)}MB.", {"image_url": "file too large"})
                    chunks.append(chunk)
                return b"".join(chunks)
    except httpx.HTTPError:
        raise ImageError(400, "The requested resource could not be downloaded and may be invalid. "
                              "Check the URL, or the file host may be blocking requests.") from None
