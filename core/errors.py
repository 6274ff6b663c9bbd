"""Errors the domain raises on purpose. The GraphQL layer turns them into
``UserError {code, field, message}``; anything else is a bug and gets masked."""

from __future__ import annotations

from enum import Enum


class ErrorCode(str, Enum):
    NOT_FOUND = "NOT_FOUND"
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    UNIQUE = "UNIQUE"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    WEAK_PASSWORD = "WEAK_PASSWORD"
    EXPIRED = "EXPIRED"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    PAYMENT_DECLINED = "PAYMENT_DECLINED"
    EMPTY_CART = "EMPTY_CART"
    LOCKED = "LOCKED"


class DomainError(Exception):
    """A failure the user can act on. ``field`` names the input it is about."""

    code: ErrorCode = ErrorCode.INVALID

    def __init__(self, message: str, *, field: str | None = None, code: ErrorCode | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code


class ValidationFailed(DomainError):
    """Several field errors at once, so a form can show them all."""

    def __init__(self, errors: list[DomainError]):
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors


class NotFound(DomainError):
    code = ErrorCode.NOT_FOUND


class PermissionDenied(DomainError):
    code = ErrorCode.PERMISSION_DENIED


class InvalidTransition(DomainError):
    code = ErrorCode.INVALID_TRANSITION
