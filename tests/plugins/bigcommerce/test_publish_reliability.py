"""Publishing when things go wrong, against the BigCommerce sandbox: answers lost after
the sandbox applied a POST, 429 storms and 503 bursts, a worker that died between the
store's write and Pixport's commit, a product the merchant deleted, and
publishPlanExecute sent twice at once. In every case the store ends with exactly the
intended images (read through the sandbox's state API) and the log tells the truth."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from strawberry import relay

from core.jobs.models import Job
from core.orders.models import Order
from core.publishing.models import PublishItem, PublishPlan, PublishWrite
from core.publishing.states import ItemStatus, PlanStatus, WriteStatus
from core.timeutil import utcnow
from tests.schema.publishing.test_publish_flow import CREATE, EXECUTE, ROLLBACK, UPDATE, nodes
from tests.support.publishing import ordered, ready_order, remote_product
from tests.support.servers import wait_until
from workers import execute


def pk(global_id: str) -> int:
    return int(relay.GlobalID.from_id(global_id).node_id)


async def store_state(bc_sandbox, ready) -> dict[str, dict]:
    ids = sorted({str(p) for p in await ready.store.products.all().values_list("external_id", flat=True)}, key=int)
    return {pid: await remote_product(bc_sandbox, ready.store_hash, pid) for pid in ids}


def assert_overwritten(before: dict, after: dict, edited: set[str], gone: set[str] = frozenset()) -> None:
    """Every picture replaced by an edited one in its slot, nothing added, nothing twice."""
    for pid, old_product in before.items():
        if pid in gone:
            assert after[pid] is None
            continue
        old, new = ordered(old_product), ordered(after[pid])
        assert len(new) == len(old), (pid, [i["id"] for i in new])
        for o, n in zip(old, new):
            assert n["sha"] in edited and n["id"] != o["id"], pid
            assert (n["is_thumbnail"], n["description"]) == (o["is_thumbnail"], o["description"])


async def plan_for(gql, ready) -> dict:
    created = (await gql(CREATE, {"o": ready.order_id, "s": ready.store_id}, token=ready.token))["publishPlanCreate"]
    assert created["errors"] == []
    return created["plan"]


async def run_to_end(gql, ready, plan: dict) -> PublishPlan:
    started = (await gql(EXECUTE, {"p": plan["id"]}, token=ready.token))["publishPlanExecute"]
    assert started["errors"] == [], started
    await ended(started["job"]["id"])
    return await PublishPlan.get(id=pk(plan["id"]))


async def ended(job_id: str) -> Job:
    """The job's end (the plan and the order have settled by then)."""
    return await wait_until(lambda: Job.filter(id=pk(job_id), status__in=["SUCCEEDED", "FAILED", "CANCELLED"]).first(),
                            timeout=60)


async def faults(bc_sandbox, ready, **settings) -> None:
    r = await bc_sandbox.call("PUT", f"{ready.store_hash}/faults", json=settings)
    assert r.status_code == 200, r.text


async def test_lost_answers_after_applied_posts_leave_exactly_one_image(gql, bc_app, bc_sandbox):
    ready = await ready_order(gql, bc_sandbox, products=4, duplicates=1)
    before = await store_state(bc_sandbox, ready)
    plan = await plan_for(gql, ready)
    await faults(bc_sandbox, ready, seed=11, drop_rate=0.4, drop_methods=["POST", "DELETE"])
    done = await run_to_end(gql, ready, plan)
    assert done.status == PlanStatus.PUBLISHED
    injected = (await bc_sandbox.call("GET", f"{ready.store_hash}/faults")).json()["injected"]
    assert injected["dropped"] >= 3
    await faults(bc_sandbox, ready, drop_rate=0)
    assert_overwritten(before, await store_state(bc_sandbox, ready), ready.edited_shas)
    items = await PublishItem.filter(plan_id=done.id)
    assert all(i.status == ItemStatus.DONE and i.after_image_id and i.before_image_id for i in items)
    assert await PublishWrite.filter(item__plan_id=done.id, status=WriteStatus.APPLIED).count() == len(items)


async def test_429_storms_and_503_bursts_end_with_the_intended_images(gql, bc_app, bc_sandbox):
    ready = await ready_order(gql, bc_sandbox, products=3, duplicates=0)
    before = await store_state(bc_sandbox, ready)
    plan = await plan_for(gql, ready)
    # a tiny quota shared with "other apps" (429 storms, some without headers) and 503 bursts
    r = await bc_sandbox.call("PUT", f"{ready.store_hash}/limits", json={"quota": 20, "window_ms": 200})
    assert r.status_code == 200
    await faults(bc_sandbox, ready, seed=5, burst_503={"every": 9, "length": 3}, throttle_without_headers_rate=0.5)

    async def other_app(stop: asyncio.Event) -> None:  # another app of the store, using the quota flat out
        async with httpx.AsyncClient(base_url=bc_sandbox.url, headers={"X-Auth-Token": ready.remote["access_token"]}) as http:
            while not stop.is_set():  # more than a window's quota at once, every 50 ms
                await asyncio.gather(*(http.get(f"/stores/{ready.store_hash}/v3/catalog/products",
                                                params={"limit": 1}) for _ in range(30)))
                await asyncio.sleep(0.05)

    stop = asyncio.Event()
    storm = asyncio.create_task(other_app(stop))
    try:
        done = await run_to_end(gql, ready, plan)
    finally:
        stop.set()
        await storm
    assert (await bc_sandbox.state(ready.store_hash))["throttled"] >= 10
    assert done.status == PlanStatus.PUBLISHED, await PublishItem.filter(plan_id=done.id).values_list("error", flat=True)
    await faults(bc_sandbox, ready, burst_503=None, throttle_without_headers_rate=0)
    await bc_sandbox.call("PUT", f"{ready.store_hash}/limits", json={"quota": 10000, "window_ms": 30000})
    assert (await bc_sandbox.call("GET", f"{ready.store_hash}/faults")).json()["injected"]["errors"] >= 3
    assert_overwritten(before, await store_state(bc_sandbox, ready), ready.edited_shas)


async def test_a_worker_killed_between_the_store_write_and_the_commit_writes_nothing_twice(gql, bc_app, bc_sandbox):
    """The database as a crash leaves it: the store has the new image, Pixport's intent row
    is still INTENDED and the item pending; the job's lease ran out. The rerun adopts the
    image it finds by its key instead of posting again."""
    ready = await ready_order(gql, bc_sandbox, products=3, duplicates=0)
    before = await store_state(bc_sandbox, ready)
    plan = await plan_for(gql, ready)
    done = await run_to_end(gql, ready, plan)
    assert done.status == PlanStatus.PUBLISHED
    published = await store_state(bc_sandbox, ready)
    items = await PublishItem.filter(plan_id=done.id).order_by("id")
    cut = items[: len(items) // 2]
    await PublishItem.filter(id__in=[i.id for i in cut]).update(status=ItemStatus.PENDING, after_image_id=None,
                                                                finished_at=None)
    await PublishWrite.filter(item_id__in=[i.id for i in cut]).update(status=WriteStatus.INTENDED, result_image_id=None)
    await PublishPlan.filter(id=done.id).update(status=PlanStatus.PUBLISHING)
    await Order.filter(id=ready.order_pk).update(status="PUBLISHING")
    await Job.filter(id=done.job_id).update(status="RUNNING", finished_at=None, lease_until=utcnow() - timedelta(seconds=1))
    requests = (await bc_sandbox.state(ready.store_hash))["requests"]

    await execute.run_job(done.job_id)
    plan_row = await PublishPlan.get(id=done.id)
    assert plan_row.status == PlanStatus.PUBLISHED
    assert await store_state(bc_sandbox, ready) == published  # not one image more
    assert_overwritten(before, published, ready.edited_shas)
    for item in await PublishItem.filter(id__in=[i.id for i in cut]):
        old = next(i for i in items if i.id == item.id)
        assert item.status == ItemStatus.DONE and item.after_image_id == old.after_image_id
    used = (await bc_sandbox.state(ready.store_hash))["requests"] - requests
    # per product a listing, then per item found by its key: a listing and a DELETE of the old (already gone)
    assert used <= 3 + 2 * len(cut)
    assert (await Order.get(id=ready.order_pk)).status.value == "PUBLISHED"


async def test_a_deleted_product_fails_its_items_with_a_reason_and_they_can_be_retried(gql, bc_app, bc_sandbox):
    ready = await ready_order(gql, bc_sandbox, products=3, duplicates=0)
    before = await store_state(bc_sandbox, ready)
    plan = await plan_for(gql, ready)
    r = await bc_sandbox.call("DELETE", f"{ready.store_hash}/products/2")  # the merchant, meanwhile
    assert r.status_code == 200
    done = await run_to_end(gql, ready, plan)
    assert done.status == PlanStatus.PARTIALLY_PUBLISHED
    assert (await Order.get(id=ready.order_pk)).status.value == "PARTIALLY_PUBLISHED"
    failed = [n for n in nodes((await gql("query($id: ID!) { publishPlan(id: $id) { items(first: 100, status: [FAILED]) "
                                          "{ edges { node { id action status error targetProductExternalId } } } } }",
                                          {"id": plan["id"]}, token=ready.token))["publishPlan"])]
    assert failed and all(f["targetProductExternalId"] == "2" and "no longer exists" in f["error"] for f in failed)
    after = await store_state(bc_sandbox, ready)
    assert after["2"] is None
    assert_overwritten({k: v for k, v in before.items() if k != "2"}, {k: v for k, v in after.items() if k != "2"},
                       ready.edited_shas)

    # retry the failed items as copies onto product 3
    target = (await ready.store.products.filter(external_id="3").first()).id
    changed = (await gql(UPDATE, {"p": plan["id"], "items": [
        {"itemId": f["id"], "action": "COPY_TO_PRODUCT", "targetProductId": str(relay.GlobalID("Product", str(target)))}
        for f in failed]}, token=ready.token))["publishPlanItemsUpdate"]
    assert changed["errors"] == []
    again = await run_to_end(gql, ready, plan)
    assert again.status == PlanStatus.PUBLISHED
    assert (await Order.get(id=ready.order_pk)).status.value == "PUBLISHED"
    three = ordered(await remote_product(bc_sandbox, ready.store_hash, "3"))
    assert len(three) == len(before["3"]["images"]) + len(failed)
    assert all(i["sha"] in ready.edited_shas for i in three)


async def test_execute_sent_twice_at_once_runs_one_job(gql, bc_app, bc_sandbox):
    ready = await ready_order(gql, bc_sandbox, products=3, duplicates=0)
    before = await store_state(bc_sandbox, ready)
    plan = await plan_for(gql, ready)
    await faults(bc_sandbox, ready, latency_ms=20)
    first, second = await asyncio.gather(*(gql(EXECUTE, {"p": plan["id"]}, token=ready.token) for _ in range(2)))
    a, b = first["publishPlanExecute"], second["publishPlanExecute"]
    assert a["errors"] == [] and b["errors"] == [] and a["job"]["id"] == b["job"]["id"]
    assert await Job.filter(kind="publishing.publish").count() == 1
    await ended(a["job"]["id"])
    done = await PublishPlan.get(id=pk(plan["id"]))
    await faults(bc_sandbox, ready, latency_ms=0)
    assert_overwritten(before, await store_state(bc_sandbox, ready), ready.edited_shas)
    # and a third, once it is published, is refused: nothing is published twice
    third = (await gql(EXECUTE, {"p": plan["id"]}, token=ready.token))["publishPlanExecute"]
    assert third["errors"][0]["code"] == "INVALID_TRANSITION" and done.status == PlanStatus.PUBLISHED


async def test_a_product_deleted_while_publishing_runs_leaves_a_truthful_log(gql, bc_app, bc_sandbox):
    ready = await ready_order(gql, bc_sandbox, products=3, duplicates=0)
    before = await store_state(bc_sandbox, ready)
    plan = await plan_for(gql, ready)
    await faults(bc_sandbox, ready, latency_ms=80)
    started = (await gql(EXECUTE, {"p": plan["id"]}, token=ready.token))["publishPlanExecute"]
    assert started["errors"] == []
    await wait_until(lambda: PublishItem.filter(plan_id=pk(plan["id"]), target_product_external_id="1",
                                                status=ItemStatus.DONE).exists(), timeout=30)
    r = await bc_sandbox.call("DELETE", f"{ready.store_hash}/products/1")  # the merchant, right now
    assert r.status_code == 200
    await ended(started["job"]["id"])
    done = await PublishPlan.get(id=pk(plan["id"]))
    await faults(bc_sandbox, ready, latency_ms=0)
    after = await store_state(bc_sandbox, ready)
    assert after["1"] is None
    assert_overwritten({k: v for k, v in before.items() if k != "1"}, {k: v for k, v in after.items() if k != "1"},
                       ready.edited_shas)
    items = await PublishItem.filter(plan_id=done.id, target_product_external_id="1")
    failed = [i for i in items if i.status == ItemStatus.FAILED]
    # what was written before the deletion says so; what came after says why it failed
    # (product 1 has several pictures and each write waits 80 ms: the deletion comes mid-product)
    assert len(before["1"]["images"]) >= 3
    assert all(i.status in (ItemStatus.DONE, ItemStatus.FAILED) for i in items)
    assert any(i.status == ItemStatus.DONE for i in items) and failed, [(i.status, i.error) for i in items]
    assert all("no longer exists" in i.error for i in failed)
    assert done.status == PlanStatus.PARTIALLY_PUBLISHED


async def test_a_rollback_through_lost_answers_puts_each_original_back_once(gql, bc_app, bc_sandbox):
    ready = await ready_order(gql, bc_sandbox, products=3, duplicates=1)
    before = await store_state(bc_sandbox, ready)
    plan = await plan_for(gql, ready)
    assert (await run_to_end(gql, ready, plan)).status == PlanStatus.PUBLISHED
    await faults(bc_sandbox, ready, seed=3, drop_rate=0.5, drop_methods=["POST", "DELETE"])
    undo = (await gql(ROLLBACK, {"p": plan["id"]}, token=ready.token))["publishPlanRollback"]
    assert undo["errors"] == []
    await ended(undo["job"]["id"])
    rolled = await PublishPlan.get(id=pk(plan["id"]))
    assert rolled.status == PlanStatus.ROLLED_BACK
    assert (await bc_sandbox.call("GET", f"{ready.store_hash}/faults")).json()["injected"]["dropped"] >= 2
    await faults(bc_sandbox, ready, drop_rate=0)
    back = await store_state(bc_sandbox, ready)
    for pid, product in before.items():
        assert [(i["sha"], i["is_thumbnail"], i["description"]) for i in ordered(back[pid])] == \
               [(i["sha"], i["is_thumbnail"], i["description"]) for i in ordered(product)]
    items = await PublishItem.filter(plan_id=rolled.id)
    assert all(i.status == ItemStatus.ROLLED_BACK and i.restored_image_id for i in items)


async def test_a_cancelled_publish_stops_and_execute_finishes_it(gql, bc_app, bc_sandbox):
    from core.jobs import services as jobs

    ready = await ready_order(gql, bc_sandbox, products=6, images_per_product=3, duplicates=0)
    before = await store_state(bc_sandbox, ready)
    plan = await plan_for(gql, ready)
    await faults(bc_sandbox, ready, latency_ms=30)
    started = (await gql(EXECUTE, {"p": plan["id"]}, token=ready.token))["publishPlanExecute"]
    await wait_until(lambda: PublishItem.filter(plan_id=pk(plan["id"]), status=ItemStatus.DONE).exists(), timeout=30)
    await jobs.cancel(ready.user, pk(started["job"]["id"]))
    from workers import execute as runner

    await wait_until(lambda: runner.in_flight == 0, timeout=30)
    stopped = await PublishPlan.get(id=pk(plan["id"]))
    pending = await PublishItem.filter(plan_id=stopped.id, status=ItemStatus.PENDING).count()
    assert stopped.status == PlanStatus.PUBLISHING and pending > 0  # paused, not finished
    await faults(bc_sandbox, ready, latency_ms=0)
    again = (await gql(EXECUTE, {"p": plan["id"]}, token=ready.token))["publishPlanExecute"]
    assert again["errors"] == [] and again["job"]["id"] != started["job"]["id"]
    await ended(again["job"]["id"])
    assert (await PublishPlan.get(id=stopped.id)).status == PlanStatus.PUBLISHED
    assert_overwritten(before, await store_state(bc_sandbox, ready), ready.edited_shas)
