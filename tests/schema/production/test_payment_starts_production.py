"""A payment confirmed by the provider starts production: the PayPal sandbox's capture
moves the order to IN_PRODUCTION, whose intake job brings every original in."""

from __future__ import annotations

import pytest

from core.jobs.models import Job, JobStatus
from core.orders.models import Order, OrderImage
from core.orders.states import OrderStatus
from core.production.states import ProductionStatus
from tests.schema.production.conftest import sandbox_order
from tests.support.servers import wait_until

pytestmark = [pytest.mark.filterwarnings("ignore:Unsupported scheme type"),
              pytest.mark.filterwarnings("ignore:Use 'content=<...>' to upload raw bytes")]

ERR = "errors { code field message }"


async def test_a_paypal_capture_starts_production_due_after_the_turnaround(gql, paypal, bc_sandbox, ann):
    order = await sandbox_order(gql, bc_sandbox, ann["token"], products=2)
    started = (await gql(f"mutation($o: ID!) {{ paymentPaypalStart(orderId: $o) {{ approveUrl {ERR} }} }}",
                         {"o": order["id"]}, token=ann["token"]))["paymentPaypalStart"]
    assert started["errors"] == []
    await paypal.approve(started["approveUrl"])
    captured = (await gql(f"mutation($o: ID!) {{ paymentPaypalCapture(orderId: $o) {{ order {{ status }} {ERR} }} }}",
                          {"o": order["id"]}, token=ann["token"]))["paymentPaypalCapture"]
    assert captured["errors"] == [] and captured["order"]["status"] == "IN_PRODUCTION"

    row = await Order.get(id=order["pk"])
    assert row.intake_job_id is not None
    assert (row.due_at - row.paid_at).total_seconds() == row.turnaround_hours * 3600
    await wait_until(lambda: _all_in(order["pk"]), timeout=30)
    await wait_until(lambda: Job.filter(id=row.intake_job_id, status=JobStatus.SUCCEEDED).exists())
    seen = (await gql("""query($id: ID!) { order(id: $id) { dueAt productionJob { status done total } } }""",
                      {"id": order["id"]}, token=ann["token"]))["order"]
    assert seen["productionJob"]["total"] == row.image_count
    images = await OrderImage.filter(order_id=row.id)
    assert len(images) == row.image_count >= 2 and all(i.original_key for i in images)  # every original in
    assert all(i.due_at == row.due_at for i in images)


async def _all_in(order_pk: int) -> bool:
    return not await OrderImage.filter(order_id=order_pk, production_status=ProductionStatus.QUEUED).exists() and (
        await Order.filter(id=order_pk, status__in=[OrderStatus.IN_PRODUCTION, OrderStatus.READY_FOR_REVIEW]).exists())
