"""Publishing through GraphQL against the BigCommerce sandbox: the plan and its
defaults, bulk actions with bad input that changes nothing, the dry-run preview,
execution with the store's final images checked through the sandbox's state API,
the log (GraphQL and CSV) and a rollback."""

from __future__ import annotations

import csv
import io

import httpx
import pytest

from strawberry import relay

from core.catalog.models import Image
from core.jobs.models import Job
from core.orders.models import Order
from core.publishing.models import PublishItem, PublishPlan
from tests.support.publishing import ERR, gid, ordered, ready_order, remote_product, sha
from tests.support.servers import wait_until

PLAN = """id status store { id } counts { total pending done skipped failed rolledBack }
  items(first: 100) { totalCount edges { node { id action status note error sourceProductExternalId imageExternalId
    variantExternalId position isThumbnail altText beforeUrl afterUrl targetProductExternalId
    storeImageIdBefore storeImageIdAfter restoredImageId } } }"""
CREATE = f"mutation($o: ID!, $s: ID!) {{ publishPlanCreate(orderId: $o, storeId: $s) {{ plan {{ {PLAN} }} {ERR} }} }}"
UPDATE = f"""mutation($p: ID!, $items: [PublishItemUpdateInput!]!) {{ publishPlanItemsUpdate(planId: $p, items: $items) {{
  plan {{ {PLAN} }} {ERR} }} }}"""
EXECUTE = f"mutation($p: ID!) {{ publishPlanExecute(planId: $p) {{ plan {{ id status }} job {{ id status }} {ERR} }} }}"
ROLLBACK = f"mutation($p: ID!) {{ publishPlanRollback(planId: $p) {{ plan {{ id status }} job {{ id }} {ERR} }} }}"
GET = f"query($id: ID!) {{ publishPlan(id: $id) {{ {PLAN} }} }}"
LOG = """query($id: ID!) { publishPlan(id: $id) { status logCsvUrl log(first: 100) { totalCount edges { node {
  itemId action result productExternalId storeImageIdBefore storeImageIdAfter restoredImageId at rolledBackAt error } } } } }"""


def nodes(plan: dict) -> list[dict]:
    return [e["node"] for e in plan["items"]["edges"]]


async def ended(job_id: str) -> Job:
    pk = int(relay.GlobalID.from_id(job_id).node_id)
    return await wait_until(lambda: Job.filter(id=pk, status__in=["SUCCEEDED", "FAILED", "CANCELLED"]).first(),
                            timeout=60)


async def snapshot() -> tuple:
    return (sorted(await PublishItem.all().values_list("id", "action", "target_product_id", "status")),
            sorted(await PublishPlan.all().values_list("id", "status")))


@pytest.mark.embedded
async def test_plan_execute_log_and_rollback(gql, bc_sandbox, server):
    ready = await ready_order(gql, bc_sandbox, products=4, images_per_product=2, duplicates=1)
    gql.token = ready.token
    hash_ = ready.store_hash
    before = {pid: await remote_product(bc_sandbox, hash_, pid) for pid in ("1", "2", "3", "4")}
    places = sum(len(p["images"]) for p in before.values())
    assert [len(before[p]["images"]) for p in "1234"] == [4, 2, 3, 2]  # the sandbox's seed 3

    created = (await gql(CREATE, {"o": ready.order_id, "s": ready.store_id}))["publishPlanCreate"]
    assert created["errors"] == []
    plan = created["plan"]
    items = nodes(plan)
    # every place (the first images of product 1 and of product 2 are one duplicate group)
    assert plan["status"] == "DRAFT" and plan["items"]["totalCount"] == places == plan["counts"]["pending"]
    assert {i["action"] for i in items} == {"OVERWRITE"}
    assert all(i["afterUrl"] and i["beforeUrl"] for i in items)
    async with httpx.AsyncClient() as http:
        picture = await http.get(items[0]["afterUrl"])
    assert picture.status_code == 200 and sha(picture.content) in ready.edited_shas

    # bulk: APPEND one, SKIP one, COPY one to product 4; bad input changes nothing
    by_place = {(i["sourceProductExternalId"], i["imageExternalId"]): i for i in items}
    p1 = ordered(before["1"])
    p3 = ordered(before["3"])
    append_item = by_place[("1", str(p1[1]["id"]))]
    skip_item = by_place[("3", str(p3[0]["id"]))]
    copy_item = by_place[("3", str(p3[1]["id"]))]
    products = await gql("query($s: ID!) { products(storeId: $s, search: \"\", first: 10) { edges { node { id externalId } } } }",
                         {"s": ready.store_id})
    target = next(e["node"]["id"] for e in products["products"]["edges"] if e["node"]["externalId"] == "4")
    unchanged = await snapshot()
    bad = (await gql(UPDATE, {"p": plan["id"], "items": [
        {"itemId": append_item["id"], "action": "APPEND"},
        {"itemId": copy_item["id"], "action": "COPY_TO_PRODUCT"},  # no target
        {"itemId": gid("PublishItem", 999999), "action": "SKIP"},
    ]}))["publishPlanItemsUpdate"]
    assert {(e["code"], e["field"]) for e in bad["errors"]} == {("REQUIRED", "items.1.targetProductId"),
                                                                ("NOT_FOUND", "items.2.itemId")}
    assert await snapshot() == unchanged
    good = (await gql(UPDATE, {"p": plan["id"], "items": [
        {"itemId": append_item["id"], "action": "APPEND"},
        {"itemId": skip_item["id"], "action": "SKIP"},
        {"itemId": copy_item["id"], "action": "COPY_TO_PRODUCT", "targetProductId": target},
    ]}))["publishPlanItemsUpdate"]
    assert good["errors"] == []
    actions = {i["id"]: i["action"] for i in nodes(good["plan"])}
    assert sorted(actions.values()).count("OVERWRITE") == places - 3

    # dry run: product 3 keeps its first picture, gets the edited copy of its second... on product 4
    preview = await gql("""query($id: ID!) { publishPlan(id: $id) { preview { product { externalId }
        before { imageExternalId edited } after { imageExternalId edited isThumbnail } } } }""", {"id": plan["id"]})
    by_product = {p["product"]["externalId"]: p for p in preview["publishPlan"]["preview"]}
    assert [i["edited"] for i in by_product["1"]["after"]] == [True, False, True, True, True]  # APPEND: kept + last
    assert [i["edited"] for i in by_product["4"]["after"]] == [True, True, True]  # 2 overwritten + the copy
    assert all(not i["edited"] for i in by_product["1"]["before"])

    run = (await gql(EXECUTE, {"p": plan["id"]}))["publishPlanExecute"]
    assert run["errors"] == [] and run["plan"]["status"] == "PUBLISHING"
    job = await ended(run["job"]["id"])
    assert (job.status.value, job.done, job.total) == ("SUCCEEDED", places, places)  # progress per item
    done = (await gql(GET, {"id": plan["id"]}))["publishPlan"]
    assert done["status"] == "PUBLISHED", [i["error"] for i in nodes(done)]
    assert done["counts"] == {"total": places, "pending": 0, "done": places - 1, "skipped": 1, "failed": 0,
                              "rolledBack": 0}
    assert (await Order.get(id=ready.order_pk)).status.value == "PUBLISHED"

    # the store: every overwritten slot holds the edited picture, same place, thumbnail and alt text
    after = {pid: await remote_product(bc_sandbox, hash_, pid) for pid in ("1", "2", "3", "4")}
    edited = ready.edited_shas
    for pid in ("2", "4"):
        old, new = ordered(before[pid]), ordered(after[pid])
        assert len(new) == len(old) + (pid == "4")  # product 4 also got the copy, last
        for o, n in zip(old, new):
            assert n["sha"] in edited and n["id"] != o["id"]
            assert (n["is_thumbnail"], n["description"]) == (o["is_thumbnail"], o["description"])
    new1 = ordered(after["1"])
    assert [i["sha"] in edited for i in new1] == [True, False, True, True, True]
    assert new1[1]["id"] == p1[1]["id"] and new1[0]["is_thumbnail"] and not new1[-1]["is_thumbnail"]
    new3 = ordered(after["3"])  # skipped, copied elsewhere, overwritten
    assert [i["id"] for i in new3[:2]] == [i["id"] for i in p3[:2]] and new3[2]["sha"] in edited
    assert len(after["4"]["images"]) == len(before["4"]["images"]) + 1
    assert ordered(after["4"])[-1]["sha"] in edited
    # exactly one image written per item: nothing twice
    assert sum(len(p["images"]) for p in after.values()) == sum(len(p["images"]) for p in before.values()) + 2

    # Pixport's catalog follows without a re-sync: the written images, marked edited
    edited_images = await gql("query($s: ID!) { images(storeId: $s, filter: {edited: true}, first: 50) { totalCount } }",
                              {"s": ready.store_id})
    assert edited_images["images"]["totalCount"] == places - 1
    assert await Image.filter(store_id=ready.store.id, removed_at__isnull=True).count() == places + 2

    log = (await gql(LOG, {"id": plan["id"]}))["publishPlan"]
    entries = [e["node"] for e in log["log"]["edges"]]
    assert log["log"]["totalCount"] == places
    for e in entries:
        if e["action"] == "SKIP":
            assert e["result"] == "SKIPPED" and e["storeImageIdAfter"] is None
        else:
            assert e["result"] == "DONE" and e["storeImageIdAfter"] and e["at"]
        if e["action"] == "OVERWRITE":
            assert e["storeImageIdBefore"] and e["storeImageIdBefore"] != e["storeImageIdAfter"]
    async with httpx.AsyncClient(base_url=server) as http:
        denied = await http.get(log["logCsvUrl"])
        assert denied.status_code == 401
        got = await http.get(log["logCsvUrl"], headers={"Authorization": f"Bearer {ready.token}"})
        assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(got.text)))
        assert len(rows) == places
        assert {r["store_image_id_after"] for r in rows} == {e["storeImageIdAfter"] or "" for e in entries}
        bob = await gql.sign_up("bob@example.com")
        hidden = await http.get(log["logCsvUrl"], headers={"Authorization": f"Bearer {bob['token']}"})
        assert hidden.status_code == 404
        assert (await gql(GET, {"id": plan["id"]}, token=bob["token"]))["publishPlan"] is None

    # rollback: the originals (their very files) back in their slots, the added pictures gone
    undo = (await gql(ROLLBACK, {"p": plan["id"]}))["publishPlanRollback"]
    assert undo["errors"] == []
    await ended(undo["job"]["id"])
    back = {pid: await remote_product(bc_sandbox, hash_, pid) for pid in ("1", "2", "3", "4")}
    for pid in ("1", "2", "3", "4"):
        old, now = ordered(before[pid]), ordered(back[pid])
        assert [(i["sha"], i["is_thumbnail"], i["description"]) for i in now] == \
               [(i["sha"], i["is_thumbnail"], i["description"]) for i in old], pid
    assert await Image.filter(store_id=ready.store.id, removed_at__isnull=True, edited=True).count() == 0
    assert await Image.filter(store_id=ready.store.id, removed_at__isnull=True).count() == places
    final = (await gql(LOG, {"id": plan["id"]}))["publishPlan"]
    assert final["status"] == "ROLLED_BACK"
    assert all(e["node"]["rolledBackAt"] for e in final["log"]["edges"] if e["node"]["action"] != "SKIP")
    again = (await gql(ROLLBACK, {"p": plan["id"]}))["publishPlanRollback"]
    assert again["errors"][0]["code"] == "INVALID_TRANSITION"


async def test_plan_refuses_what_cannot_be_published(gql, bc_sandbox):
    ready = await ready_order(gql, bc_sandbox, products=2, images_per_product=1, duplicates=0)
    gql.token = ready.token
    bob = await gql.sign_up("bob@example.com")
    # another account's order, or store; a store of the same account without the product
    hidden = (await gql(CREATE, {"o": ready.order_id, "s": ready.store_id}, token=bob["token"]))["publishPlanCreate"]
    assert hidden["errors"][0]["code"] == "NOT_FOUND" and hidden["errors"][0]["field"] == "orderId"
    from tests.support.factories import make_store

    other = await make_store(ready.user.account_id, external_id="elsewhere")
    created = (await gql(CREATE, {"o": ready.order_id, "s": gid("Store", other.id)}))["publishPlanCreate"]
    assert created["errors"] == []
    items = nodes(created["plan"])
    assert {i["action"] for i in items} == {"SKIP"} and all("SKU" in i["note"] for i in items)
    refused = (await gql(UPDATE, {"p": created["plan"]["id"], "items": [
        {"itemId": items[0]["id"], "action": "OVERWRITE"}]}))["publishPlanItemsUpdate"]
    assert refused["errors"][0]["field"] == "items.0.action"
    # a product of another store is no copy target
    from core.catalog.models import Product

    foreign = await Product.filter(store_id=ready.store.id).first()
    wrong = (await gql(UPDATE, {"p": created["plan"]["id"], "items": [
        {"itemId": items[0]["id"], "action": "COPY_TO_PRODUCT", "targetProductId": gid("Product", foreign.id)}]}
    ))["publishPlanItemsUpdate"]
    assert wrong["errors"][0] == {"code": "NOT_FOUND", "field": "items.0.targetProductId",
                                  "message": "No such product in the plan's store."}
    # an order still in production cannot be published
    order = await Order.get(id=ready.order_pk)
    await Order.filter(id=order.id).update(status="IN_PRODUCTION")
    early = (await gql(CREATE, {"o": ready.order_id, "s": ready.store_id}))["publishPlanCreate"]
    assert early["errors"][0]["code"] == "INVALID_TRANSITION"


@pytest.mark.embedded
async def test_order_lists_its_plans(gql, bc_sandbox):
    ready = await ready_order(gql, bc_sandbox, products=1, images_per_product=1, duplicates=0)
    gql.token = ready.token
    plan = (await gql(CREATE, {"o": ready.order_id, "s": ready.store_id}))["publishPlanCreate"]["plan"]
    got = await gql("query($id: ID!) { order(id: $id) { publishPlans { id status store { id } } } }",
                    {"id": ready.order_id})
    assert got["order"]["publishPlans"] == [{"id": plan["id"], "status": "DRAFT", "store": {"id": ready.store_id}}]


async def test_another_account_sees_and_changes_no_plan(gql, bc_sandbox):
    ready = await ready_order(gql, bc_sandbox, products=1, images_per_product=1, duplicates=0)
    plan = (await gql(CREATE, {"o": ready.order_id, "s": ready.store_id}, token=ready.token))["publishPlanCreate"]["plan"]
    item = nodes(plan)[0]
    bob = await gql.sign_up("bob@example.com")
    unchanged = await snapshot()
    assert (await gql(GET, {"id": plan["id"]}, token=bob["token"]))["publishPlan"] is None
    node = "query($id: ID!) { node(id: $id) { id } }"
    for global_id in (plan["id"], item["id"]):
        assert (await gql(node, {"id": global_id}, token=ready.token))["node"]["id"] == global_id
        assert (await gql(node, {"id": global_id}, token=bob["token"]))["node"] is None
    for query, name, variables in (
            (UPDATE, "publishPlanItemsUpdate", {"p": plan["id"], "items": [{"itemId": item["id"], "action": "SKIP"}]}),
            (EXECUTE, "publishPlanExecute", {"p": plan["id"]}),
            (ROLLBACK, "publishPlanRollback", {"p": plan["id"]})):
        refused = (await gql(query, variables, token=bob["token"]))[name]
        assert refused["errors"] == [{"code": "NOT_FOUND", "field": "planId", "message": "No such publish plan."}]
    anonymous = await gql.raw(GET, {"id": plan["id"]})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await snapshot() == unchanged


@pytest.mark.embedded
async def test_rollback_returns_the_order_to_review_once_nothing_is_live(gql, bc_sandbox):
    ready = await ready_order(gql, bc_sandbox, products=2, images_per_product=1, duplicates=0)
    gql.token = ready.token
    status = "query($id: ID!) { order(id: $id) { status } }"
    before = {pid: sorted(i["sha"] for i in (await remote_product(bc_sandbox, ready.store_hash, pid))["images"])
              for pid in ("1", "2")}

    async def run(mutation: str, name: str, plan_id: str) -> None:
        started = (await gql(mutation, {"p": plan_id}))[name]
        assert started["errors"] == []
        assert (await ended(started["job"]["id"])).status.value == "SUCCEEDED"

    # two plans, each publishing one of the two products (the other item skipped)
    plans = []
    for keep in ("1", "2"):
        plan = (await gql(CREATE, {"o": ready.order_id, "s": ready.store_id}))["publishPlanCreate"]["plan"]
        skip = [{"itemId": i["id"], "action": "SKIP"} for i in nodes(plan) if i["sourceProductExternalId"] != keep]
        assert (await gql(UPDATE, {"p": plan["id"], "items": skip}))["publishPlanItemsUpdate"]["errors"] == []
        await run(EXECUTE, "publishPlanExecute", plan["id"])
        plans.append(plan["id"])
    assert (await gql(status, {"id": ready.order_id}))["order"]["status"] == "PUBLISHED"

    # one undone: the other's image is still in the store, so the order stays published
    await run(ROLLBACK, "publishPlanRollback", plans[0])
    assert (await gql(status, {"id": ready.order_id}))["order"]["status"] == "PUBLISHED"
    # both undone: the store holds the originals only; the order is back to review ...
    await run(ROLLBACK, "publishPlanRollback", plans[1])
    assert (await gql(status, {"id": ready.order_id}))["order"]["status"] == "READY_FOR_REVIEW"
    for pid in ("1", "2"):
        assert sorted(i["sha"] for i in (await remote_product(bc_sandbox, ready.store_hash, pid))["images"]) \
            == before[pid]
    # ... and can be published again
    again = (await gql(CREATE, {"o": ready.order_id, "s": ready.store_id}))["publishPlanCreate"]["plan"]
    await run(EXECUTE, "publishPlanExecute", again["id"])
    assert {i["error"] for i in nodes((await gql(GET, {"id": again["id"]}))["publishPlan"])} == {""}
    assert (await gql(status, {"id": ready.order_id}))["order"]["status"] == "PUBLISHED"
