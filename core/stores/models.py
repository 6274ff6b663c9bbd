from __future__ import annotations

from enum import Enum

from tortoise import fields
from tortoise.models import Model


class StoreStatus(str, Enum):
    INSTALLED = "INSTALLED"
    UNINSTALLED = "UNINSTALLED"


class Store(Model):
    """A store connected through a platform plugin. Linked to an account once the
    merchant signs up or logs in from the app (until then ``account`` is null)."""

    id = fields.IntField(primary_key=True)
    account = fields.ForeignKeyField("models.Account", related_name="stores", null=True, on_delete=fields.SET_NULL)
    platform = fields.CharField(max_length=32)
    external_id = fields.CharField(max_length=100)  # e.g. the BigCommerce store hash
    name = fields.CharField(max_length=200, default="")
    domain = fields.CharField(max_length=255, default="")
    status = fields.CharEnumField(StoreStatus, max_length=16, default=StoreStatus.INSTALLED)
    # Secrets, sealed with core.security.SecretBox: never stored or logged in clear.
    access_token_sealed = fields.TextField(null=True)
    webhook_secret_sealed = fields.TextField(null=True)
    scopes = fields.CharField(max_length=1000, default="")
    owner_email = fields.CharField(max_length=320, default="")
    installed_at = fields.DatetimeField(auto_now_add=True)
    uninstalled_at = fields.DatetimeField(null=True)
    last_synced_at = fields.DatetimeField(null=True)  # start of the last sync that finished
    last_full_synced_at = fields.DatetimeField(null=True)  # ... of the last full rescan
    image_count = fields.IntField(default=0)  # live images, refreshed after each sync
    sync_job = fields.ForeignKeyField("models.Job", related_name=False, null=True, on_delete=fields.SET_NULL)
    analysis_job = fields.ForeignKeyField("models.Job", related_name=False, null=True, on_delete=fields.SET_NULL)

    class Meta:
        table = "store"
        unique_together = (("platform", "external_id"),)


class StoreUser(Model):
    """A platform user who may open the app for a store (from install and load)."""

    id = fields.IntField(primary_key=True)
    store = fields.ForeignKeyField("models.Store", related_name="users", on_delete=fields.CASCADE)
    external_user_id = fields.CharField(max_length=64)
    email = fields.CharField(max_length=320, default="")
    is_owner = fields.BooleanField(default=False)
    user = fields.ForeignKeyField("models.User", related_name="store_users", null=True, on_delete=fields.SET_NULL)
    removed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "store_user"
        unique_together = (("store", "external_user_id"),)


class UsedToken(Model):
    """Single-use tokens already seen (e.g. a load JWT's ``jti``): a replay is refused."""

    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=200, unique=True)
    expires_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "used_token"
