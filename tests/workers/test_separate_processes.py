"""At scale: the API and the worker are separate processes that share PostgreSQL and
Redis. A job enqueued through the API runs on `pixport worker`, and a jobProgress
subscription on the API process sees its progress and end."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from core.jobs.models import Job
from tests.conftest import COLUMN
from tests.support.graphql import GraphQLClient
from tests.support.processes import spawn, stop, wait_http
from tests.support.servers import free_port

pytestmark = [pytest.mark.postgres_only, pytest.mark.skipif(COLUMN != "scale", reason="scale column only")]

PROGRESS = "subscription($id: ID!) { jobProgress(jobId: $id) { status done total } }"


async def test_a_job_from_the_api_runs_on_a_worker_process_and_streams_back(clean_db, settings, tmp_path, mailbox):
    port = free_port()
    env = {
        "PIXPORT_DATABASE_URL": settings.db_url,
        "PIXPORT_REDIS_URL": settings.redis,
        "PIXPORT_REDIS_NAMESPACE": settings.redis_namespace + "-processes",  # a queue of their own
        "PIXPORT_SMTP_URL": mailbox.smtp_url,
        "PIXPORT_SECRET_KEY": "process-test",
        "PIXPORT_DATA_DIR": str(tmp_path),
    }
    api = spawn(["serve", "--port", str(port)], env, tmp_path / "api.log")
    worker = None
    try:
        base = f"http://127.0.0.1:{port}"
        await wait_http(base + "/readyz")
        async with httpx.AsyncClient(base_url=base) as http:
            gql = GraphQLClient(http, base)
            owner = await gql.sign_up("ann@example.com")
            job = await Job.get(kind="mail.welcome")
            from strawberry import relay

            gid = str(relay.GlobalID("Job", str(job.id)))
            seen = []

            async def follow():
                nonlocal worker
                async for payload in gql.subscribe(PROGRESS, {"id": gid}, token=owner["token"]):
                    seen.append(payload["data"]["jobProgress"])
                    if worker is None:  # the job waits in Redis until a worker comes
                        worker = spawn(["worker"], env, tmp_path / "worker.log")

            await asyncio.wait_for(follow(), timeout=60)
        assert seen[0]["status"] == "QUEUED"
        assert seen[-1] == {"status": "SUCCEEDED", "done": 1, "total": 1}
        assert [m["Subject"] for m in mailbox.to("ann@example.com")][0].startswith("Welcome to Pixport")
    finally:
        for process in (worker, api):
            if process is not None:
                stop(process)
