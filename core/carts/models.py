"""A cart: the images an account picked in one store, before an order is made."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Cart(Model):
    """One open cart per (account, store), emptied by the order made from it."""

    id = fields.IntField(primary_key=True)
    account = fields.ForeignKeyField("models.Account", related_name="carts", on_delete=fields.CASCADE)
    store = fields.ForeignKeyField("models.Store", related_name="carts", on_delete=fields.CASCADE)
    # Duplicate groups as last computed (after each change): the "before" of the next add.
    billable_count = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "cart"
        unique_together = (("account", "store"),)


class CartItem(Model):
    id = fields.IntField(primary_key=True)
    cart = fields.ForeignKeyField("models.Cart", related_name="items", on_delete=fields.CASCADE)
    image = fields.ForeignKeyField("models.Image", related_name=False, on_delete=fields.CASCADE)
    added_at = fields.DatetimeField()

    class Meta:
        table = "cart_item"
        unique_together = (("cart", "image"),)
        indexes = (("image_id",),)
