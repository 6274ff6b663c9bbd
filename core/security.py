"""Passwords, opaque tokens, signed links and secrets at rest — each with a maintained
library: argon2-cffi, hashlib, PyJWT and cryptography's Fernet."""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet

from core.timeutil import utcnow

_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so a login takes as long either way.
_DUMMY_HASH = _hasher.hash("pixport-dummy-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def new_token(prefix: str) -> str:
    """An opaque bearer token; only its hash is stored."""
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def sign(key: bytes, purpose: str, subject: str, ttl: timedelta, **claims) -> str:
    now = utcnow()
    payload = {"sub": subject, "pur": purpose, "iat": now, "exp": now + ttl, **claims}
    return jwt.encode(payload, key, algorithm="HS256")


def unsign(key: bytes, purpose: str, token: str) -> dict | None:
    """The claims of a token we signed for ``purpose``, or None if forged/expired."""
    try:
        claims = jwt.decode(token, key, algorithms=["HS256"], options={"require": ["exp", "sub"]})
    except jwt.PyJWTError:
        return None
    return claims if claims.get("pur") == purpose else None


class SecretBox:
    """Encrypts secrets (store tokens) at rest with a key derived from the settings key."""

    def __init__(self, key: bytes):
        digest = hashlib.sha256(b"pixport-secret-box:" + key).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))

    def seal(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def open(self, sealed: str) -> str:
        return self._fernet.decrypt(sealed.encode()).decode()
