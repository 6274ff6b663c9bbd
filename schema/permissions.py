"""Declared permissions: every field names who may read it. Object-level checks
(this job belongs to your account) happen in the services, which get the user."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission

from core.accounts.models import Role


class IsAuthenticated(BasePermission):
    message = "Sign in first."
    error_extensions = {"code": "UNAUTHENTICATED"}

    def has_permission(self, source: Any, info, **kwargs) -> bool:
        return info.context.user is not None


class IsStaff(BasePermission):
    message = "Production staff only."
    error_extensions = {"code": "PERMISSION_DENIED"}

    def has_permission(self, source: Any, info, **kwargs) -> bool:
        user = info.context.user
        return user is not None and user.role in (Role.STAFF, Role.ADMIN)


class Public(BasePermission):
    """Explicitly open to anyone (sign-up, log-in): the declaration is the point."""

    def has_permission(self, source: Any, info, **kwargs) -> bool:
        return True
