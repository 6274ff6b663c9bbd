"""Per-request DataLoaders: related objects cost one query per page, not per row."""

from __future__ import annotations

from strawberry.dataloader import DataLoader
from tortoise.models import Model

from schema.context import Info


def loader(info: Info, name: str, model: type[Model], key: str = "id") -> DataLoader:
    """The request's ``<Model>By<Key>`` loader, created on first use."""
    loaders = info.context.loaders
    if name not in loaders:

        async def load(keys: list) -> list:
            rows = {getattr(r, key): r for r in await model.filter(**{f"{key}__in": keys})}
            return [rows.get(k) for k in keys]

        loaders[name] = DataLoader(load_fn=load)
    return loaders[name]


def many_loader(info: Info, name: str, model: type[Model], key: str) -> DataLoader:
    """The request's ``<Models>By<Key>`` loader: every row whose ``key`` is the given
    value, in id order — one query for a page of parents."""
    loaders = info.context.loaders
    if name not in loaders:

        async def load(keys: list) -> list[list]:
            found: dict = {k: [] for k in keys}
            for row in await model.filter(**{f"{key}__in": keys}).order_by("id"):
                found[getattr(row, key)].append(row)
            return [found[k] for k in keys]

        loaders[name] = DataLoader(load_fn=load)
    return loaders[name]


def batch_loader(info: Info, name: str, fetch) -> DataLoader:
    """The request's loader of a value computed for many keys at once: ``fetch(keys)``
    returns {key: value} in one query (e.g. counts per parent)."""
    loaders = info.context.loaders
    if name not in loaders:

        async def load(keys: list) -> list:
            found = await fetch(keys)
            return [found[k] for k in keys]

        loaders[name] = DataLoader(load_fn=load)
    return loaders[name]
