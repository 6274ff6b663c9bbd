"""A user never sees another account's data: every query, every node type."""

from __future__ import annotations

import pytest

from core.jobs.models import Job
from schema import Query
from strawberry import relay

pytestmark = pytest.mark.embedded

# Each root query field and the test that shows it reveals nothing of another account.
# A new query must be added here, or test_every_query_is_covered fails.
COVERED = {
    "me": "test_another_accounts_user_job_and_account_are_invisible",
    "job": "test_another_accounts_user_job_and_account_are_invisible",
    "node": "test_another_accounts_user_job_and_account_are_invisible",
    "stores": "tests/schema/catalog/test_images.py::test_another_accounts_store_and_images_stay_invisible",
    "store": "tests/schema/catalog/test_images.py::test_another_accounts_store_and_images_stay_invisible",
    "images": "tests/schema/catalog/test_images.py::test_another_accounts_store_and_images_stay_invisible",
    "imageFacets": "test_store_scoped_queries_refuse_another_accounts_store",
    "products": "tests/schema/catalog/test_images.py::test_another_accounts_store_and_images_stay_invisible",
    "cart": "tests/schema/carts/test_cart_orders.py::test_another_account_sees_no_cart_specification_quote_or_order",
    "specifications": "tests/schema/carts/test_cart_orders.py::test_another_account_sees_no_cart_specification_quote_or_order",
    "priceQuote": "tests/schema/carts/test_cart_orders.py::test_another_account_sees_no_cart_specification_quote_or_order",
    # reads nothing stored: it prices the options it is given
    "priceQuotePreview": "tests/schema/pricing/test_price_preview.py::test_the_preview_prices_what_saving_would_price_and_saves_nothing",
    "orders": "tests/schema/carts/test_cart_orders.py::test_another_account_sees_no_cart_specification_quote_or_order",
    "order": "tests/schema/carts/test_cart_orders.py::test_another_account_sees_no_cart_specification_quote_or_order",
    "savedCards": "tests/schema/payments/test_stripe.py::test_saved_card_setup_list_delete_and_another_accounts_card",
    "productionQueue": "tests/schema/production/test_production.py::test_only_staff_see_the_queue_and_merchants_only_their_own_images",
    "publishPlan": "tests/schema/publishing/test_publish_flow.py::test_another_account_sees_and_changes_no_plan",
}


def test_every_query_is_covered():
    from schema import build_schema

    assert set(build_schema()._schema.query_type.fields) == set(COVERED)


async def test_another_accounts_user_job_and_account_are_invisible(gql):
    ann = await gql.sign_up("ann@example.com")
    bob = await gql.sign_up("bob@example.com")
    ann_job = await Job.filter(account_id=relay.GlobalID.from_id(ann["user"]["account"]["id"]).node_id).first()
    job_gid = str(relay.GlobalID("Job", str(ann_job.id)))

    me = await gql("{ me { email account { name } } }", token=bob["token"])
    assert me["me"]["email"] == "bob@example.com"

    job_q = "query($id: ID!) { job(id: $id) { id kind } }"
    assert (await gql(job_q, {"id": job_gid}, token=ann["token"]))["job"]["kind"] == "mail.welcome"
    assert (await gql(job_q, {"id": job_gid}, token=bob["token"]))["job"] is None
    malformed = await gql.raw(job_q, {"id": "not-a-global-id"}, token=bob["token"])
    assert "cannot represent a GlobalID" in malformed["errors"][0]["message"]
    anonymous = await gql.raw(job_q, {"id": job_gid})
    assert (anonymous["data"] or {}).get("job") is None and anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    node_q = "query($id: ID!) { node(id: $id) { id ... on User { email } ... on Account { name } ... on Job { kind } } }"
    for gid in (ann["user"]["id"], ann["user"]["account"]["id"], job_gid):
        assert (await gql(node_q, {"id": gid}, token=ann["token"]))["node"]["id"] == gid
        assert (await gql(node_q, {"id": gid}, token=bob["token"]))["node"] is None
        assert (await gql(node_q, {"id": gid}))["node"] is None


def test_every_root_field_declares_its_permissions():
    from schema import Mutation, Subscription

    for root in (Query, Mutation, Subscription):
        for field in root.__strawberry_definition__.fields:
            assert field.permission_classes, f"{root.__name__}.{field.name} declares no permission"


async def test_store_scoped_queries_refuse_another_accounts_store(gql):
    from core.accounts.models import User
    from tests.support.factories import make_catalog, make_store

    await gql.sign_up("ann@example.com")
    bob = await gql.sign_up("bob@example.com")
    store = await make_store((await User.get(email="ann@example.com")).account_id)
    await make_catalog(store, products=2)
    gid = str(relay.GlobalID("Store", str(store.id)))
    facets = "query($s: ID!) { imageFacets(storeId: $s) { brand { value count } } }"
    body = await gql.raw(facets, {"s": gid}, token=bob["token"])
    assert body["data"] is None and body["errors"][0]["message"] == "No such store."
