"""Verifying BigCommerce's ``signed_payload_jwt`` (load, uninstall, remove_user).

HS256/HS512 only, signed with the app's client secret; ``aud`` = client id, ``iss`` =
"bc", ``exp``/``nbf`` with a few seconds of leeway; ``sub`` = ``stores/{hash}``. That
each ``jti`` is accepted once is the caller's job (it needs the database).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone

import jwt

from plugins.bigcommerce.settings import BigCommerceSettings

ALGORITHMS = ["HS256", "HS512"]
LEEWAY_SECONDS = 10
MAX_LENGTH = 8192
_SUB = re.compile(r"stores/([A-Za-z0-9]{1,64})")


class InvalidPayload(Exception):
    """Forged, expired, for another app, or malformed. The reason is for logs only."""


@dataclass(frozen=True)
class SignedPayload:
    store_hash: str
    user_id: str
    user_email: str
    owner_id: str
    owner_email: str
    jti: str
    expires_at: datetime
    url: str = "/"


def verify(token: str | None, settings: BigCommerceSettings) -> SignedPayload:
    secret = settings.client_secret.get_secret_value()
    if not settings.client_id or not secret:
        raise InvalidPayload("the app's client id and secret are not configured")
    if not token or len(token) > MAX_LENGTH:
        raise InvalidPayload("missing or oversized")
    try:
        claims = jwt.decode(
            token, secret, algorithms=ALGORITHMS, audience=settings.client_id, issuer="bc",
            leeway=LEEWAY_SECONDS, options={"require": ["aud", "iss", "exp", "nbf", "iat", "jti", "sub"]},
        )
    except jwt.PyJWTError as exc:
        raise InvalidPayload(type(exc).__name__) from None
    match = _SUB.fullmatch(str(claims.get("sub", "")))
    user, owner = claims.get("user"), claims.get("owner") or {}
    if match is None or not isinstance(user, dict) or user.get("id") is None or not isinstance(owner, dict):
        raise InvalidPayload("unexpected claims")
    jti = str(claims["jti"])
    if not jti or len(jti) > 100:
        raise InvalidPayload("bad jti")
    return SignedPayload(
        store_hash=match[1],
        user_id=str(user["id"]),
        user_email=str(user.get("email") or ""),
        owner_id=str(owner.get("id") or ""),
        owner_email=str(owner.get("email") or ""),
        jti=jti,
        expires_at=datetime.fromtimestamp(int(claims["exp"]), tz=timezone.utc),
        url=str(claims.get("url") or "/"),
    )
