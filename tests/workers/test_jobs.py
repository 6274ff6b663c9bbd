"""Jobs run by whichever runner this column uses (embedded runner, or an arq worker),
reported through the Job row and the jobProgress subscription."""

from __future__ import annotations

import asyncio

import pytest
from strawberry import relay

from core.accounts.models import User
from core.jobs import services as jobs
from core.jobs.errors import RetryLater
from core.jobs.models import Job, JobStatus
from tests.support.servers import wait_until
from workers import execute
from workers.handlers import HANDLERS

pytestmark = pytest.mark.embedded

PROGRESS = """subscription($id: ID!) { jobProgress(jobId: $id) { id kind status done total message startedAt finishedAt } }"""


async def test_job_progress_streams_the_job_from_queued_to_its_final_status(gql, mailbox):
    owner = await gql.sign_up("ann@example.com")
    user = await User.get(email="ann@example.com")
    await wait_until(lambda: Job.filter(kind="mail.welcome", status=JobStatus.SUCCEEDED).exists())
    mailbox.clear()

    # A job that exists but is not queued yet: the subscriber sees it waiting first.
    job = await jobs.create("mail.welcome", {"user_id": user.id}, account_id=user.account_id)
    gid = str(relay.GlobalID("Job", str(job.id)))
    seen = []

    async def follow():
        async for payload in gql.subscribe(PROGRESS, {"id": gid}, token=owner["token"]):
            seen.append(payload["data"]["jobProgress"])
            if len(seen) == 1:
                await jobs.enqueue(job)

    await asyncio.wait_for(follow(), timeout=20)
    assert seen[0]["status"] == "QUEUED" and seen[0]["startedAt"] is None
    assert seen[-1]["status"] == "SUCCEEDED" and seen[-1]["done"] == seen[-1]["total"] == 1
    assert seen[-1]["finishedAt"] is not None and all(s["id"] == gid for s in seen)
    statuses = [s["status"] for s in seen]
    assert statuses == sorted(statuses, key=["QUEUED", "RUNNING", "SUCCEEDED"].index)
    assert len(mailbox.to("ann@example.com")) == 1

    # A late subscriber gets the final state at once, then the stream ends.
    late = [p async for p in gql.subscribe(PROGRESS, {"id": gid}, token=owner["token"])]
    assert [p["data"]["jobProgress"]["status"] for p in late] == ["SUCCEEDED"]


async def test_a_subscription_to_someone_elses_job_is_refused(gql):
    ann = await gql.sign_up("ann@example.com")
    bob = await gql.sign_up("bob@example.com")
    job = await Job.filter(account__users__email="ann@example.com").first()
    gid = str(relay.GlobalID("Job", str(job.id)))
    with pytest.raises(AssertionError, match="No such job"):
        [p async for p in gql.subscribe(PROGRESS, {"id": gid}, token=bob["token"])]
    assert ann["token"] != bob["token"]


async def test_a_websocket_without_a_valid_token_is_refused(gql):
    import websockets

    ws_url = gql.base_url.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(ws_url, subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send('{"type": "connection_init", "payload": {"authorization": "Bearer pxs_nope"}}')
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd.code == 4403


async def test_a_passing_failure_is_retried_and_a_crash_is_recorded(gql, monkeypatch):
    calls = []

    async def flaky(job, progress):
        calls.append(job.attempts)
        if len(calls) < 3:
            raise RetryLater("store busy", delay=0.05)
        await progress.update(done=1, total=1)

    async def broken(job, progress):
        raise KeyError("internal detail")

    monkeypatch.setitem(HANDLERS, "test.flaky", flaky)
    monkeypatch.setitem(HANDLERS, "test.broken", broken)
    ok = await jobs.submit("test.flaky")
    bad = await jobs.submit("test.broken")

    async def both_finished():
        return await Job.filter(id__in=[ok.id, bad.id], status__in=["SUCCEEDED", "FAILED"]).count() == 2

    await wait_until(both_finished)
    ok, bad = await Job.get(id=ok.id), await Job.get(id=bad.id)
    assert (ok.status, ok.attempts, calls) == (JobStatus.SUCCEEDED, 3, [1, 2, 3])
    assert bad.status == JobStatus.FAILED
    assert bad.message == "The job failed because of an internal error."  # no internals leak


async def test_two_deliveries_of_one_job_run_it_once(gql, monkeypatch):
    runs = []

    async def slow(job, progress):
        runs.append(job.id)
        await asyncio.sleep(0.3)

    monkeypatch.setitem(HANDLERS, "test.slow", slow)
    job = await jobs.create("test.slow")  # not enqueued: we deliver it ourselves, twice at once
    await asyncio.gather(execute.run_job(job.id), execute.run_job(job.id))
    assert runs == [job.id]
    assert (await Job.get(id=job.id)).status == JobStatus.SUCCEEDED


async def test_a_job_cancelled_while_running_stays_cancelled(gql, monkeypatch):
    started = asyncio.Event()

    async def long(job, progress):
        started.set()
        for i in range(100):
            if await progress.cancelled():
                return
            await asyncio.sleep(0.02)

    monkeypatch.setitem(HANDLERS, "test.long", long)
    owner = await gql.sign_up("ann@example.com")
    user = await User.get(email="ann@example.com")
    job = await jobs.submit("test.long", account_id=user.account_id)
    await asyncio.wait_for(started.wait(), 10)
    await jobs.cancel(user, job.id)
    await wait_until(lambda: Job.filter(id=job.id, finished_at__isnull=False).exists())
    assert (await Job.get(id=job.id)).status == JobStatus.CANCELLED
    assert owner["token"]


async def test_a_job_left_running_by_a_dead_runner_is_taken_over(gql, monkeypatch, settings):
    runs = []

    async def once(job, progress):
        runs.append(job.attempts)

    monkeypatch.setitem(HANDLERS, "test.orphan", once)
    job = await jobs.create("test.orphan")
    # As a runner that died mid-job leaves it: RUNNING, lease in the past.
    await Job.filter(id=job.id).update(status=JobStatus.RUNNING, attempts=1, lease_until=job.created_at)
    assert await execute.requeue_abandoned() >= 1
    await wait_until(lambda: Job.filter(id=job.id, status=JobStatus.SUCCEEDED).exists())
    assert runs == [2]
