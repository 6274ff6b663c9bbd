"""A publish reads the edited files' rows once per product, not once per item."""

from __future__ import annotations

import pytest

from core.orders.models import OrderImage
from tests.schema.publishing.test_publish_flow import CREATE, EXECUTE, ended
from tests.support.publishing import ready_order
from tests.support.queries import counting_statements


@pytest.mark.embedded
async def test_a_publish_reads_order_images_per_product_not_per_item(gql, bc_sandbox, server):
    ready = await ready_order(gql, bc_sandbox, products=4, images_per_product=2, duplicates=1)
    gql.token = ready.token
    plan = (await gql(CREATE, {"o": ready.order_id, "s": ready.store_id}))["publishPlanCreate"]["plan"]
    items = plan["items"]["totalCount"]
    table = OrderImage._meta.db_table
    with counting_statements() as c:
        run = (await gql(EXECUTE, {"p": plan["id"]}))["publishPlanExecute"]
        job = await ended(run["job"]["id"])
    assert job.status.value == "SUCCEEDED" and job.done == items == 11
    reads = [s for s in c.statements
             if s.lstrip().upper().startswith("SELECT") and f'FROM "{table}"'.upper() in s.upper()]
    print(f"OrderImage SELECTs during the publish of {items} items on 4 products: {len(reads)}")
    assert len(reads) <= 4, reads  # one per product written to
