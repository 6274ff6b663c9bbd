"""The store's catalog as Pixport last saw it: products, and their images with
where each sits (product, variant, position, thumbnail, alt text) and what
analysis found in its bytes. Columns that images are filtered or sorted by are
copied from the product (name, SKU, brand, visibility) so that a page of a
million-image store is one indexed query."""

from __future__ import annotations

from enum import Enum

from tortoise import fields
from tortoise.models import Model


class BackgroundKind(str, Enum):
    WHITE = "WHITE"
    TRANSPARENT = "TRANSPARENT"
    LIGHT_UNIFORM = "LIGHT_UNIFORM"
    OTHER = "OTHER"


class AnalysisStatus(str, Enum):
    PENDING = "PENDING"
    DONE = "DONE"
    UNREADABLE = "UNREADABLE"


class Product(Model):
    id = fields.IntField(primary_key=True)
    store = fields.ForeignKeyField("models.Store", related_name="products", on_delete=fields.CASCADE)
    external_id = fields.CharField(max_length=64)
    name = fields.CharField(max_length=255)
    sku = fields.CharField(max_length=255, default="")
    brand = fields.CharField(max_length=255, default="")
    categories = fields.JSONField(default=list)
    is_visible = fields.BooleanField(default=True)
    modified_at = fields.DatetimeField(null=True)
    removed_at = fields.DatetimeField(null=True)
    synced_at = fields.DatetimeField()

    class Meta:
        table = "product"
        unique_together = (("store", "external_id"),)
        indexes = (("store_id", "name"),)


class Image(Model):
    id = fields.IntField(primary_key=True)
    store = fields.ForeignKeyField("models.Store", related_name="images", on_delete=fields.CASCADE)
    product = fields.ForeignKeyField("models.Product", related_name="images", on_delete=fields.CASCADE)
    external_id = fields.CharField(max_length=64)
    # Where it sits (ImageLocation).
    variant_external_id = fields.CharField(max_length=64, null=True)
    position = fields.IntField(default=0)
    is_thumbnail = fields.BooleanField(default=False)
    alt_text = fields.CharField(max_length=500, default="")
    file_name = fields.CharField(max_length=500, default="")
    source_url = fields.CharField(max_length=2000)
    thumbnail_url = fields.CharField(max_length=2000, null=True)
    modified_at = fields.DatetimeField()  # the platform's, or when Pixport first saw it
    removed_at = fields.DatetimeField(null=True)
    synced_at = fields.DatetimeField()
    # Copied from the product, for filters and sorts without a join.
    product_name = fields.CharField(max_length=255, default="")
    sku = fields.CharField(max_length=255, default="")
    brand = fields.CharField(max_length=255, default="")
    category_ids = fields.CharField(max_length=1000, default="")  # ",12,40," — filterable anywhere
    is_visible = fields.BooleanField(default=True)
    # What the bytes are (set by the analysis job; once per content).
    analysis_status = fields.CharEnumField(AnalysisStatus, max_length=16, default=AnalysisStatus.PENDING)
    unreadable_reason = fields.CharField(max_length=300, default="")
    sha256 = fields.CharField(max_length=64, null=True)
    phash = fields.BigIntField(null=True)  # 64-bit perceptual hash (signed)
    # 0 until analysed (so sorts need no NULL handling; analysis_status tells).
    width = fields.IntField(default=0)
    height = fields.IntField(default=0)
    format = fields.CharField(max_length=16, null=True)
    file_bytes = fields.IntField(default=0)
    background = fields.CharEnumField(BackgroundKind, max_length=16, null=True)
    colour_grid = fields.CharField(max_length=96, null=True)  # 4x4 mean RGB cells, hex (duplicate groups)
    analyzed_at = fields.DatetimeField(null=True)
    edited = fields.BooleanField(default=False)  # an edited version was published here

    class Meta:
        table = "image"
        unique_together = (("store", "external_id"),)
        indexes = (
            ("store_id", "removed_at", "id"),
            ("store_id", "product_name", "id"),
            ("store_id", "modified_at", "id"),
            ("store_id", "file_bytes", "id"),
            ("store_id", "width", "id"),
            ("store_id", "analysis_status"),
            ("store_id", "background"),
            ("store_id", "sha256"),
            ("product_id", "removed_at"),
        )
