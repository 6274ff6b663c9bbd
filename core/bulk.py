"""Bulk upsert without building a model instance per row.

A sync writes about a thousand rows a page; tortoise's ``bulk_create`` spends most
of that time constructing and validating Model objects. This sends one
``INSERT … ON CONFLICT … DO UPDATE`` through the connection's ``execute_many``,
converting each value with the field's own ``to_db_value``, on SQLite and
PostgreSQL alike (both speak this ON CONFLICT syntax).
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

# Fields whose Python values both drivers take as they are: no per-value conversion.
_AS_IS = (fields.IntField, fields.BigIntField, fields.BooleanField, fields.CharField, fields.TextField)


def _quote(name: str) -> str:
    return f'"{name}"'


def _converter(model: type[Model], field, dialect: str):
    if type(field) in _AS_IS or (dialect == "postgres" and isinstance(field, fields.DatetimeField)):
        return None
    return lambda value: field.to_db_value(value, model)


async def upsert(model: type[Model], rows: list[dict[str, Any]], conflict: list[str], update: list[str]) -> None:
    """Values must already fit their columns (strings within max_length): plain values
    are passed as they are, and only JSON, enums and (on SQLite) times are converted."""
    if not rows:
        return
    meta = model._meta
    db = meta.db  # the transaction's connection when inside in_transaction()
    columns = list(rows[0])
    names = [meta.fields_db_projection[c] for c in columns]
    if db.capabilities.dialect == "postgres":
        placeholders = ", ".join(f"${i + 1}" for i in range(len(columns)))
    else:
        placeholders = ", ".join("?" for _ in columns)
    assignments = ", ".join(
        f"{_quote(meta.fields_db_projection[c])} = excluded.{_quote(meta.fields_db_projection[c])}" for c in update
    )
    sql = (
        f"INSERT INTO {_quote(meta.db_table)} ({', '.join(map(_quote, names))}) VALUES ({placeholders}) "
        f"ON CONFLICT ({', '.join(_quote(meta.fields_db_projection[c]) for c in conflict)}) DO UPDATE SET {assignments}"
    )
    dialect = db.capabilities.dialect
    converters = [(c, _converter(model, meta.fields_map[c], dialect)) for c in columns]
    values = [[row[c] if convert is None else convert(row[c]) for c, convert in converters] for row in rows]
    await db.execute_many(sql, values)
