"""Orders: a snapshot of a cart's duplicate groups (OrderImage, each with every
place its pictures sit: OrderImageLocation), the specification version and the quote."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from core.orders.states import OrderStatus
from core.production.states import EditedBy, ProductionStatus


class Order(Model):
    id = fields.IntField(primary_key=True)
    account = fields.ForeignKeyField("models.Account", related_name="orders", on_delete=fields.CASCADE)
    store = fields.ForeignKeyField("models.Store", related_name="orders", null=True, on_delete=fields.SET_NULL)
    number = fields.CharField(max_length=32, unique=True, null=True)  # PX-000123, set right after insert
    status = fields.CharEnumField(OrderStatus, max_length=24, default=OrderStatus.DRAFT)
    comment = fields.TextField(default="")
    specification = fields.ForeignKeyField("models.Specification", related_name="orders", on_delete=fields.RESTRICT)
    spec_version = fields.ForeignKeyField("models.SpecificationVersion", related_name="orders",
                                          on_delete=fields.RESTRICT)
    image_count = fields.IntField(default=0)  # billable images (duplicate groups)
    quote = fields.JSONField()  # core.pricing.services.PriceQuote.to_json()
    total_amount = fields.BigIntField(default=0)
    currency = fields.CharField(max_length=3, default="USD")
    turnaround_hours = fields.IntField(default=24)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    approved_at = fields.DatetimeField(null=True)
    paid_at = fields.DatetimeField(null=True)
    due_at = fields.DatetimeField(null=True)  # paid_at + turnaround
    cancelled_at = fields.DatetimeField(null=True)
    # Production (core/production): the job that downloads the originals and queues their
    # edits (one per order, made with the move to IN_PRODUCTION), and when it was last done.
    intake_job = fields.ForeignKeyField("models.Job", related_name=False, null=True, on_delete=fields.SET_NULL)
    ready_at = fields.DatetimeField(null=True)

    class Meta:
        table = "orders"
        indexes = (("account_id", "status", "id"), ("account_id", "id"))


class OrderImage(Model):
    """One duplicate group of the order: edited once, charged once."""

    id = fields.IntField(primary_key=True)
    order = fields.ForeignKeyField("models.Order", related_name="images", on_delete=fields.CASCADE)
    group_no = fields.IntField()  # 1.. within the order
    image = fields.ForeignKeyField("models.Image", related_name=False, null=True, on_delete=fields.SET_NULL)
    source_url = fields.CharField(max_length=2000)
    file_name = fields.CharField(max_length=500, default="")
    sha256 = fields.CharField(max_length=64, null=True)
    width = fields.IntField(default=0)
    height = fields.IntField(default=0)
    format = fields.CharField(max_length=16, null=True)
    location_count = fields.IntField(default=1)
    # Production (core/production): the original at full size and the validated result, as BlobStore keys.
    original_key = fields.CharField(max_length=100, null=True)
    result_key = fields.CharField(max_length=100, null=True)  # set only once the result passed the validator
    result_format = fields.CharField(max_length=8, null=True)
    production_status = fields.CharEnumField(ProductionStatus, max_length=12, default=ProductionStatus.QUEUED)
    due_at = fields.DatetimeField(null=True)  # the order's, copied at intake: the retoucher queue sorts on it
    original_bytes = fields.IntField(default=0)
    edit_job = fields.ForeignKeyField("models.Job", related_name=False, null=True, on_delete=fields.SET_NULL)
    edited_by = fields.CharEnumField(EditedBy, max_length=12, null=True)
    confidence = fields.FloatField(null=True)  # the engine's, of its last attempt
    edit_report = fields.JSONField(null=True)  # how the result was made (engine steps, or who uploaded it)
    result_width = fields.IntField(default=0)
    result_height = fields.IntField(default=0)
    result_bytes = fields.IntField(default=0)
    retouch_reason = fields.CharField(max_length=500, default="")  # why a person must do it
    retouch_since = fields.DatetimeField(null=True)
    error_code = fields.CharField(max_length=32, null=True)  # FAILED: CORRUPT, TOO_LARGE, GONE...
    error_message = fields.CharField(max_length=500, default="")
    redo_note = fields.TextField(default="")  # the merchant's last redo request
    redo_count = fields.IntField(default=0)
    claimed_by = fields.ForeignKeyField("models.User", related_name=False, null=True, on_delete=fields.SET_NULL)
    claimed_at = fields.DatetimeField(null=True)
    done_at = fields.DatetimeField(null=True)

    class Meta:
        table = "order_image"
        unique_together = (("order", "group_no"),)
        indexes = (("production_status", "due_at", "id"), ("order_id", "production_status"))


class OrderImageLocation(Model):
    """A place in the store where a picture of the group sat when the order was made."""

    id = fields.IntField(primary_key=True)
    order = fields.ForeignKeyField("models.Order", related_name=False, on_delete=fields.CASCADE)
    order_image = fields.ForeignKeyField("models.OrderImage", related_name="locations", on_delete=fields.CASCADE)
    image_id = fields.IntField(null=True)  # the catalog row (it may be gone later: the snapshot stays)
    image_external_id = fields.CharField(max_length=64)
    product_id = fields.IntField()
    product_external_id = fields.CharField(max_length=64)
    variant_external_id = fields.CharField(max_length=64, null=True)
    position = fields.IntField(default=0)
    is_thumbnail = fields.BooleanField(default=False)
    alt_text = fields.CharField(max_length=500, default="")

    class Meta:
        table = "order_image_location"
        indexes = (("order_image_id", "id"), ("order_id",))
