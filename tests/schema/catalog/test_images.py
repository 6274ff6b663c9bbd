"""images, imageFacets and products: filters, sorts, keyset pages, counts, and who may see them."""

from __future__ import annotations

import logging

import pytest
from strawberry import relay

from core.accounts.models import User
from core.catalog.models import Image
from core.catalog.services import forget_counts
from tests.support.servers import wait_until
from tests.support.factories import make_catalog, make_store

pytestmark = pytest.mark.embedded

IMAGES = """query($store: ID!, $filter: ImageFilter, $sort: ImageSort, $first: Int, $after: String) {
  images(storeId: $store, filter: $filter, sort: $sort, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node { id fileName productName sku brand width height format fileBytes background
      location { position isThumbnail productId } product { name brand categories } } } } }"""


@pytest.fixture
async def shop(gql):
    owner = await gql.sign_up("ann@example.com")
    user = await User.get(email="ann@example.com")
    store = await make_store(user.account_id)
    images = await make_catalog(store, products=12, images_per_product=3)
    gql.token = owner["token"]
    return {"store": str(relay.GlobalID("Store", str(store.id))), "images": images, "store_row": store}


async def _all(gql, store, **variables):
    names, after = [], None
    while True:
        data = (await gql(IMAGES, {"store": store, "after": after, **variables}))["images"]
        names += [e["node"]["fileName"] for e in data["edges"]]
        if not data["pageInfo"]["hasNextPage"]:
            return names, data["totalCount"]
        after = data["pageInfo"]["endCursor"]


async def test_paging_through_every_sort_gives_each_image_once_in_order(gql, shop):
    expected = {i.file_name for i in shop["images"]}
    for field in ("PRODUCT_NAME", "MODIFIED_AT", "SIZE", "FILE_BYTES", "ID"):
        for direction in ("ASC", "DESC"):
            names, total = await _all(gql, shop["store"], sort={"field": field, "direction": direction}, first=7)
            assert total == 36 and len(names) == 36 and set(names) == expected, (field, direction)
            column = {"PRODUCT_NAME": "product_name", "MODIFIED_AT": "modified_at", "SIZE": "width",
                      "FILE_BYTES": "file_bytes", "ID": "id"}[field]
            rows = {i.file_name: i for i in shop["images"]}
            keys = [(getattr(rows[n], column), rows[n].id) for n in names]
            assert keys == sorted(keys, reverse=direction == "DESC"), (field, direction)


@pytest.mark.parametrize(
    ("filter", "check"),
    [
        ({"search": "product 00"}, lambda i: i.product_name.lower().startswith("product 00")),
        ({"search": "SKU-011"}, lambda i: i.sku == "SKU-011"),
        ({"search": "photo-01"}, lambda i: i.file_name.startswith("photo-01")),
        ({"brand": ["Bolt"]}, lambda i: i.brand == "Bolt"),
        ({"categories": ["11", "12"]}, lambda i: i.category_ids in (",11,", ",12,")),
        ({"background": ["WHITE", "TRANSPARENT"]}, lambda i: i.background.value in ("WHITE", "TRANSPARENT")),
        ({"formats": ["png"]}, lambda i: i.format == "PNG"),
        ({"maxWidth": 999}, lambda i: 0 < i.width <= 999),
        ({"minWidth": 1000, "minHeight": 1000}, lambda i: i.width >= 1000 and i.height >= 1000),
        ({"visible": False}, lambda i: not i.is_visible),
        ({"edited": True}, lambda i: i.edited),
        ({"brand": ["Acme"], "formats": ["JPEG"], "maxHeight": 1500}, lambda i: i.brand == "Acme" and i.format == "JPEG" and 0 < i.height <= 1500),
    ],
)
async def test_filters_select_exactly_the_matching_images(gql, shop, filter, check):
    names, total = await _all(gql, shop["store"], filter=filter, first=100)
    expected = sorted(i.file_name for i in shop["images"] if check(i))
    assert sorted(names) == expected and total == len(expected)


async def test_filter_by_product_and_facets_count_the_filtered_set(gql, shop):
    product = str(relay.GlobalID("Product", str(shop["images"][0].product_id)))
    names, total = await _all(gql, shop["store"], filter={"productIds": [product]})
    assert total == 3 and len(names) == 3

    facets = (await gql("""query($s: ID!, $f: ImageFilter) { imageFacets(storeId: $s, filter: $f) {
        background { value count } format { value count } brand { value count } size { value count } } }""",
        {"s": shop["store"], "f": {"brand": ["Acme"]}}))["imageFacets"]
    acme = [i for i in shop["images"] if i.brand == "Acme"]
    assert {f["value"]: f["count"] for f in facets["brand"]} == {"Acme": len(acme)}
    assert sum(f["count"] for f in facets["background"]) == len(acme)
    assert {f["value"]: f["count"] for f in facets["format"]} == {
        fmt: sum(1 for i in acme if i.format == fmt) for fmt in {i.format for i in acme}}
    assert sum(f["count"] for f in facets["size"]) == len(acme)


async def test_removed_images_are_not_listed(gql, shop):
    await Image.filter(id=shop["images"][0].id).update(removed_at=shop["images"][0].synced_at)
    _, total = await _all(gql, shop["store"])
    assert total == 35


async def test_bad_paging_input_is_refused_clearly(gql, shop):
    for variables, message in (({"first": 101}, "first must be between 0 and 100"),
                               ({"after": "bm90IGEgY3Vyc29y"}, "not one Pixport gave out"),
                               ({"filter": {"search": "x" * 201}}, "at most 200")):
        body = await gql.raw(IMAGES, {"store": shop["store"], **variables})
        assert message in body["errors"][0]["message"]


async def test_a_page_costs_the_same_number_of_queries_whatever_its_size(gql, shop, caplog):
    from core.jobs.models import Job, JobStatus

    # Only this request's statements: the welcome mail of sign-up must be done first.
    async def no_job_running():
        return not await Job.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).exists()

    await wait_until(no_job_running)
    async def queries_for(first):
        forget_counts()
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="tortoise.db_client"):
            await gql(IMAGES + "", {"store": shop["store"], "first": first})
        return len([r for r in caplog.records if r.name == "tortoise.db_client" and "SELECT" in r.getMessage().upper()])

    small, large = await queries_for(2), await queries_for(30)
    assert small == large and 0 < small <= 5  # session, store check, page, count, one products batch


async def test_another_accounts_store_and_images_stay_invisible(gql, shop):
    bob = await gql.sign_up("bob@example.com")
    body = await gql.raw(IMAGES, {"store": shop["store"]}, token=bob["token"])
    assert body["data"] is None and body["errors"][0]["message"] == "No such store."
    assert (await gql("{ stores { id } }", token=bob["token"]))["stores"] == []
    assert (await gql("query($id: ID!) { store(id: $id) { id } }", {"id": shop["store"]}, token=bob["token"]))["store"] is None
    image = str(relay.GlobalID("Image", str(shop["images"][0].id)))
    for gid in (image, shop["store"], str(relay.GlobalID("Product", str(shop["images"][0].product_id)))):
        node = "query($id: ID!) { node(id: $id) { id } }"
        assert (await gql(node, {"id": gid}, token=bob["token"]))["node"] is None
        assert (await gql(node, {"id": gid}))["node"]["id"] == gid
    products = "query($s: ID!) { products(storeId: $s) { totalCount } }"
    assert (await gql.raw(products, {"s": shop["store"]}, token=bob["token"]))["errors"][0]["message"] == "No such store."
    assert (await gql(products, {"s": shop["store"]}))["products"]["totalCount"] == 12


async def test_products_search_for_a_copy_target(gql, shop):
    q = "query($s: ID!, $q: String) { products(storeId: $s, search: $q, first: 5) { totalCount edges { node { name sku } } } }"
    data = (await gql(q, {"s": shop["store"], "q": "sku-01"}))["products"]
    assert data["totalCount"] == 2 and [e["node"]["sku"] for e in data["edges"]] == ["SKU-010", "SKU-011"]
