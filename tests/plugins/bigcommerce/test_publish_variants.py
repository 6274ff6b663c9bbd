"""Variant images are replaced through the variant image endpoint, and put back by a rollback."""

from __future__ import annotations

import io
import os

from PIL import Image

from core import runtime
from core.orders.models import OrderImage, OrderImageLocation
from core.publishing.models import PublishItem, PublishPlan
from core.publishing.states import ItemStatus, PlanStatus
from tests.plugins.bigcommerce.test_publish_reliability import pk, plan_for, run_to_end, store_state
from tests.schema.publishing.test_publish_flow import ROLLBACK
from tests.support.publishing import ordered, ready_order, sha
from tests.support.servers import wait_until


def noise_png(side: int = 700) -> bytes:
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, "PNG")
    return out.getvalue()


async def test_variant_images_are_overwritten_and_rolled_back(gql, bc_app, bc_sandbox):
    ready = await ready_order(gql, bc_sandbox, products=2, images_per_product=1, variant_share=1.0, duplicates=0)
    before = await store_state(bc_sandbox, ready)
    variants_before = {v["id"]: v for p in before.values() for v in p["variants"] if v.get("image_url")}
    assert variants_before, "the sandbox store has variant images"
    # one variant's edited file is over the 1 MB BigCommerce takes in a multipart upload: it goes by URL
    big_location = await OrderImageLocation.filter(order_id=ready.order_pk, variant_external_id__isnull=False).first()
    big = noise_png()
    assert len(big) > 1024 * 1024
    await OrderImage.filter(id=big_location.order_image_id).update(
        result_key=await runtime.current().blobs.put(big, "png"), result_format="PNG")
    ready.edited[big_location.order_image_id] = big
    plan = await plan_for(gql, ready)
    variant_items = await PublishItem.filter(plan_id=pk(plan["id"]), variant_external_id__isnull=False)
    assert {int(i.variant_external_id) for i in variant_items} == set(variants_before)

    done = await run_to_end(gql, ready, plan)
    assert done.status == PlanStatus.PUBLISHED
    after = await store_state(bc_sandbox, ready)
    for pid, product in after.items():
        assert len(product["images"]) == len(before[pid]["images"])  # nothing added to the product's images
        assert all(i["sha"] in ready.edited_shas for i in product["images"])
        for variant in product["variants"]:
            if variant["id"] in variants_before:
                assert variant["sha"] in ready.edited_shas
    big_variant = next(v for p in after.values() for v in p["variants"]
                       if str(v["id"]) == big_location.variant_external_id)
    assert big_variant["sha"] == sha(big)
    for item in await PublishItem.filter(id__in=[i.id for i in variant_items]):
        assert item.status == ItemStatus.DONE and item.before_image_id == item.after_image_id == item.image_external_id

    undo = (await gql(ROLLBACK, {"p": plan["id"]}, token=ready.token))["publishPlanRollback"]
    assert undo["errors"] == []
    await wait_until(lambda: PublishPlan.filter(id=done.id, status=PlanStatus.ROLLED_BACK).exists(), timeout=30)
    back = await store_state(bc_sandbox, ready)
    for pid, product in back.items():
        assert [i["sha"] for i in ordered(product)] == [i["sha"] for i in ordered(before[pid])]
        for variant in product["variants"]:
            if variant["id"] in variants_before:
                assert variant["sha"] == variants_before[variant["id"]]["sha"]
