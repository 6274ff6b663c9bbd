"""Who may see which rows: the one rule every area's ``visible_*`` query applies.

A merchant sees their own account's rows, production staff see every account's,
and nobody signed in sees none. ``account`` is the lookup from a row to its
account (``account_id``, ``store__account_id``, ``order__account_id``…).
"""

from __future__ import annotations

from tortoise.models import Model
from tortoise.queryset import QuerySet


def rows_visible_to(user, model: type[Model], account: str = "account_id") -> QuerySet:
    if user is None:
        return model.filter(id=-1)
    if user.role.is_staff:
        return model.all()
    return model.filter(**{account: user.account_id})
