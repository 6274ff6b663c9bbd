"""A list of orders with their images costs the same statements for 1 order as for many."""

from __future__ import annotations

import pytest
from strawberry import relay

from core.jobs.models import Job, JobStatus
from tests.support.factories import make_order
from tests.support.servers import wait_until
from tests.support.queries import counting_statements

pytestmark = pytest.mark.embedded

ORDERS = """query($first: Int) { orders(first: $first) { edges { node { id
  images(first: 2) { totalCount pageInfo { hasNextPage endCursor } edges { node { id fileName } } } } } } }"""
NEXT = """query($id: ID!, $after: String) { order(id: $id) { images(first: 2, after: $after) {
  pageInfo { hasNextPage hasPreviousPage } edges { node { id } } } } }"""


async def _quiet():
    return not await Job.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).exists()


async def test_orders_with_their_images_cost_the_same_queries_for_one_or_many(gql):
    owner = await gql.sign_up()
    account = int(relay.GlobalID.from_id(owner["user"]["account"]["id"]).node_id)
    for n in range(4):
        await make_order(gql, owner["token"], account, images=3, external_id=f"shop{n}")
    await wait_until(_quiet)

    async def selects(first):
        await wait_until(_quiet)
        with counting_statements() as c:
            data = await gql(ORDERS, {"first": first}, token=owner["token"])
        return c.selects_from("orders", "order_image"), data["orders"]["edges"]

    one, edges_one = await selects(1)
    many, edges = await selects(4)
    assert len(edges_one) == 1 and len(edges) == 4
    print("SELECTs for 1 order:", one, "for 4 orders:", many)
    assert one == many, (one, many)
    for e in edges:  # each order still gets its own first page, in id order, with a next page
        images = e["node"]["images"]
        assert images["totalCount"] == 3 and len(images["edges"]) == 2 and images["pageInfo"]["hasNextPage"]
        rest = (await gql(NEXT, {"id": e["node"]["id"], "after": images["pageInfo"]["endCursor"]},
                          token=owner["token"]))["order"]["images"]
        assert len(rest["edges"]) == 1 and rest["pageInfo"] == {"hasNextPage": False, "hasPreviousPage": True}
        ids = [x["node"]["id"] for x in images["edges"] + rest["edges"]]
        assert len(set(ids)) == 3
