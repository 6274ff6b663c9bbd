"""The image analysis job: download each distinct image of a store once and record
what its bytes are (``core.catalog.analysis.analyze``).

How it runs
-----------
- Work is the store's live images whose ``analysis_status`` is PENDING, read in
  keyset pages by id. The database is the checkpoint: a row leaves PENDING only
  when its result is written, so a killed worker's rerun (arq delivers at least
  once) picks up exactly what is left, and a rerun with nothing PENDING does
  nothing.
- Each page is grouped by ``source_url``: one download per distinct URL, and the
  result is written to every PENDING row of the store with that URL (so a URL
  shared by rows in later pages is not fetched again).
- Downloads go through the store's connector (only its image hosts, at most
  ``settings.max_image_bytes``), at most ``CONCURRENCY`` at a time.
- ``analyze`` is CPU work; it runs in a process pool shared by the whole process
  (``pool()``), created on first use with one process per CPU this process may
  run on, in a ``forkserver`` context (never ``fork``: this process has an event
  loop, threads and database connections). The event loop only awaits.
- Results are written with one bulk UPDATE per ``WRITE_BATCH`` rows (a CASE per
  column), guarded by ``analysis_status = PENDING`` so a row re-marked by a
  concurrent sync is not overwritten with an older picture's facts.

Errors: a file that is not a readable image is UNREADABLE with the reason; so is
an image the store no longer has (NOT_FOUND: "gone from the store") or one the
connector refuses (too large, a host not allowed). A passing failure (TRANSIENT,
RATE_LIMITED, a crashed analyser process) leaves the row PENDING and the job
ends with ``RetryLater`` once everything else is done.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from core import cpu, runtime
from core.catalog.analysis import ImageFacts, Unreadable, analyze
from core.catalog.models import AnalysisStatus, Image
from core.connectors import Connector, ConnectorError, ConnectorErrorCode
from core.jobs import services as jobs
from core.jobs.errors import RetryLater
from core.jobs.models import Job, JobStatus
from core.jobs.services import Progress
from core.stores import services as stores
from core.stores.errors import StoreUninstalled
from core.stores.models import Store
from core.timeutil import utcnow

log = logging.getLogger(__name__)

ANALYZE = "catalog.analyze"
CONCURRENCY = 16  # downloads in flight per job
PAGE = 512  # PENDING rows read per page
WRITE_BATCH = 400  # rows per bulk UPDATE (about 10 parameters a row: within SQLite's and PostgreSQL's limits)
GONE = "Gone from the store: the image could not be found at its address any more."

_FIELDS = ("analysis_status", "unreadable_reason", "sha256", "phash", "width", "height", "format",
           "file_bytes", "background", "colour_grid", "analyzed_at")

# ---- starting ---------------------------------------------------------------------------


async def start_analysis(store_id: int) -> Job:
    """Queue the analysis of ``store_id``'s PENDING images, or return the job already
    queued or running for it (which picks up rows that became PENDING meanwhile)."""
    async with in_transaction():
        store = await Store.select_for_update().get(id=store_id)
        if store.analysis_job_id is not None:
            current = await Job.get_or_none(id=store.analysis_job_id)
            if current is not None and current.status in (JobStatus.QUEUED, JobStatus.RUNNING):
                return current
        job = await jobs.create(ANALYZE, {"store_id": store.id}, account_id=store.account_id)
        store.analysis_job_id = job.id
        await store.save(update_fields=["analysis_job_id"])
    await jobs.enqueue(job)  # after the commit: the runner must see the row
    return job


# ---- the job ----------------------------------------------------------------------------


@dataclass(slots=True)
class _Outcome:
    url: str
    facts: ImageFacts | None = None
    reason: str | None = None  # UNREADABLE with this reason
    retry_after: float | None = None  # passing failure: stays PENDING


class _Run:
    def __init__(self, store: Store, connector: Connector, progress: Progress, done: int):
        self.store = store
        self.connector = connector
        self.progress = progress
        self.max_bytes = runtime.current().settings.max_image_bytes
        self.limit = asyncio.Semaphore(CONCURRENCY)
        self.done = done  # rows written, this job (all attempts)
        self.downloads = 0
        self.failed_urls: set[str] = set()  # passing failures this run: not tried again
        self.retry_after = 0.0

    def pending(self):
        return Image.filter(store_id=self.store.id, removed_at__isnull=True, analysis_status=AnalysisStatus.PENDING)

    async def one_pass(self) -> tuple[int, bool]:
        """Pages through the PENDING rows once. Returns (URLs handled, cancelled)."""
        handled, last_id = 0, 0
        while True:
            rows = await self.pending().filter(id__gt=last_id).order_by("id").limit(PAGE).values_list("id", "source_url")
            if not rows:
                return handled, False
            last_id = rows[-1][0]
            urls = list(dict.fromkeys(url for _, url in rows if url not in self.failed_urls))
            outcomes = await asyncio.gather(*(self.fetch_and_analyze(url) for url in urls))
            await self.write(outcomes)
            handled += len(urls)
            await self.progress.update(done=self.done, checkpoint={"done": self.done})
            if await self.progress.cancelled():
                return handled, True

    async def fetch_and_analyze(self, url: str) -> _Outcome:
        async with self.limit:
            try:
                data = await self.connector.fetch_image(url, max_bytes=self.max_bytes)
            except ConnectorError as exc:
                self.downloads += 1
                if exc.code == ConnectorErrorCode.NOT_FOUND:
                    return _Outcome(url, reason=GONE)
                if exc.code == ConnectorErrorCode.INVALID:
                    return _Outcome(url, reason=f"Could not be downloaded: {exc.message}"[:300])
                if exc.code == ConnectorErrorCode.UNAUTHORIZED:
                    raise
                return _Outcome(url, retry_after=exc.retry_after or 5.0)
            except Exception:  # noqa: BLE001 - a connector bug must not stop the other images
                log.exception("downloading an image of store %s failed", self.store.id)
                return _Outcome(url, retry_after=30.0)
            self.downloads += 1
        try:
            facts = await cpu.run(analyze, data)
        except Unreadable as exc:
            return _Outcome(url, reason=exc.reason[:300])
        except cpu.PoolBroke:
            # A child died and took every task in flight with it: try these images again later.
            log.warning("the analysis pool broke while analysing an image of store %s", self.store.id)
            return _Outcome(url, retry_after=5.0)
        return _Outcome(url, facts=facts)

    async def write(self, outcomes: list[_Outcome]) -> None:
        by_url: dict[str, _Outcome] = {}
        for outcome in outcomes:
            if outcome.retry_after is not None:
                self.failed_urls.add(outcome.url)
                self.retry_after = max(self.retry_after, outcome.retry_after)
            else:
                by_url[outcome.url] = outcome
        if not by_url:
            return
        # Every PENDING row of the store at these URLs, not only this page's.
        targets = await self.pending().filter(source_url__in=list(by_url)).values_list("id", "source_url")
        now = utcnow()
        images = [_row(pk, by_url[url], now) for pk, url in targets]
        for start in range(0, len(images), WRITE_BATCH):
            self.done += await self.pending().filter(source_url__in=list(by_url)).bulk_update(
                images[start:start + WRITE_BATCH], fields=_FIELDS
            )


def _row(pk: int, outcome: _Outcome, now) -> Image:
    f = outcome.facts
    if f is None:
        return Image(id=pk, analysis_status=AnalysisStatus.UNREADABLE, unreadable_reason=outcome.reason or "",
                     sha256=None, phash=None, width=0, height=0, format=None, file_bytes=0, background=None,
                     colour_grid=None, analyzed_at=now)
    return Image(id=pk, analysis_status=AnalysisStatus.DONE, unreadable_reason="", sha256=f.sha256, phash=f.phash,
                 width=f.width, height=f.height, format=f.format, file_bytes=f.file_bytes, background=f.background,
                 colour_grid=f.colour_grid or None, analyzed_at=now)


async def analyze_store_images(job: Job, progress: Progress) -> None:
    """Job ``catalog.analyze``, payload ``{"store_id": id}``."""
    store = await Store.get_or_none(id=job.payload["store_id"])
    if store is None:
        return
    try:
        connector = stores.connector_for(store)
    except StoreUninstalled:
        await progress.update(message="The app is not installed in this store any more.", force=True)
        return
    done = int((job.checkpoint or {}).get("done", 0))
    run = _Run(store, connector, progress, done)
    try:
        pending = await run.pending().count()
        await progress.update(done=done, total=done + pending, message="Analysing images", force=True)
        # A sync that ends while this runs re-marks rows PENDING behind the keyset: pass
        # again until a pass finds nothing new (rows that failed for now are skipped).
        while True:
            handled, cancelled = await run.one_pass()
            if cancelled or handled == 0:
                break
    finally:
        await connector.close()
    if cancelled:
        return
    left = len(run.failed_urls)
    if left:
        await progress.update(message=f"{left} images could not be downloaded for now; retrying", force=True)
        raise RetryLater(f"{left} images could not be downloaded for now", delay=max(5.0, run.retry_after))
    total = run.done
    await progress.update(done=total, total=total, message=f"Analysed {total} images", force=True)
