"""The committed migrations build the schema the models describe, on either database."""

from __future__ import annotations

import pytest
from tortoise.migrations.autodetector import MigrationAutodetector

from core import db

pytestmark = pytest.mark.embedded


async def test_models_and_committed_migrations_agree(runtime):
    from tortoise import Tortoise

    config = db.tortoise_config(runtime.settings.db_url)
    writers = await MigrationAutodetector(Tortoise.apps, config["apps"]).changes()
    assert writers == [], "models changed without a migration: run `tortoise makemigrations` and commit it"


async def test_migrating_again_changes_nothing(runtime, clean_db):
    from core.accounts.models import Account

    await Account.create(name="kept")
    await db.migrate(runtime.settings.db_url)  # what `pixport migrate` runs, a second time
    assert await Account.filter(name="kept").count() == 1
