"""Fixtures: a real database (a fresh PostgreSQL database, or a SQLite file), real
Redis, a real SMTP server (aiosmtpd), and Pixport served by uvicorn on loopback
in the test's own event loop, so tests can look at the database directly.

``PIXPORT_TEST_COLUMN=scale`` (default) runs on PostgreSQL/Redis/SMTP;
``embedded`` on SQLite, in-process jobs and events, and .eml mail. With CI=true a
missing PostgreSQL or Redis fails the run instead of skipping.
"""

from __future__ import annotations

import asyncio
import os
import uuid

import httpx
import pytest
import pytest_asyncio
from tortoise.contrib.test import truncate_all_models
from tortoise.exceptions import OperationalError

from core import db
from core.settings import Settings
from tests.support.mail import Mailbox, start_smtp_server
from tests.support.servers import free_port, serve_in_loop

COLUMN = os.environ.get("PIXPORT_TEST_COLUMN", "scale")
PG_ADMIN_URL = os.environ.get("PIXPORT_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("PIXPORT_TEST_REDIS", "redis://127.0.0.1:6379/9")


def pytest_collection_modifyitems(config, items):
    # The embedded run takes the tests that exercise what differs between the columns.
    skip = pytest.mark.skip(reason="needs PostgreSQL (scale column)")
    for item in items:
        if COLUMN == "embedded" and "postgres_only" in item.keywords:
            item.add_marker(skip)


def pytest_configure(config):
    config.addinivalue_line("markers", "embedded: also run on the embedded defaults (data layer, jobs, events, mail)")


async def _require(name: str, check) -> None:
    try:
        await asyncio.wait_for(check(), timeout=5)
    except Exception as exc:  # noqa: BLE001
        message = f"{name} is not reachable: {exc!r}"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


@pytest_asyncio.fixture(scope="session")
async def postgres_url():
    """A fresh database for this run, dropped at the end."""
    import asyncpg

    async def connect():
        return await asyncpg.connect(PG_ADMIN_URL.replace("postgres://", "postgresql://"))

    await _require("PostgreSQL", lambda: connect())
    name = f"pixport_test_{uuid.uuid4().hex[:10]}"
    admin = await connect()
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    admin = await connect()
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


@pytest_asyncio.fixture(scope="session")
async def redis_url():
    import redis.asyncio as redis

    client = redis.from_url(REDIS_URL)
    await _require("Redis", client.ping)
    await client.aclose()
    return REDIS_URL


@pytest.fixture(scope="session")
def mailbox(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("data")
    if COLUMN == "embedded":
        yield Mailbox(folder=data_dir / "mail", data_dir=data_dir)
        return
    box = Mailbox(data_dir=data_dir)
    controller = start_smtp_server(box)
    yield box
    controller.stop()


@pytest.fixture(scope="session")
def server_port() -> int:
    """The port Pixport's test server will listen on, chosen first so that ``public_url``
    (callbacks the BigCommerce sandbox calls, links in mail) points at it."""
    return free_port()


@pytest.fixture(scope="session")
def settings(request, mailbox, server_port):
    base = {"data_dir": mailbox.data_dir, "secret_key": "test-secret-key-not-for-production",
            "job_lease_seconds": 3, "public_url": f"http://127.0.0.1:{server_port}", "image_hosts": ["127.0.0.1"]}
    if COLUMN == "embedded":
        return Settings(**base)
    return Settings(
        **base,
        database_url=request.getfixturevalue("postgres_url"),
        redis_url=request.getfixturevalue("redis_url"),
        redis_namespace=f"pixport-test-{uuid.uuid4().hex[:8]}",  # runs at once do not share queues
        smtp_url=mailbox.smtp_url,
    )


@pytest_asyncio.fixture(scope="session")
async def runtime(settings):
    """Pixport's runtime in this process (migrated database, queue, bus, mailer);
    on the scale column an arq worker runs jobs in this process too."""
    from workers import runtime as worker_runtime
    from tests.support.jobs import in_process_arq_worker

    await db.migrate(settings.db_url)
    await db.close_db()
    rt = await worker_runtime.start(settings)
    worker = await in_process_arq_worker(settings) if settings.redis else None
    yield rt
    if worker is not None:
        await worker.close()
    await worker_runtime.stop(rt)


@pytest_asyncio.fixture
async def clean_db(runtime, mailbox):
    from core.jobs.models import Job, JobStatus

    from workers import execute

    # Jobs a previous test left running (e.g. the analysis a sync queues) stop first:
    # cancelled, they end at their next step, and only then are the tables emptied.
    await Job.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).update(status=JobStatus.CANCELLED)
    for _ in range(400):
        if execute.in_flight == 0:
            break
        await asyncio.sleep(0.025)
    for attempt in range(5):  # a late webhook request of the last test may still hold a row lock
        try:
            await truncate_all_models()
            break
        except OperationalError as e:
            if "deadlock" not in str(e).lower() or attempt == 4:
                raise
            await asyncio.sleep(0.2)
    from core.catalog.services import forget_counts

    forget_counts()
    mailbox.clear()
    yield


@pytest_asyncio.fixture(scope="session")
async def server(runtime, settings, server_port):
    """Pixport's ASGI app served by uvicorn on 127.0.0.1 (at ``settings.public_url``)."""
    from api.app import create_app

    async with serve_in_loop(create_app(settings, manage_runtime=False), server_port):
        yield f"http://127.0.0.1:{server_port}"


@pytest_asyncio.fixture
async def gql(server, clean_db):
    from tests.support.graphql import GraphQLClient

    async with httpx.AsyncClient(base_url=server, timeout=30) as http:
        yield GraphQLClient(http, server)



@pytest.fixture(scope="session")
def bc_sandbox_url():
    """A BigCommerce sandbox server; Pixport's BigCommerce plugin is pointed at it."""
    from plugins.bigcommerce import settings as bigcommerce
    from plugins.bigcommerce.sandbox.app import create_app
    from tests.support.sandbox import serve_in_thread

    url, server = serve_in_thread(create_app())
    bigcommerce.use(bigcommerce.BigCommerceSettings(api_url=url, login_url=url))
    yield url
    bigcommerce.use(None)
    server.should_exit = True


@pytest_asyncio.fixture
async def bc_sandbox(bc_sandbox_url):
    from tests.support.sandbox import SandboxControl

    control = SandboxControl(bc_sandbox_url)
    yield control
    await control.http.aclose()
