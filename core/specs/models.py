"""Specifications: a named recipe of an account, and its versions.

An order points at a ``SpecificationVersion``. A version is ``locked`` once an
order using it has been paid: its options never change again, and editing the
specification makes a new version (earlier orders keep theirs)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Specification(Model):
    id = fields.IntField(primary_key=True)
    account = fields.ForeignKeyField("models.Account", related_name="specifications", on_delete=fields.CASCADE)
    name = fields.CharField(max_length=200)
    # The version new orders get (a plain id: a foreign key both ways would be a cycle).
    current_version_id = fields.IntField(null=True)
    # Deleted while orders still use it: hidden from lists and new orders, kept for them.
    archived_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "specification"
        indexes = (("account_id", "archived_at", "id"),)


class SpecificationVersion(Model):
    id = fields.IntField(primary_key=True)
    specification = fields.ForeignKeyField("models.Specification", related_name="versions", on_delete=fields.CASCADE)
    number = fields.IntField()  # 1, 2, ... per specification
    options = fields.JSONField()  # core.specs.options.SpecOptions, as JSON
    locked = fields.BooleanField(default=False)
    locked_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "specification_version"
        unique_together = (("specification", "number"),)
