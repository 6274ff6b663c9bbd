"""Publish plans: per place an edited image goes, one item with its action; per store
write, a durable intent row (PublishWrite) committed before the write is sent."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from core.publishing.states import ItemStatus, PlanStatus, PublishAction, WriteKind, WriteStatus


class PublishPlan(Model):
    id = fields.IntField(primary_key=True)
    account = fields.ForeignKeyField("models.Account", related_name=False, on_delete=fields.CASCADE)
    order = fields.ForeignKeyField("models.Order", related_name="publish_plans", on_delete=fields.CASCADE)
    store = fields.ForeignKeyField("models.Store", related_name=False, on_delete=fields.CASCADE)  # the target
    # Random per plan, part of every idempotency key this plan writes (keys never collide
    # with another plan's, or another Pixport's, in the same store).
    marker = fields.CharField(max_length=16)
    status = fields.CharEnumField(PlanStatus, max_length=24, default=PlanStatus.DRAFT)
    job = fields.ForeignKeyField("models.Job", related_name=False, null=True, on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    executed_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)
    rolled_back_at = fields.DatetimeField(null=True)

    class Meta:
        table = "publish_plan"
        indexes = (("order_id", "id"), ("account_id", "id"))


class PublishItem(Model):
    """One place an edited image goes, and what happened there (the log)."""

    id = fields.IntField(primary_key=True)
    plan = fields.ForeignKeyField("models.PublishPlan", related_name="items", on_delete=fields.CASCADE)
    order_image = fields.ForeignKeyField("models.OrderImage", related_name=False, on_delete=fields.CASCADE)
    location = fields.ForeignKeyField("models.OrderImageLocation", related_name=False, null=True,
                                      on_delete=fields.SET_NULL)
    action = fields.CharEnumField(PublishAction, max_length=16)
    note = fields.CharField(max_length=300, default="")  # why the default action is what it is
    # Where the picture sat when the order was made (the source store).
    source_product_external_id = fields.CharField(max_length=64)
    image_external_id = fields.CharField(max_length=64)
    variant_external_id = fields.CharField(max_length=64, null=True)
    position = fields.IntField(default=0)
    is_thumbnail = fields.BooleanField(default=False)
    alt_text = fields.CharField(max_length=500, default="")
    source_url = fields.CharField(max_length=2000, default="")  # the picture there (the "before")
    # Where it is written (the plan's store): the product, as Pixport's catalog row and the platform's id.
    target_product = fields.ForeignKeyField("models.Product", related_name=False, null=True,
                                            on_delete=fields.SET_NULL)
    target_product_external_id = fields.CharField(max_length=64, null=True)
    # What happened.
    status = fields.CharEnumField(ItemStatus, max_length=16, default=ItemStatus.PENDING)
    error = fields.CharField(max_length=500, default="")
    before_image_id = fields.CharField(max_length=64, null=True)  # the store's image in the slot before
    after_image_id = fields.CharField(max_length=64, null=True)  # the store's image Pixport wrote
    restored_image_id = fields.CharField(max_length=64, null=True)  # the original put back by a rollback
    # The overwritten original, for rollback: its bytes (BlobStore key) and its slot.
    original_key = fields.CharField(max_length=100, null=True)
    original_meta = fields.JSONField(null=True)
    attempts = fields.IntField(default=0)
    finished_at = fields.DatetimeField(null=True)
    rolled_back_at = fields.DatetimeField(null=True)

    class Meta:
        table = "publish_item"
        indexes = (("plan_id", "id"), ("plan_id", "status"))


class PublishWrite(Model):
    """The intent row of one store write: committed before the write is sent, closed
    after. An INTENDED row found on a retry or resume means "it may have happened":
    the write is reconciled (looked for by its key) before anything is sent again."""

    id = fields.IntField(primary_key=True)
    item = fields.ForeignKeyField("models.PublishItem", related_name="writes", on_delete=fields.CASCADE)
    kind = fields.CharEnumField(WriteKind, max_length=16)
    key = fields.CharField(max_length=64, unique=True)  # left on what is written (e.g. the file name)
    status = fields.CharEnumField(WriteStatus, max_length=16, default=WriteStatus.INTENDED)
    attempts = fields.IntField(default=1)
    result_image_id = fields.CharField(max_length=64, null=True)
    error = fields.CharField(max_length=500, default="")
    started_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "publish_write"
        unique_together = (("item", "kind"),)
