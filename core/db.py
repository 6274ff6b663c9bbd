"""The data layer's one entry point: tortoise config, start/stop, migrations.

One tortoise app ("models") over every area's ``models.py``, one migration
history in ``core/migrations``, applied identically on SQLite and PostgreSQL.
"""

from __future__ import annotations

from tortoise import Tortoise
from tortoise.migrations.api.migrate import migrate as tortoise_migrate

MODEL_MODULES = [
    "core.accounts.models",
    "core.jobs.models",
    "core.stores.models",
    "core.catalog.models",
    "core.specs.models",
    "core.carts.models",
    "core.orders.models",
    "core.payments.models",
    "core.publishing.models",
]


def tortoise_config(db_url: str) -> dict:
    return {
        "connections": {"default": db_url},
        "apps": {
            "models": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "core.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def open_db(db_url: str) -> None:
    await Tortoise.init(config=tortoise_config(db_url), _enable_global_fallback=True)


async def close_db() -> None:
    await Tortoise.close_connections()


async def migrate(db_url: str) -> None:
    """Apply every committed migration (idempotent)."""
    await tortoise_migrate(config=tortoise_config(db_url))


async def refresh_statistics(*tables: str) -> None:
    """Let PostgreSQL's planner see that tables grew (a first sync takes them from empty
    to millions of rows): without it, and without autovacuum, the plans made while they
    were empty stay — sequential scans — for the rest of the sync. ANALYZE also drops
    cached plans. Nothing to do on SQLite."""
    conn = Tortoise.get_connection("default")
    if conn.capabilities.dialect == "postgres":
        await conn.execute_script("ANALYZE " + ", ".join(f'"{t}"' for t in tables))


async def ping() -> None:
    conn = Tortoise.get_connection("default")
    await conn.execute_query("SELECT 1")


# For `tortoise makemigrations` (developers only): the models are what matters, not the URL.
TORTOISE_ORM_FOR_CLI = tortoise_config("sqlite://:memory:")
