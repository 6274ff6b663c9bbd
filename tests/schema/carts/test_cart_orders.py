"""Cart, specifications, quotes and orders through GraphQL, and bad input that changes nothing."""

from __future__ import annotations

import asyncio

import pytest
from strawberry import relay

from core.accounts.models import User
from core.carts.models import CartItem
from core.catalog.models import AnalysisStatus
from core.orders import services as orders
from core.orders.models import Order, OrderImage, OrderImageLocation
from core.orders.states import OrderStatus
from core.specs.models import Specification, SpecificationVersion
from core.timeutil import utcnow
from tests.support.factories import make_catalog, make_duplicates, make_store
from tests.support.servers import wait_until

pytestmark = pytest.mark.embedded

ERR = "errors { code field message }"
ADD = f"""mutation($s: ID!, $ids: [ID!]!) {{ cartAddImages(storeId: $s, imageIds: $ids) {{
  cart {{ imageCount items(first: 100) {{ totalCount }} duplicateGroups {{ totalCount edges {{ node {{ size images {{ id }} }} }} }} }}
  added duplicatesRemoved {ERR} }} }}"""
MATCH = f"""mutation($s: ID!, $f: ImageFilter) {{ cartAddMatching(storeId: $s, filter: $f) {{
  cart {{ imageCount }} added duplicatesRemoved {ERR} }} }}"""
SPEC_CREATE = f"""mutation($i: SpecificationInput!) {{ specificationCreate(input: $i) {{
  specification {{ id name currentVersion {{ number locked options {{ shadow formats background {{ kind colour }} }} }} }} {ERR} }} }}"""
SPEC_UPDATE = f"""mutation($id: ID!, $i: SpecificationInput!) {{ specificationUpdate(id: $id, input: $i) {{
  specification {{ id currentVersion {{ number locked options {{ shadow retouch }} }} }} {ERR} }} }}"""
ORDER_FIELDS = "id number status comment imageCount dueAt quote { total { amount currency } turnaroundHours } specificationVersion { number }"
ORDER_CREATE = f"""mutation($i: OrderCreateInput!) {{ orderCreate(input: $i) {{ order {{ {ORDER_FIELDS} }} {ERR} }} }}"""
APPROVE = f"""mutation($id: ID!) {{ orderApprove(id: $id) {{ order {{ {ORDER_FIELDS} }} {ERR} }} }}"""
UPDATE = f"""mutation($id: ID!, $i: OrderUpdateInput!) {{ orderUpdate(id: $id, input: $i) {{ order {{ {ORDER_FIELDS} }} {ERR} }} }}"""
CANCEL = f"""mutation($id: ID!) {{ orderCancel(id: $id) {{ order {{ {ORDER_FIELDS} }} {ERR} }} }}"""


def gid(kind: str, pk: int) -> str:
    return str(relay.GlobalID(kind, str(pk)))


async def snapshot() -> tuple:
    """What bad input must not change."""
    return (
        sorted(await CartItem.all().values_list("cart_id", "image_id")),
        sorted(await Order.all().values_list("id", "status", "comment", "spec_version_id", "total_amount")),
        await OrderImage.all().count(), await OrderImageLocation.all().count(),
        sorted(await SpecificationVersion.all().values_list("id", "number", "locked", "options")),
        sorted(await Specification.all().values_list("id", "name", "current_version_id", "archived_at")),
    )


@pytest.fixture
async def shop(gql):
    ann = await gql.sign_up("ann@example.com")
    bob = await gql.sign_up("bob@example.com")
    ann_user = await User.get(email="ann@example.com")
    bob_user = await User.get(email="bob@example.com")
    store = await make_store(ann_user.account_id)
    other_store = await make_store(ann_user.account_id, external_id="other")
    bob_store = await make_store(bob_user.account_id, external_id="bob")
    images = await make_catalog(store, products=5, images_per_product=2)
    await make_duplicates(images)
    other_images = await make_catalog(other_store, products=1, images_per_product=1)
    bob_images = await make_catalog(bob_store, products=1, images_per_product=1)
    gql.token = ann["token"]
    spec = (await gql(SPEC_CREATE, {"i": {"name": "White", "shadow": "DROP"}}))["specificationCreate"]["specification"]
    bob_spec = (await gql(SPEC_CREATE, {"i": {"name": "Bob's"}}, token=bob["token"]))["specificationCreate"]["specification"]
    return {"store": gid("Store", store.id), "bob_store": gid("Store", bob_store.id), "images": images,
            "ids": [gid("Image", i.id) for i in images], "other_image": gid("Image", other_images[0].id),
            "bob_image": gid("Image", bob_images[0].id), "spec": spec, "bob_spec": bob_spec, "bob": bob["token"]}


async def test_cart_groups_duplicates_and_order_snapshots_them(gql, shop):
    ids = shop["ids"]
    first = (await gql(ADD, {"s": shop["store"], "ids": ids[:5] + [ids[0]]}))["cartAddImages"]
    assert first["errors"] == []
    # 0+1 same bytes, 2+3 a re-encoding, 4 another product with 2's silhouette; ids[0] given twice
    assert first["cart"]["imageCount"] == 3 and first["added"] == 3 and first["duplicatesRemoved"] == 3
    assert first["cart"]["items"]["totalCount"] == 5
    sizes = sorted(e["node"]["size"] for e in first["cart"]["duplicateGroups"]["edges"])
    assert sizes == [2, 2]
    again = (await gql(ADD, {"s": shop["store"], "ids": ids[:2]}))["cartAddImages"]
    assert again["added"] == 0 and again["duplicatesRemoved"] == 2 and again["cart"]["imageCount"] == 3

    match = (await gql(MATCH, {"s": shop["store"], "f": {"search": "Product 00"}}))["cartAddMatching"]
    assert match["errors"] == [] and match["cart"]["imageCount"] == 8  # 10 images, 2 duplicate pairs
    assert match["added"] == 5 and match["duplicatesRemoved"] == 5
    assert await CartItem.all().count() == 10

    quote = await gql("""query($s: ID!, $spec: ID!) { cart(storeId: $s) { imageCount quote(specificationId: $spec) {
        lines { code quantity amount { amount } } total { amount currency } turnaroundHours } } }""",
                      {"s": shop["store"], "spec": shop["spec"]["id"]})
    q = quote["cart"]["quote"]
    assert q["total"] == {"amount": 8 * (150 + 40), "currency": "USD"} and q["turnaroundHours"] == 24
    assert [(line["code"], line["quantity"]) for line in q["lines"]] == [("BASE", 8), ("SHADOW_DROP", 8)]

    created = (await gql(ORDER_CREATE, {"i": {"storeId": shop["store"], "specificationId": shop["spec"]["id"],
                                              "comment": "Please keep the labels"}}))["orderCreate"]
    assert created["errors"] == []
    order = created["order"]
    assert order["status"] == "DRAFT" and order["imageCount"] == 8 and order["number"].startswith("PX-")
    assert order["quote"]["total"]["amount"] == 8 * 190 and order["dueAt"] is None
    assert await CartItem.all().count() == 0  # the cart is empty
    assert await OrderImage.all().count() == 8 and await OrderImageLocation.all().count() == 10
    detail = await gql("""query($id: ID!) { order(id: $id) { images(first: 100) { totalCount edges { node {
        locationCount locations { productId position isThumbnail imageExternalId } } } } } }""", {"id": order["id"]})
    nodes = [e["node"] for e in detail["order"]["images"]["edges"]]
    assert sorted(n["locationCount"] for n in nodes) == [1] * 6 + [2, 2]
    assert all(len(n["locations"]) == n["locationCount"] for n in nodes)

    # edit, approve (twice), update after approval, cancel
    updated = (await gql(UPDATE, {"id": order["id"], "i": {"comment": "No labels"}}))["orderUpdate"]
    assert updated["errors"] == [] and updated["order"]["comment"] == "No labels"
    approved = (await gql(APPROVE, {"id": order["id"]}))["orderApprove"]
    assert approved["errors"] == [] and approved["order"]["status"] == "AWAITING_PAYMENT"
    assert approved["order"]["comment"] == "No labels"
    before = await snapshot()
    twice = (await gql(APPROVE, {"id": order["id"]}))["orderApprove"]
    assert twice["order"] is None and twice["errors"][0]["code"] == "INVALID_TRANSITION"
    assert twice["errors"][0]["field"] == "id"
    assert await snapshot() == before
    cancelled = (await gql(CANCEL, {"id": order["id"]}))["orderCancel"]
    assert cancelled["order"]["status"] == "CANCELLED"
    listed = await gql("{ orders(status: [CANCELLED]) { totalCount edges { node { number } } } }")
    assert listed["orders"]["totalCount"] == 1


async def test_bad_input_is_a_typed_error_on_its_field_and_changes_nothing(gql, shop):
    ids, store = shop["ids"], shop["store"]
    removed, unreadable = shop["images"][8], shop["images"][9]
    removed.removed_at = utcnow()
    await removed.save(update_fields=["removed_at"])
    unreadable.analysis_status = AnalysisStatus.UNREADABLE
    await unreadable.save(update_fields=["analysis_status"])
    await gql(ADD, {"s": store, "ids": ids[:2]})
    before = await snapshot()

    async def refused(query, variables, name, expected):
        payload = (await gql(query, variables))[name]
        got = [(e["code"], e["field"]) for e in payload["errors"]]
        assert got == expected, (name, payload["errors"])
        assert await snapshot() == before, name

    await refused(ADD, {"s": store, "ids": [ids[2], shop["bob_image"]]}, "cartAddImages", [("NOT_FOUND", "imageIds.1")])
    await refused(ADD, {"s": store, "ids": [shop["other_image"]]}, "cartAddImages", [("INVALID", "imageIds.0")])
    await refused(ADD, {"s": store, "ids": [gid("Image", removed.id), gid("Image", unreadable.id), ids[3]]},
                  "cartAddImages", [("INVALID", "imageIds.0"), ("INVALID", "imageIds.1")])
    await refused(ADD, {"s": store, "ids": [gid("Product", 1)]}, "cartAddImages", [("NOT_FOUND", "imageIds.0")])
    await refused(ADD, {"s": shop["bob_store"], "ids": [ids[2]]}, "cartAddImages", [("NOT_FOUND", "storeId")])
    await refused(MATCH, {"s": shop["bob_store"]}, "cartAddMatching", [("NOT_FOUND", "storeId")])
    await refused(ORDER_CREATE, {"i": {"storeId": store, "specificationId": shop["bob_spec"]["id"]}},
                  "orderCreate", [("NOT_FOUND", "input.specificationId")])
    await refused(ORDER_CREATE, {"i": {"storeId": store, "specificationId": gid("Specification", 999999)}},
                  "orderCreate", [("NOT_FOUND", "input.specificationId")])
    await refused(SPEC_UPDATE, {"id": shop["bob_spec"]["id"], "i": {"shadow": "DROP"}}, "specificationUpdate",
                  [("NOT_FOUND", "id")])
    await refused(SPEC_CREATE, {"i": {"name": "Bad", "background": {"kind": "TRANSPARENT"}, "formats": ["JPEG"],
                                      "shadow": "DROP", "keepOriginalShadow": True,
                                      "margins": {"unit": "PERCENT", "left": 60, "right": 50}}},
                  "specificationCreate", [("INVALID", "input.background.kind"), ("INVALID", "input.keepOriginalShadow"),
                                          ("INVALID", "input.margins.left")])
    await refused(SPEC_CREATE, {"i": {"name": "Bad", "background": {"kind": "COLOUR", "colour": "#12345G"},
                                      "quality": 101, "size": {"mode": "MAX", "width": 5, "height": 20000}}},
                  "specificationCreate", [("INVALID", "input.background.colour"), ("INVALID", "input.size.width"),
                                          ("INVALID", "input.size.height"), ("INVALID", "input.quality")])
    await refused(SPEC_CREATE, {"i": {"name": " "}}, "specificationCreate", [("REQUIRED", "input.name")])

    # an empty cart at checkout
    await gql("mutation($s: ID!) { cartClear(storeId: $s) { cart { imageCount } } }", {"s": store})
    before = await snapshot()
    await refused(ORDER_CREATE, {"i": {"storeId": store, "specificationId": shop["spec"]["id"]}},
                  "orderCreate", [("EMPTY_CART", "input.storeId")])

    # updating a paid order
    await gql(ADD, {"s": store, "ids": ids[:3]})
    order = (await gql(ORDER_CREATE, {"i": {"storeId": store, "specificationId": shop["spec"]["id"]}}))["orderCreate"]["order"]
    await gql(APPROVE, {"id": order["id"]})
    row = await Order.get(id=int(relay.GlobalID.from_id(order["id"]).node_id))
    await orders.transition(row, OrderStatus.IN_PRODUCTION)  # what a confirmed payment does
    before = await snapshot()
    await refused(UPDATE, {"id": order["id"], "i": {"comment": "late"}}, "orderUpdate", [("INVALID_TRANSITION", "id")])
    await refused(CANCEL, {"id": order["id"]}, "orderCancel", [("INVALID_TRANSITION", "id")])
    await refused(UPDATE, {"id": order["id"], "i": {"comment": "x"}}, "orderUpdate", [("INVALID_TRANSITION", "id")])


async def test_a_paid_order_locks_its_spec_version_and_an_edit_makes_a_new_one(gql, shop):
    spec = shop["spec"]
    await gql(ADD, {"s": shop["store"], "ids": shop["ids"][:1]})
    draft = (await gql(ORDER_CREATE, {"i": {"storeId": shop["store"], "specificationId": spec["id"]}}))["orderCreate"]["order"]
    # unpaid: edited in place, and the draft is re-quoted
    edit = (await gql(SPEC_UPDATE, {"id": spec["id"], "i": {"retouch": "BASIC"}}))["specificationUpdate"]
    assert edit["errors"] == [] and edit["specification"]["currentVersion"] == {
        "number": 1, "locked": False, "options": {"shadow": "DROP", "retouch": "BASIC"}}
    requoted = await gql(f"query($id: ID!) {{ order(id: $id) {{ {ORDER_FIELDS} }} }}", {"id": draft["id"]})
    assert requoted["order"]["quote"]["total"]["amount"] == 150 + 40 + 100

    await gql(APPROVE, {"id": draft["id"]})
    await orders.transition(await Order.get(id=int(relay.GlobalID.from_id(draft["id"]).node_id)), OrderStatus.IN_PRODUCTION)
    paid = await gql(f"query($id: ID!) {{ order(id: $id) {{ {ORDER_FIELDS} specificationVersion {{ locked }} }} }}", {"id": draft["id"]})
    assert paid["order"]["status"] == "IN_PRODUCTION" and paid["order"]["dueAt"] is not None
    assert paid["order"]["specificationVersion"]["locked"] is True

    edit = (await gql(SPEC_UPDATE, {"id": spec["id"], "i": {"shadow": "NONE"}}))["specificationUpdate"]
    assert edit["specification"]["currentVersion"] == {"number": 2, "locked": False,
                                                       "options": {"shadow": "NONE", "retouch": "BASIC"}}
    kept = await gql("query($id: ID!) { order(id: $id) { specificationVersion { number locked options { shadow } } } }",
                     {"id": draft["id"]})
    assert kept["order"]["specificationVersion"] == {"number": 1, "locked": True, "options": {"shadow": "DROP"}}

    # deleting: archived (orders use it), hidden from the list; a spec no order used is deleted
    deleted = (await gql("mutation($id: ID!) { specificationDelete(id: $id) { archived specification { archivedAt } errors { code } } }",
                         {"id": spec["id"]}))["specificationDelete"]
    assert deleted["archived"] is True and deleted["specification"]["archivedAt"]
    unused = (await gql(SPEC_CREATE, {"i": {"name": "Unused"}}))["specificationCreate"]["specification"]
    gone = (await gql("mutation($id: ID!) { specificationDelete(id: $id) { archived errors { code } } }",
                      {"id": unused["id"]}))["specificationDelete"]
    assert gone == {"archived": False, "errors": []}
    assert (await gql("{ specifications { name } }"))["specifications"] == []
    assert await Specification.filter(name="Unused").count() == 0


async def test_price_quote_and_order_updates_subscription(gql, shop):
    q = await gql("query($s: ID!) { priceQuote(specificationId: $s, imageCount: 1000) { lines { code amount { amount } } total { amount } } }",
                  {"s": shop["spec"]["id"]})
    assert q["priceQuote"]["total"]["amount"] == 1000 * 190 - 1000 * 190 // 10
    bad = await gql.raw("query($s: ID!) { priceQuote(specificationId: $s, imageCount: 1) { total { amount } } }",
                        {"s": shop["bob_spec"]["id"]})
    assert bad["data"] is None and bad["errors"][0]["message"] == "No such specification."

    await gql(ADD, {"s": shop["store"], "ids": shop["ids"][:2]})
    order = (await gql(ORDER_CREATE, {"i": {"storeId": shop["store"], "specificationId": shop["spec"]["id"]}}))["orderCreate"]["order"]
    seen = []

    async def follow():
        async for payload in gql.subscribe("subscription($o: ID!) { orderUpdates(orderId: $o) { status } }",
                                           {"o": order["id"]}):
            seen.append(payload["data"]["orderUpdates"]["status"])
            if len(seen) == 3:
                return

    task = asyncio.create_task(follow())
    await wait_until(lambda: seen or task.done(), timeout=5)  # subscribed: the current status came first
    assert seen == ["DRAFT"]
    await gql(APPROVE, {"id": order["id"]})
    await gql(CANCEL, {"id": order["id"]})
    await asyncio.wait_for(task, 10)
    assert seen == ["DRAFT", "AWAITING_PAYMENT", "CANCELLED"]


async def test_another_account_sees_no_cart_specification_quote_or_order(gql, shop):
    await gql(ADD, {"s": shop["store"], "ids": shop["ids"][:2]})
    order = (await gql(ORDER_CREATE, {"i": {"storeId": shop["store"], "specificationId": shop["spec"]["id"]}}))["orderCreate"]["order"]
    bob = shop["bob"]
    cart = await gql.raw("query($s: ID!) { cart(storeId: $s) { imageCount } }", {"s": shop["store"]}, token=bob)
    assert cart["data"] is None and cart["errors"][0]["message"] == "No such store."
    assert [s["name"] for s in (await gql("{ specifications { name } }", token=bob))["specifications"]] == ["Bob's"]
    quote = await gql.raw("query($s: ID!) { priceQuote(specificationId: $s, imageCount: 1) { imageCount } }",
                          {"s": shop["spec"]["id"]}, token=bob)
    assert quote["data"] is None and quote["errors"][0]["message"] == "No such specification."
    assert (await gql("{ orders { totalCount edges { node { id } } } }", token=bob))["orders"] == {"totalCount": 0, "edges": []}
    assert (await gql("query($id: ID!) { order(id: $id) { id } }", {"id": order["id"]}, token=bob))["order"] is None
    node = "query($id: ID!) { node(id: $id) { id } }"
    for global_id in (order["id"], shop["spec"]["id"]):
        assert (await gql(node, {"id": global_id}, token=bob))["node"] is None
        assert (await gql(node, {"id": global_id}))["node"]["id"] == global_id
    # bob's own cart in bob's store is empty: ann's items are not his
    mine = await gql("query($s: ID!) { cart(storeId: $s) { imageCount } }", {"s": shop["bob_store"]}, token=bob)
    assert mine["cart"]["imageCount"] == 0
