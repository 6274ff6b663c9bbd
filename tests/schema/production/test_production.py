"""Production end to end on the BigCommerce sandbox's pictures: paid → originals in the
BlobStore → engine and validator → retouchers → READY_FOR_REVIEW with one e-mail; bad
files fail alone; redo; signed before/after links; who sees what."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import re
from datetime import datetime, timedelta

import httpx
import pytest
from PIL import Image as PILImage

from core import runtime
from core.jobs import services as jobs
from core.jobs.models import Job, JobStatus
from core.orders import services as orders
from core.orders.models import Order, OrderImage
from core.orders.states import OrderStatus
from core.production import services as production
from core.production.states import EditedBy, ProductionStatus as PS
from core.timeutil import utcnow
from tests.schema.production.conftest import ERR, gid, jpeg, pk_of, sandbox_order
from tests.support.servers import wait_until
from tests.support.queries import counting_statements

pytestmark = pytest.mark.embedded  # jobs, the process pool and the guarded moves on both columns

FILE = "url expiresAt width height bytes format"
IMAGE = f"""id productionStatus editedBy confidence editReport retouchReason redoNote redoCount dueAt doneAt
  claimedAt claimedByMe error {{ code message }} before {{ {FILE} }} after {{ {FILE} }}"""
ORDER = f"""query($id: ID!) {{ order(id: $id) {{ status dueAt paidAt readyAt overdue
  production {{ total queued editing retouch failed done }}
  productionJob {{ id kind status done total }}
  images(first: 100) {{ edges {{ node {{ {IMAGE} }} }} }} }} }}"""
QUEUE = f"""query($overdue: Boolean, $mine: Boolean) {{ productionQueue(first: 50, overdue: $overdue, claimedByMe: $mine) {{
  totalCount edges {{ node {{ {IMAGE} order {{ id number dueAt }} }} }} }} }}"""
QUEUE_PAGE = f"""query($first: Int) {{ productionQueue(first: $first) {{ totalCount edges {{ node {{ {IMAGE}
  image {{ id }} locations {{ productExternalId }} order {{ id number dueAt production {{ total }} }} }} }} }} }}"""
CLAIM = f"mutation($id: ID!) {{ productionImageClaim(orderImageId: $id) {{ orderImage {{ {IMAGE} }} {ERR} }} }}"
SUBMIT = f"""mutation($id: ID!, $file: Upload!) {{ productionImageSubmit(orderImageId: $id, file: $file) {{
  orderImage {{ {IMAGE} }} {ERR} }} }}"""
REDO = f"""mutation($id: ID!, $note: String!) {{ orderImageRedoRequest(orderImageId: $id, note: $note) {{
  orderImage {{ {IMAGE} }} {ERR} }} }}"""


async def pay(order_pk: int) -> Order:
    """What a confirmed payment does (core.payments calls this same move)."""
    return await orders.transition(await Order.get(id=order_pk), OrderStatus.IN_PRODUCTION)


async def settled(order_pk: int, timeout: float = 30) -> None:
    """Every image has left intake and the engine (done, or waiting for a person)."""
    try:
        await wait_until(lambda: _not(OrderImage.filter(order_id=order_pk,
                                                        production_status__in=[PS.QUEUED, PS.EDITING]).exists()),
                         timeout=timeout)
    except AssertionError:
        rows = await OrderImage.filter(order_id=order_pk).values_list("id", "production_status", "source_url")
        jobs = await Job.filter(kind__startswith="production.").values_list("id", "kind", "status", "message")
        raise AssertionError(f"production did not settle: {rows} {jobs}") from None


async def _not(awaitable) -> bool:
    return not await awaitable


async def upload(gql, token: str, image_id: str, data: bytes, name: str = "result.jpg",
                 mime: str = "image/jpeg"):
    operations = json.dumps({"query": SUBMIT, "variables": {"id": image_id, "file": None}})
    return await gql.http.post("/graphql", data={"operations": operations, "map": json.dumps({"0": ["variables.file"]})},
                               files={"0": (name, data, mime)}, headers={"Authorization": f"Bearer {token}"})


async def retouch_all(gql, token: str, order_pk: int) -> int:
    """A retoucher takes every image of the order that waits for a person and submits a
    JPEG: the original re-encoded, or (no usable original) a new picture."""
    waiting = await OrderImage.filter(order_id=order_pk, production_status__in=[PS.RETOUCH, PS.FAILED])
    for image in waiting:
        claimed = (await gql(CLAIM, {"id": gid("OrderImage", image.id)}, token=token))["productionImageClaim"]
        assert claimed["errors"] == [], claimed["errors"]
        data = jpeg(300, 300)
        if image.original_key and image.production_status == PS.RETOUCH:
            with PILImage.open(io.BytesIO(await runtime.current().blobs.get(image.original_key))) as im:
                out = io.BytesIO()
                im.convert("RGB").save(out, "JPEG", quality=90, dpi=(72, 72))
                data = out.getvalue()
        response = await upload(gql, token, gid("OrderImage", image.id), data)
        assert response.status_code == 200, response.text
        assert response.json()["data"]["productionImageSubmit"]["errors"] == [], response.text
    return len(waiting)


def ready_mails(mailbox, address: str) -> list:
    return [m for m in mailbox.to(address) if "ready for review" in m["Subject"]]


async def test_a_paid_order_is_edited_checked_and_ready_for_review_once(gql, bc_sandbox, ann, retoucher, mailbox):
    order = await sandbox_order(gql, bc_sandbox, ann["token"], products=4)
    paid = await pay(order["pk"])
    assert paid.intake_job_id is not None
    await settled(order["pk"])
    # studio photos with a KEEP background: the engine edits them itself, no person needed
    assert await OrderImage.filter(order_id=order["pk"], production_status=PS.DONE,
                                   edited_by=EditedBy.ENGINE).count() >= 3
    await retouch_all(gql, retoucher["token"], order["pk"])  # whatever the engine left to a person
    await wait_until(lambda: Order.filter(id=order["pk"], status=OrderStatus.READY_FOR_REVIEW).exists(), timeout=20)

    seen = (await gql(ORDER, {"id": order["id"]}, token=ann["token"]))["order"]
    assert seen["status"] == "READY_FOR_REVIEW" and seen["readyAt"] and not seen["overdue"]
    n = (await Order.get(id=order["pk"])).image_count
    assert n >= 4
    assert seen["production"] == {"total": n, "queued": 0, "editing": 0, "retouch": 0, "failed": 0, "done": n}
    job = seen["productionJob"]
    assert job["kind"] == production.INTAKE and job["status"] == "SUCCEEDED" and job["done"] == job["total"] == n
    rows = {r.id: r for r in await OrderImage.filter(order_id=order["pk"])}
    assert len(seen["images"]["edges"]) == n
    async with httpx.AsyncClient() as http:
        for edge in seen["images"]["edges"]:
            node = edge["node"]
            row = rows[pk_of(node["id"])]
            assert node["productionStatus"] == "DONE" and node["editedBy"] in ("ENGINE", "RETOUCHER")
            assert row.result_key and row.result_format == "JPEG" and row.original_key
            before, after = node["before"], node["after"]
            assert before["url"].startswith(f"{gql.base_url}/files/") and before["bytes"] == row.original_bytes
            # the links serve exactly the stored files: the original as downloaded, the validated result
            got_before = await http.get(before["url"])
            assert got_before.status_code == 200 and got_before.content == await runtime.current().blobs.get(row.original_key)
            got_after = await http.get(after["url"])
            assert got_after.status_code == 200 and got_after.headers["content-type"] == "image/jpeg"
            with PILImage.open(io.BytesIO(got_after.content)) as im:
                assert (im.format, im.size) == ("JPEG", (after["width"], after["height"]))
            assert after["bytes"] == len(got_after.content) and after["format"] == "JPEG"
            if node["editedBy"] == "ENGINE":
                assert node["editReport"] and node["confidence"] is not None

    [mail] = await wait_until(lambda: ready_mails(mailbox, "ann@example.com"))
    text = mail.get_body(("plain",)).get_content()
    assert f"{gql.base_url}/app#/orders/{order['id']}" in text and f"{n} images" in text
    # every edit ran once: one edit job per image, each finished
    edit_jobs = [j for j in await Job.filter(kind=production.EDIT) if j.payload["order_image_id"] in rows]
    assert len(edit_jobs) == n and {j.status for j in edit_jobs} == {JobStatus.SUCCEEDED}


async def test_bad_originals_fail_alone_and_a_retoucher_finishes_them(gql, bc_sandbox, ann, retoucher, mailbox):
    order = await sandbox_order(gql, bc_sandbox, ann["token"], products=4, truncated=True, gone=True)
    await pay(order["pk"])
    await settled(order["pk"])

    rows = await OrderImage.filter(order_id=order["pk"]).order_by("id")
    failed = {r.error_code: r for r in rows if r.production_status == PS.FAILED}
    assert set(failed) == {"CORRUPT", "GONE"}, [(r.production_status, r.error_code) for r in rows]
    assert all(r.error_message for r in failed.values())
    others = [r for r in rows if r.production_status != PS.FAILED]
    assert len(others) == len(rows) - 2 and all(r.production_status in (PS.DONE, PS.RETOUCH) for r in others)
    assert (await Order.get(id=order["pk"])).status == OrderStatus.IN_PRODUCTION

    # the queue shows them to production staff, with the reason, most urgent first
    queue = (await gql(QUEUE, {}, token=retoucher["token"]))["productionQueue"]
    listed = {pk_of(e["node"]["id"]): e["node"] for e in queue["edges"]}
    assert {r.id for r in failed.values()} <= set(listed)
    gone = listed[failed["GONE"].id]
    # a longer queue costs no more statements (rows' orders, images, locations: per-request loaders)
    by_size = {}
    for first in (1, len(queue["edges"])):
        with counting_statements() as c:
            page = (await gql(QUEUE_PAGE, {"first": first}, token=retoucher["token"]))["productionQueue"]
        assert len(page["edges"]) == first
        by_size[first] = c.selects_from("order_image", "orders", "order_image_location", "image")
    print("productionQueue SELECTs by page size:", by_size)
    assert len(set(by_size.values())) == 1 and len(by_size) == 2, by_size
    assert gone["productionStatus"] == "FAILED" and gone["error"]["code"] == "GONE" and gone["before"] is None
    assert gone["order"]["id"] == order["id"]

    target = gid("OrderImage", failed["CORRUPT"].id)
    # submitting before claiming, and a second retoucher's claim, are refused
    early = await upload(gql, retoucher["token"], target, jpeg())
    assert early.json()["data"]["productionImageSubmit"]["errors"][0]["code"] == "INVALID_TRANSITION"
    claimed = (await gql(CLAIM, {"id": target}, token=retoucher["token"]))["productionImageClaim"]
    assert claimed["errors"] == [] and claimed["orderImage"]["claimedByMe"] is True
    other = await gql.sign_up("otto@studio.example", "Otto")
    from core.accounts.models import Role, User

    await User.filter(email="otto@studio.example").update(role=Role.STAFF)
    taken = (await gql(CLAIM, {"id": target}, token=other["token"]))["productionImageClaim"]
    assert taken["errors"][0]["code"] == "INVALID_TRANSITION" and taken["orderImage"] is None
    mine = (await gql(QUEUE, {"mine": True}, token=retoucher["token"]))["productionQueue"]
    assert [pk_of(e["node"]["id"]) for e in mine["edges"]] == [failed["CORRUPT"].id]

    # a file of the wrong format, and one that is no image at all: rejected, nothing changes
    png = io.BytesIO()
    PILImage.new("RGB", (300, 300), "white").save(png, "PNG")
    for data, name in ((png.getvalue(), "result.png"), (b"not an image at all", "result.jpg")):
        rejected = (await upload(gql, retoucher["token"], target, data, name)).json()["data"]["productionImageSubmit"]
        assert rejected["orderImage"] is None
        assert [(e["code"], e["field"]) for e in rejected["errors"]] == [("INVALID", "file")]
    row = await OrderImage.get(id=failed["CORRUPT"].id)
    assert row.production_status == PS.FAILED and row.result_key is None

    # an upload above the JSON body cap but within the upload cap goes through the guard
    big = io.BytesIO()
    PILImage.effect_noise((1300, 1300), 80).convert("RGB").save(big, "JPEG", quality=100, dpi=(72, 72))
    assert len(big.getvalue()) > runtime.current().settings.max_body_bytes
    accepted = (await upload(gql, retoucher["token"], target, big.getvalue())).json()["data"]["productionImageSubmit"]
    assert accepted["errors"] == [], accepted["errors"]
    assert accepted["orderImage"]["productionStatus"] == "DONE" and accepted["orderImage"]["editedBy"] == "RETOUCHER"
    assert accepted["orderImage"]["after"]["bytes"] == len(big.getvalue())
    row = await OrderImage.get(id=failed["CORRUPT"].id)
    assert await runtime.current().blobs.get(row.result_key) == big.getvalue()
    assert row.edited_by == EditedBy.RETOUCHER and row.claimed_by_id is None

    assert not ready_mails(mailbox, "ann@example.com")  # one image still waits
    await retouch_all(gql, retoucher["token"], order["pk"])
    await wait_until(lambda: Order.filter(id=order["pk"], status=OrderStatus.READY_FOR_REVIEW).exists())
    await wait_until(lambda: ready_mails(mailbox, "ann@example.com"))


async def test_an_upload_over_the_cap_is_refused_before_it_is_read(gql, retoucher):
    cap = runtime.current().settings.max_upload_bytes
    response = await upload(gql, retoucher["token"], gid("OrderImage", 1), b"\0" * (cap + 70 * 1024))
    assert response.status_code == 413 and response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    plain = await gql.http.post("/graphql", content=b"{" + b" " * (runtime.current().settings.max_body_bytes + 10) + b"}",
                                headers={"content-type": "application/json"})
    assert plain.status_code == 413  # JSON bodies keep their own, smaller cap


async def test_a_redo_sends_the_image_back_and_the_order_back_to_production(gql, bc_sandbox, ann, retoucher, mailbox):
    order = await sandbox_order(gql, bc_sandbox, ann["token"], products=2)
    await pay(order["pk"])
    await settled(order["pk"])
    await retouch_all(gql, retoucher["token"], order["pk"])
    await wait_until(lambda: Order.filter(id=order["pk"], status=OrderStatus.READY_FOR_REVIEW).exists())
    await wait_until(lambda: len(ready_mails(mailbox, "ann@example.com")) == 1)
    image = (await OrderImage.filter(order_id=order["pk"]).order_by("id"))[0]
    first_result = image.result_key
    target = gid("OrderImage", image.id)

    blank = (await gql(REDO, {"id": target, "note": "   "}, token=ann["token"]))["orderImageRedoRequest"]
    assert blank["errors"][0]["code"] == "REQUIRED"
    bob = await gql.sign_up("bob@example.com", "Bob")
    foreign = (await gql(REDO, {"id": target, "note": "mine now"}, token=bob["token"]))["orderImageRedoRequest"]
    assert foreign["errors"][0]["code"] == "NOT_FOUND"
    assert (await Order.get(id=order["pk"])).status == OrderStatus.READY_FOR_REVIEW

    # the redo comes long after the order was due: it gets a turnaround of its own
    long_ago = utcnow() - timedelta(days=30)
    await Order.filter(id=order["pk"]).update(due_at=long_ago)
    await OrderImage.filter(order_id=order["pk"]).update(due_at=long_ago)
    redo = (await gql(REDO, {"id": target, "note": "Less shadow under the shoe"}, token=ann["token"]))[
        "orderImageRedoRequest"]
    assert redo["errors"] == []
    node = redo["orderImage"]
    turnaround = timedelta(hours=(await Order.get(id=order["pk"])).turnaround_hours)
    due = datetime.fromisoformat(node["dueAt"])
    assert abs(due - (utcnow() + turnaround)) < timedelta(minutes=1)
    seen = (await gql(ORDER, {"id": order["id"]}, token=ann["token"]))["order"]
    assert datetime.fromisoformat(seen["dueAt"]) == due and seen["overdue"] is False
    assert [e["node"]["id"] for e in (await gql(QUEUE, {"overdue": True}, token=retoucher["token"]))[
        "productionQueue"]["edges"]] == []
    assert node["productionStatus"] == "RETOUCH" and node["redoNote"] == "Less shadow under the shoe"
    assert node["redoCount"] == 1 and "Less shadow" in node["retouchReason"]
    assert node["after"] is not None  # the last validated result stays until a new one replaces it
    assert (await Order.get(id=order["pk"])).status == OrderStatus.IN_PRODUCTION
    again = (await gql(REDO, {"id": target, "note": "twice"}, token=ann["token"]))["orderImageRedoRequest"]
    assert again["errors"][0]["code"] == "INVALID_TRANSITION"

    queue = (await gql(QUEUE, {}, token=retoucher["token"]))["productionQueue"]
    assert [pk_of(e["node"]["id"]) for e in queue["edges"]] == [image.id]
    # the retoucher answers the note with a new picture; it replaces the first result
    assert (await gql(CLAIM, {"id": target}, token=retoucher["token"]))["productionImageClaim"]["errors"] == []
    redone = jpeg(310, 230, colour=(20, 90, 160))
    submitted = (await upload(gql, retoucher["token"], target, redone)).json()["data"]["productionImageSubmit"]
    assert submitted["errors"] == []
    await wait_until(lambda: Order.filter(id=order["pk"], status=OrderStatus.READY_FOR_REVIEW).exists())
    row = await OrderImage.get(id=image.id)
    assert row.production_status == PS.DONE and row.edited_by == EditedBy.RETOUCHER
    assert row.result_key != first_result
    with PILImage.open(io.BytesIO(await runtime.current().blobs.get(row.result_key))) as im:
        assert im.size == (310, 230)
    await wait_until(lambda: len(ready_mails(mailbox, "ann@example.com")) == 2)


async def test_concurrent_last_jobs_move_the_order_exactly_once(gql, bc_sandbox, ann, mailbox):
    order = await sandbox_order(gql, bc_sandbox, ann["token"], products=3)
    # the state the last edit jobs see: in production, every image done
    await Order.filter(id=order["pk"]).update(status=OrderStatus.IN_PRODUCTION)
    await OrderImage.filter(order_id=order["pk"]).update(production_status=PS.DONE)
    moved = await asyncio.gather(*(production.finish_if_done(order["pk"]) for _ in range(8)))
    assert sorted(moved) == [False] * 7 + [True]
    assert (await Order.get(id=order["pk"])).status == OrderStatus.READY_FOR_REVIEW
    assert [j.payload for j in await Job.filter(kind=production.READY_MAIL)] == [{"order_id": order["pk"]}]
    await wait_until(lambda: ready_mails(mailbox, "ann@example.com"))
    await asyncio.sleep(0.3)
    assert len(ready_mails(mailbox, "ann@example.com")) == 1


async def test_signed_links_are_refused_when_tampered_expired_or_foreign(gql):
    from core.storage.signing import signed_url

    key = await runtime.current().blobs.put(jpeg(), "jpg")
    url, expires = signed_url(key)
    good = await gql.http.get(url)
    assert good.status_code == 200 and good.content == await runtime.current().blobs.get(key)
    assert "private" in good.headers["cache-control"]
    assert (await gql.http.get(url.replace("sig=", "sig=0"))).status_code == 403
    other = await runtime.current().blobs.put(b"another file", "jpg")
    assert (await gql.http.get(url.replace(key, other))).status_code == 403  # a signature is for one file
    old, _ = signed_url(key, ttl_seconds=60, now=0)
    assert (await gql.http.get(old)).status_code == 403
    assert (await gql.http.get(re.sub(r"/files/[^?]+", "/files/..%2Fsecret.key", url))).status_code == 404


async def test_only_staff_see_the_queue_and_merchants_only_their_own_images(gql, bc_sandbox, ann, retoucher):
    order = await sandbox_order(gql, bc_sandbox, ann["token"], products=2, truncated=True)
    await pay(order["pk"])
    await settled(order["pk"])
    bob = await gql.sign_up("bob@example.com", "Bob")
    for token in (ann["token"], bob["token"]):
        body = await gql.raw(QUEUE, {}, token=token)
        assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
        denied = await gql.raw(CLAIM, {"id": gid("OrderImage", 1)}, token=token)
        assert denied["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    assert (await gql(QUEUE, {}, token=retoucher["token"]))["productionQueue"]["totalCount"] >= 1

    image = await OrderImage.filter(order_id=order["pk"]).first()
    node = f"query($id: ID!) {{ node(id: $id) {{ ... on OrderImage {{ {IMAGE} }} }} }}"
    assert (await gql(node, {"id": gid("OrderImage", image.id)}, token=ann["token"]))["node"]["before"]
    assert (await gql(node, {"id": gid("OrderImage", image.id)}, token=bob["token"]))["node"] is None
    assert (await gql(ORDER, {"id": order["id"]}, token=bob["token"]))["order"] is None


async def test_orders_past_due_are_visible_to_staff(gql, bc_sandbox, ann, retoucher):
    from datetime import timedelta

    from core.timeutil import utcnow

    order = await sandbox_order(gql, bc_sandbox, ann["token"], products=1, truncated=True)
    await pay(order["pk"])
    await settled(order["pk"])
    past = utcnow() - timedelta(hours=1)
    await Order.filter(id=order["pk"]).update(due_at=past)
    await OrderImage.filter(order_id=order["pk"]).update(due_at=past)
    late = "query($o: Boolean) { orders(status: [IN_PRODUCTION], overdue: $o) { totalCount edges { node { id overdue } } } }"
    seen = (await gql(late, {"o": True}, token=retoucher["token"]))["orders"]
    assert [e["node"] for e in seen["edges"]] == [{"id": order["id"], "overdue": True}]
    assert (await gql(late, {"o": False}, token=retoucher["token"]))["orders"]["totalCount"] == 0
    overdue = (await gql(QUEUE, {"overdue": True}, token=retoucher["token"]))["productionQueue"]
    assert overdue["totalCount"] >= 1
    assert (await gql(QUEUE, {"overdue": False}, token=retoucher["token"]))["productionQueue"]["totalCount"] == 0


async def test_a_killed_intake_resumes_where_it_stopped(gql, bc_sandbox, ann, retoucher):
    from datetime import timedelta

    from core.timeutil import utcnow
    from workers import execute

    order = await sandbox_order(gql, bc_sandbox, ann["token"], products=120)
    # paid, and the intake job committed with the move; the runner is ours to kill
    row = await Order.get(id=order["pk"])
    now = utcnow()
    await Order.filter(id=row.id).update(status=OrderStatus.IN_PRODUCTION, paid_at=now,
                                         due_at=now + timedelta(hours=row.turnaround_hours))
    job = await production.create_intake(row)
    total = row.image_count
    assert total > 2 * production.PAGE

    runner = asyncio.create_task(execute.run_job(job.id))
    await wait_until(lambda: Job.filter(id=job.id, done__gte=production.PAGE).exists(), timeout=30)
    runner.cancel()  # the worker dies mid-intake: nothing of the job row is cleaned up
    with contextlib.suppress(asyncio.CancelledError):
        await runner
    cut = await Job.get(id=job.id)
    assert cut.status == JobStatus.RUNNING and production.PAGE <= cut.done < total
    assert await OrderImage.filter(order_id=row.id, production_status=PS.QUEUED).exists()

    await Job.filter(id=job.id).update(lease_until=utcnow() - timedelta(seconds=1))  # its lease runs out
    await execute.run_job(job.id)
    job = await Job.get(id=job.id)
    assert job.status == JobStatus.SUCCEEDED and job.attempts == 2 and job.done == job.total == total
    images = await OrderImage.filter(order_id=row.id)
    for image in images:
        assert image.original_key and await runtime.current().blobs.exists(image.original_key)
    # every image queued for editing exactly once, whatever the dead run had done
    edit_jobs = [j for j in await Job.filter(kind=production.EDIT) if j.payload["order_image_id"] in {i.id for i in images}]
    assert len(edit_jobs) == total
    assert {j.payload["order_image_id"] for j in edit_jobs} == {i.id for i in images}
    assert {i.edit_job_id for i in images} == {j.id for j in edit_jobs}
    await settled(row.id, timeout=60)
    await retouch_all(gql, retoucher["token"], row.id)
    await wait_until(lambda: Order.filter(id=row.id, status=OrderStatus.READY_FOR_REVIEW).exists(), timeout=30)


async def test_on_an_s3_store_production_writes_there_and_links_redirect_to_presigned_urls(
        gql, bc_sandbox, ann, retoucher):
    """The same flow with the S3-compatible store (moto's server on loopback) as the runtime's BlobStore."""
    import boto3
    from moto.server import ThreadedMotoServer

    from core.storage.s3 import S3BlobStore
    from tests.support.servers import free_port

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    rt = runtime.current()
    local = rt.blobs
    try:
        url = f"http://127.0.0.1:{port}"
        creds = {"region_name": "us-east-1", "aws_access_key_id": "k", "aws_secret_access_key": "s"}
        boto3.client("s3", endpoint_url=url, **creds).create_bucket(Bucket="pixport")
        rt.blobs = S3BlobStore("pixport", endpoint_url=url, region="us-east-1", access_key_id="k",
                               secret_access_key="s")
        await rt.blobs.start()
        order = await sandbox_order(gql, bc_sandbox, ann["token"], products=2)
        await pay(order["pk"])
        await settled(order["pk"])
        await retouch_all(gql, retoucher["token"], order["pk"])
        await wait_until(lambda: Order.filter(id=order["pk"], status=OrderStatus.READY_FOR_REVIEW).exists())
        listed = boto3.client("s3", endpoint_url=url, **creds).list_objects_v2(Bucket="pixport")
        stored = {o["Key"] for o in listed.get("Contents", [])}
        seen = (await gql(ORDER, {"id": order["id"]}, token=ann["token"]))["order"]
        assert len(seen["images"]["edges"]) == await OrderImage.filter(order_id=order["pk"]).count() >= 2
        for edge in seen["images"]["edges"]:
            row = await OrderImage.get(id=pk_of(edge["node"]["id"]))
            assert {row.original_key, row.result_key} <= stored
            link = await gql.http.get(edge["node"]["after"]["url"])
            assert link.status_code == 302 and link.headers["location"].startswith(f"{url}/pixport/{row.result_key}?")
            assert "X-Amz-Signature=" in link.headers["location"]
            followed = await gql.http.get(link.headers["location"])
            assert followed.status_code == 200 and followed.content == await rt.blobs.get(row.result_key)
        await rt.blobs.stop()
    finally:
        rt.blobs = local
        server.stop()


async def test_an_upload_of_the_wrong_size_for_an_exact_canvas_is_rejected(gql, bc_sandbox, ann, retoucher):
    order = await sandbox_order(gql, bc_sandbox, ann["token"], products=1, truncated=True,
                                spec={"background": {"kind": "KEEP"}, "size": {"mode": "CANVAS", "width": 800,
                                                                               "height": 800}})
    await pay(order["pk"])
    await settled(order["pk"])
    broken = await OrderImage.get(order_id=order["pk"], production_status=PS.FAILED)
    target = gid("OrderImage", broken.id)
    assert (await gql(CLAIM, {"id": target}, token=retoucher["token"]))["productionImageClaim"]["errors"] == []
    wrong = (await upload(gql, retoucher["token"], target, jpeg(300, 300))).json()["data"]["productionImageSubmit"]
    assert [(e["code"], e["field"]) for e in wrong["errors"]] == [("INVALID", "file")]
    assert (await OrderImage.get(id=broken.id)).production_status == PS.FAILED
    right = (await upload(gql, retoucher["token"], target, jpeg(800, 800))).json()["data"]["productionImageSubmit"]
    assert right["errors"] == [] and right["orderImage"]["after"]["width"] == 800


async def test_an_edit_whose_original_vanished_fails_that_image_only(gql, bc_sandbox, ann):
    order = await sandbox_order(gql, bc_sandbox, ann["token"], products=1)
    await Order.filter(id=order["pk"]).update(status=OrderStatus.IN_PRODUCTION)
    image = await OrderImage.filter(order_id=order["pk"]).first()
    job = await jobs.create(production.EDIT, {"order_image_id": image.id})
    # as after a storage loss: the row points at a file the BlobStore does not have
    await OrderImage.filter(id=image.id).update(production_status=PS.EDITING, edit_job_id=job.id,
                                                original_key="0" * 64 + ".jpg")
    await jobs.enqueue(job)
    await wait_until(lambda: Job.filter(id=job.id, status=JobStatus.SUCCEEDED).exists())
    row = await OrderImage.get(id=image.id)
    assert (row.production_status, row.error_code) == (PS.FAILED, "ORIGINAL_MISSING")
    seen = (await gql(ORDER, {"id": order["id"]}, token=ann["token"]))["order"]
    assert seen["production"]["failed"] == 1 and seen["status"] == "IN_PRODUCTION"


async def test_a_retried_ready_mail_goes_only_to_those_not_yet_mailed(gql, bc_sandbox, ann, mailbox):
    from core.accounts.models import Role, User

    order = await sandbox_order(gql, bc_sandbox, ann["token"], products=1)
    owner = await User.get(email="ann@example.com")
    await User.create(account_id=owner.account_id, email="bob@example.com", name="Bob", password_hash="-",
                      role=Role.MEMBER)
    # an earlier try mailed Ann, then failed before Bob: its checkpoint says so
    job = await jobs.create(production.READY_MAIL, {"order_id": order["pk"]}, account_id=owner.account_id)
    await Job.filter(id=job.id).update(checkpoint={"sent_through_user": owner.id})
    await jobs.enqueue(job)
    await wait_until(lambda: Job.filter(id=job.id, status=JobStatus.SUCCEEDED).exists())
    assert len(ready_mails(mailbox, "bob@example.com")) == 1
    assert ready_mails(mailbox, "ann@example.com") == []
