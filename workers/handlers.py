"""Job kind -> job function. Job functions are thin: they call core services."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from core.accounts import services as accounts
from core.catalog import analyze, sync
from core.jobs.models import Job
from core.jobs.services import Progress
from core.production import services as production
from core.publishing import executor as publishing
from core.publishing.services import PUBLISH, ROLLBACK

Handler = Callable[[Job, Progress], Awaitable[None]]


async def send_welcome_mail(job: Job, progress: Progress) -> None:
    await progress.update(total=1, message="Sending the welcome e-mail")
    await accounts.send_welcome_mail(job.payload["user_id"])
    await progress.update(done=1, message="Welcome e-mail sent")


HANDLERS: dict[str, Handler] = {
    "mail.welcome": send_welcome_mail,
    sync.SYNC: sync.run_sync,
    sync.REFRESH_PRODUCT: sync.run_refresh_product,
    analyze.ANALYZE: analyze.analyze_store_images,
    production.INTAKE: production.run_intake,
    production.EDIT: production.run_edit,
    production.READY_MAIL: production.send_ready_mail,
    PUBLISH: publishing.run_publish,
    ROLLBACK: publishing.run_rollback,
}

# Kinds that come by the hundred or run for minutes: the embedded runner keeps a runner free of them.
BULK: frozenset[str] = frozenset({sync.SYNC, analyze.ANALYZE, production.INTAKE, production.EDIT, PUBLISH, ROLLBACK})
