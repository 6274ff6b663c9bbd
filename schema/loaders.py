"""Per-request DataLoaders: related objects cost one query per page, not per row."""

from __future__ import annotations

import re

from strawberry.dataloader import DataLoader
from tortoise.models import Model

from schema.context import Info
from schema.pagination import KeysetPage, check_first, decode_cursor, encode_cursor


def loader(info: Info, name: str, model: type[Model], key: str = "id") -> DataLoader:
    """The request's ``<Model>By<Key>`` loader, created on first use."""
    loaders = info.context.loaders
    if name not in loaders:

        async def load(keys: list) -> list:
            rows = {getattr(r, key): r for r in await model.filter(**{f"{key}__in": keys})}
            return [rows.get(k) for k in keys]

        loaders[name] = DataLoader(load_fn=load)
    return loaders[name]


async def load_node(info: Info, node: type, model: type[Model], pk: int | None):
    """``node`` of the row ``pk`` of ``model`` through the request's by-id loader; None for no
    id or no row (a related object that is gone)."""
    if pk is None:
        return None
    name = re.sub(r"(?<!^)(?=[A-Z])", "_", model.__name__).lower() + "_by_id"  # OrderImage -> order_image_by_id
    row = await loader(info, name, model).load(pk)
    return node.from_model(row) if row is not None else None


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


def page_loader(info: Info, name: str, model: type[Model], key: str, first: int | None, after: str | None) -> DataLoader:
    """The request's loader of one keyset page (by id) of each parent's children, e.g. the
    first 50 images of every order in a list: one query for a page of parents (a row
    number per parent) instead of one page query per parent."""
    limit = check_first(first)
    last_id = decode_cursor(after)[1] if after else None
    name = f"{name}:{limit}:{after or ''}"
    loaders = info.context.loaders
    if name not in loaders:
        table = model._meta.db_table
        column = model._meta.fields_db_projection[key]

        async def load(keys: list) -> list[KeysetPage]:
            # Keys and ids are ints (checked here), so inlining them is safe; both PostgreSQL
            # and SQLite have ROW_NUMBER.
            where = f'"{column}" IN ({",".join(str(int(k)) for k in keys)})'
            if last_id is not None:
                where += f' AND "id" > {int(last_id)}'
            found: dict = {k: [] for k in keys}
            for row in await model.raw(
                f'SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY "{column}" ORDER BY "id") AS page_rank '
                f'FROM "{table}" WHERE {where}) ranked WHERE page_rank <= {limit + 1} ORDER BY "id"'
            ):
                found[getattr(row, key)].append(row)
            pages = []
            for k in keys:
                rows = found[k][:limit]
                pages.append(KeysetPage(rows=rows, cursors=[encode_cursor(r.id, r.id) for r in rows],
                                        has_next=len(found[k]) > limit, has_previous=after is not None))
            return pages

        loaders[name] = DataLoader(load_fn=load)
    return loaders[name]
