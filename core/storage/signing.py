"""Signed, expiring links to blobs (before/after images in GraphQL answers and mail).

A link is ``/files/<key>?exp=<unix time>&sig=<HMAC-SHA256(signing key, key|exp)>``:
whoever holds it may read that one file until it expires, and nothing else; the
route checks the signature and time without touching the database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from datetime import datetime, timezone
from urllib.parse import urlencode

from core import runtime

PREFIX = "/files/"


def _sig(secret: bytes, key: str, exp: int) -> str:
    # 128 bits of the HMAC, URL-safe: links stay short enough for a platform that takes
    # at most 255 characters of image URL (BigCommerce's variant image_url).
    digest = hmac.new(secret, f"file|{key}|{exp}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")


def signed_url(key: str, *, ttl_seconds: int | None = None, now: float | None = None) -> tuple[str, datetime]:
    """The absolute link and when it expires. Expiry is rounded up to the next
    ``ttl/4`` so that a page of images asked twice within it gets the same URLs
    (browsers cache them)."""
    settings = runtime.current().settings
    ttl = ttl_seconds or settings.file_url_ttl_seconds
    step = max(1, ttl // 4)
    exp = (int(now if now is not None else time.time()) + ttl + step - 1) // step * step
    query = urlencode({"exp": exp, "sig": _sig(settings.signing_key, key, exp)})
    return f"{settings.public_url.rstrip('/')}{PREFIX}{key}?{query}", datetime.fromtimestamp(exp, timezone.utc)


def signed_link(key: str, *, ttl_seconds: int | None = None) -> str:
    return signed_url(key, ttl_seconds=ttl_seconds)[0]


def verify(secret: bytes, key: str, exp: str | None, sig: str | None, now: float | None = None) -> bool:
    if not exp or not sig or not exp.isdigit():
        return False
    if int(exp) < (now if now is not None else time.time()):
        return False
    return hmac.compare_digest(_sig(secret, key, int(exp)), sig)
