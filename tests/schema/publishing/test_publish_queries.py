"""A publish reads the edited files' rows once per product, not once per item."""

from __future__ import annotations

import pytest

from core.jobs.models import Job, JobStatus
from core.orders.models import OrderImage
from tests.schema.publishing.test_publish_flow import CREATE, EXECUTE, ended
from tests.support.publishing import ready_order
from tests.support.queries import counting_statements
from tests.support.servers import wait_until


async def _quiet():
    return not await Job.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).exists()


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


PLANS = """query($id: ID!) { order(id: $id) { publishPlans { id counts { total }
  items(first: 3) { totalCount pageInfo { hasNextPage } edges { node { id afterUrl orderImage { id } } } }
  log(first: 3) { totalCount edges { node { itemId } } } } } }"""


@pytest.mark.embedded
async def test_an_orders_plans_with_their_items_cost_the_same_queries_for_one_or_many(gql, bc_sandbox):
    ready = await ready_order(gql, bc_sandbox, products=2, images_per_product=2, duplicates=0)
    gql.token = ready.token

    async def selects():
        await wait_until(_quiet)  # only this request's statements: no job (e.g. a mail) running meanwhile
        with counting_statements() as c:
            plans = (await gql(PLANS, {"id": ready.order_id}))["order"]["publishPlans"]
        return c.selects_from("orders", "publish_plan", "publish_item", "order_image"), plans

    assert (await gql(CREATE, {"o": ready.order_id, "s": ready.store_id}))["publishPlanCreate"]["errors"] == []
    one, plans = await selects()
    for _ in range(2):
        assert (await gql(CREATE, {"o": ready.order_id, "s": ready.store_id}))["publishPlanCreate"]["errors"] == []
    many, plans = await selects()
    print(f"SELECTs for an order with 1 plan: {one}, with 3 plans: {many}")
    assert len(plans) == 3 and one == many, (one, many)
    ids = set()
    for plan in plans:
        items = plan["items"]
        assert items["totalCount"] == plan["log"]["totalCount"] == plan["counts"]["total"] > 3
        assert len(items["edges"]) == 3 and items["pageInfo"]["hasNextPage"]
        assert [e["node"]["id"] for e in items["edges"]] == [e["node"]["itemId"] for e in plan["log"]["edges"]]
        assert all(e["node"]["afterUrl"] and e["node"]["orderImage"] for e in items["edges"])
        ids |= {e["node"]["id"] for e in items["edges"]}
    assert len(ids) == 9  # each plan its own items
