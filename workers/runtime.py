"""Choosing the ports from the settings, and starting/stopping them with the database."""

from __future__ import annotations

import logging

from core import db, runtime
from core.catalog import sync
from core.events.bus import MemoryEventBus, RedisEventBus
from core.jobs.queue import ArqJobQueue
from core.notifications.mailer import EmlFolderMailer, SmtpMailer
from core.runtime import Runtime
from core.settings import Settings
from core.storage.blobs import BlobStore, LocalBlobStore
from core.storage.s3 import S3BlobStore
from workers.embedded import EmbeddedJobQueue

log = logging.getLogger(__name__)


def build_runtime(settings: Settings) -> Runtime:
    redis_url = settings.redis
    return Runtime(
        settings=settings,
        queue=ArqJobQueue(redis_url, settings.redis_namespace) if redis_url else EmbeddedJobQueue(
            settings.embedded_job_concurrency, periodic=[(sync.schedule_full_rescans, 3600)]
        ),
        bus=RedisEventBus(redis_url, settings.redis_namespace) if redis_url else MemoryEventBus(),
        mailer=SmtpMailer(settings.smtp_url.get_secret_value()) if settings.smtp_url else EmlFolderMailer(settings.mail_dir),
        blobs=build_blob_store(settings),
    )


def build_blob_store(settings: Settings) -> BlobStore:
    if settings.s3_bucket:
        return S3BlobStore(
            settings.s3_bucket, endpoint_url=settings.s3_endpoint_url, region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key.get_secret_value() if settings.s3_secret_access_key else None,
            prefix=settings.s3_prefix,
        )
    return LocalBlobStore(settings.blob_dir)


async def start(settings: Settings, *, open_db: bool = True) -> Runtime:
    """Open the database and the ports; install them as this process's runtime."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if open_db:
        await db.open_db(settings.db_url)
    rt = build_runtime(settings)
    runtime.install(rt)
    await rt.blobs.start()
    await rt.bus.start()
    await rt.queue.start()
    log.info(
        "runtime started: database=%s jobs=%s events=%s mail=%s blobs=%s",
        "sqlite" if settings.is_embedded_db else "postgres",
        type(rt.queue).__name__, type(rt.bus).__name__, type(rt.mailer).__name__, type(rt.blobs).__name__,
    )
    return rt


async def stop(rt: Runtime, *, close_db: bool = True) -> None:
    await rt.queue.stop()
    await rt.bus.stop()
    await rt.blobs.stop()
    runtime.install(None)
    if close_db:
        await db.close_db()
