"""At scale: a `pixport worker` process publishing a plan is killed (SIGKILL) mid-way;
a new worker picks the job up once its lease ran out and finishes it. The store ends
with exactly the intended images: nothing written twice, nothing missing."""

from __future__ import annotations

import asyncio
import signal

import httpx
import pytest

from core.jobs.models import Job
from core.publishing.models import PublishItem, PublishPlan
from core.publishing.states import ItemStatus, PlanStatus
from tests.conftest import COLUMN
from tests.plugins.bigcommerce.test_publish_reliability import assert_overwritten, faults, pk, plan_for, store_state
from tests.schema.publishing.test_publish_flow import EXECUTE
from tests.support.graphql import GraphQLClient
from tests.support.processes import spawn, stop, wait_http
from tests.support.publishing import ready_order
from tests.support.servers import free_port, wait_until

pytestmark = [pytest.mark.postgres_only, pytest.mark.skipif(COLUMN != "scale", reason="scale column only")]


async def test_a_worker_killed_mid_publish_is_resumed_by_another(gql, bc_app, bc_sandbox, bc_sandbox_url, settings,
                                                                 tmp_path, mailbox):
    ready = await ready_order(gql, bc_sandbox, products=6, images_per_product=2, duplicates=1)
    before = await store_state(bc_sandbox, ready)
    plan = await plan_for(gql, ready)
    await faults(bc_sandbox, ready, latency_ms=120)  # slow enough to be caught mid-way
    port = free_port()
    env = {
        "PIXPORT_DATABASE_URL": settings.db_url,
        "PIXPORT_REDIS_URL": settings.redis,
        "PIXPORT_REDIS_NAMESPACE": settings.redis_namespace + "-publish",  # a queue of their own
        "PIXPORT_SMTP_URL": mailbox.smtp_url,
        "PIXPORT_SECRET_KEY": settings.secret_key.get_secret_value(),  # to open the store's sealed token
        "PIXPORT_DATA_DIR": str(settings.data_dir),  # the same BlobStore (edited files)
        "PIXPORT_IMAGE_HOSTS": "127.0.0.1",
        "PIXPORT_JOB_LEASE_SECONDS": "2",
        "PIXPORT_BIGCOMMERCE_API_URL": bc_sandbox_url,
        "PIXPORT_BIGCOMMERCE_LOGIN_URL": bc_sandbox_url,
        "PIXPORT_BIGCOMMERCE_RETRY_INITIAL_SECONDS": "0.05",
        "PIXPORT_BIGCOMMERCE_RETRY_MAX_SECONDS": "0.5",
    }
    api = spawn(["serve", "--port", str(port)], env, tmp_path / "api.log")
    workers = [spawn(["worker"], env, tmp_path / "worker-1.log")]
    try:
        base = f"http://127.0.0.1:{port}"
        await wait_http(base + "/readyz")
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            started = (await GraphQLClient(http, base)(EXECUTE, {"p": plan["id"]}, token=ready.token))["publishPlanExecute"]
        assert started["errors"] == [], started
        plan_pk = pk(plan["id"])
        total = await PublishItem.filter(plan_id=plan_pk).count()
        await wait_until(lambda: PublishItem.filter(plan_id=plan_pk, status=ItemStatus.DONE).count(), timeout=30)
        stop(workers[0], signal.SIGKILL)  # no goodbye: as a crash
        done_at_kill = await PublishItem.filter(plan_id=plan_pk, status=ItemStatus.DONE).count()
        assert 0 < done_at_kill < total
        job = await Job.get(id=(await PublishPlan.get(id=plan_pk)).job_id)
        assert job.status.value == "RUNNING"

        await faults(bc_sandbox, ready, latency_ms=0)
        await asyncio.sleep(2.5)  # the dead worker's lease runs out
        workers.append(spawn(["worker"], env, tmp_path / "worker-2.log"))  # requeues abandoned jobs as it starts
        job = await wait_until(lambda: Job.filter(id=job.id, status__in=["SUCCEEDED", "FAILED"]).first(), timeout=60)
        assert job.status.value == "SUCCEEDED" and job.attempts == 2 and job.done == job.total == total
        assert (await PublishPlan.get(id=plan_pk)).status == PlanStatus.PUBLISHED
    finally:
        for process in (*workers, api):
            stop(process)
    assert_overwritten(before, await store_state(bc_sandbox, ready), ready.edited_shas)
