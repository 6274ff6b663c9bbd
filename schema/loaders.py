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
