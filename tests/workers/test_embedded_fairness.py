"""The embedded runner keeps a runner for everything that is not bulk work: with far
more slow bulk jobs queued than there are runners, a welcome e-mail still goes at once."""

from __future__ import annotations

import asyncio

import pytest

from core.jobs import services as jobs
from core.jobs.models import Job, JobStatus
from tests.conftest import COLUMN
from tests.support.servers import wait_until
from workers import embedded
from workers.embedded import is_bulk
from workers.handlers import HANDLERS

pytestmark = [pytest.mark.embedded, pytest.mark.skipif(COLUMN != "embedded", reason="embedded column only")]


def test_bulk_kinds():
    assert all(is_bulk(k) for k in ("catalog.sync", "catalog.analyze", "production.edit", "production.intake",
                                    "publishing.publish", "publishing.rollback"))
    assert not any(is_bulk(k) for k in ("mail.welcome", "production.ready_mail", "catalog.refresh_product", None))


async def test_a_mail_job_runs_promptly_behind_many_slow_bulk_jobs(gql, monkeypatch, mailbox, settings):
    concurrency = settings.embedded_job_concurrency
    assert concurrency >= 2
    running, most = 0, 0
    release = asyncio.Event()

    async def slow_bulk(job, progress):
        nonlocal running, most
        running += 1
        most = max(most, running)
        try:
            await asyncio.wait_for(release.wait(), 30)
        finally:
            running -= 1

    # a slow kind of the test's own, declared bulk like the real ones (no Pixport handler replaced)
    monkeypatch.setitem(HANDLERS, "test.slow_bulk", slow_bulk)
    monkeypatch.setattr(embedded, "BULK", embedded.BULK | {"test.slow_bulk"})
    bulk = [await jobs.submit("test.slow_bulk") for _ in range(concurrency * 5)]
    await wait_until(lambda: Job.filter(kind="test.slow_bulk", status=JobStatus.RUNNING).exists())

    loop = asyncio.get_running_loop()
    started = loop.time()
    await gql.sign_up("ann@example.com")  # queues mail.welcome
    await wait_until(lambda: Job.filter(kind="mail.welcome", status=JobStatus.SUCCEEDED).exists(), timeout=10)
    assert loop.time() - started < 5
    assert len(mailbox.to("ann@example.com")) == 1
    # the bulk jobs held every runner but one, and still wait their turn in order
    assert most == concurrency - 1
    assert await Job.filter(id__in=[j.id for j in bulk], status=JobStatus.QUEUED).count() \
        == len(bulk) - (concurrency - 1)

    release.set()
    await wait_until(lambda: _all_done([j.id for j in bulk]), timeout=20)
    assert most == concurrency - 1


async def _all_done(ids: list[int]) -> bool:
    return await Job.filter(id__in=ids, status=JobStatus.SUCCEEDED).count() == len(ids)
