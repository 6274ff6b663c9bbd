"""Bulk upsert without building a model instance per row.

A sync writes about a thousand rows a page; tortoise's ``bulk_create`` spends most
of that time constructing and validating Model objects. This sends one
``INSERT … ON CONFLICT … DO UPDATE`` through the connection's ``execute_many``,
converting each value with the field's own ``to_db_value``, on SQLite and
PostgreSQL alike (both speak this ON CONFLICT syntax).
"""

from __future__ import annotations

from typing import Any

from tortoise.models import Model


def _quote(name: str) -> str:
    return f'"{name}"'


async def upsert(model: type[Model], rows: list[dict[str, Any]], conflict: list[str], update: list[str]) -> None:
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
    converters = [meta.fields_map[c].to_db_value for c in columns]
    values = [[convert(row[c], model) for c, convert in zip(columns, converters)] for row in rows]
    await db.execute_many(sql, values)
