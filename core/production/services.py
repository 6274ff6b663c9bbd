"""Production: from a paid order to a validated result for every OrderImage.

The flow
--------
1. The order moves to IN_PRODUCTION (``core.orders.services.transition``): in the same
   transaction ``create_intake`` makes the order's one intake job (``intake_job``);
   it is enqueued after the commit.
2. Intake (``run_intake``) downloads each QUEUED image's original through the store's
   connector (its image hosts only, at most ``max_image_bytes``), stores it in the
   BlobStore, and in one transaction per page marks the images EDITING and creates
   one edit job each (enqueued after the commit). The rows are the checkpoint: a
   killed intake's rerun takes only what is still QUEUED.
3. An edit job (``run_edit``) runs the engine and the validator in the process pool.
   A validated result is stored and the image is DONE; an image the engine is not
   sure of, or cannot do, goes to the retoucher queue (RETOUCH, with the reason); an
   original that cannot be edited is FAILED with its error (and a person may still
   take it). Each image stands alone: one bad file stops nothing else.
4. Retouchers (staff) claim and submit; the upload is checked like an engine result.
5. When no image of the order is left undone, ``finish_if_done`` moves the order to
   READY_FOR_REVIEW — the conditional move in ``transition`` lets exactly one of
   several concurrent last jobs do it — and queues the e-mail.
6. A redo sends one image back to the retoucher queue and the order back to
   IN_PRODUCTION; its validated result is replaced only by the next one.

``result_key``/``result_format`` always mean "the validated edited file".
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from core.accounts.visibility import rows_visible_to
from core import cpu, runtime
from core.accounts.models import User
from core.connectors import ConnectorError, ConnectorErrorCode
from core.errors import DomainError, ErrorCode, InvalidTransition
from core.jobs import services as jobs
from core.jobs.errors import RetryLater
from core.jobs.models import Job
from core.jobs.services import Progress
from core.notifications import services as mail
from core.orders import services as orders
from core.orders.models import Order, OrderImage
from core.orders.states import OrderStatus
from core.production.engine import CONFIDENCE_FLOOR
from core.production.errors import (ClaimedByAnother, NotWaitingForRetoucher, OrderImageNotFound,
                                    UploadRejected)
from core.production.states import FOR_RETOUCHER, EditedBy, ProductionStatus
from core.production.work import Refused, check_upload, edit_and_check
from core.specs import services as specs
from core.specs.models import SpecificationVersion
from core.specs.options import OutputFormat, SpecOptions
from core.storage.blobs import BlobNotFound
from core.storage.filetypes import ext_for_format, sniff_ext
from core.stores import services as stores
from core.stores.errors import StoreUninstalled
from core.stores.models import Store
from core.timeutil import utcnow

log = logging.getLogger(__name__)

INTAKE = "production.intake"
EDIT = "production.edit"
READY_MAIL = "production.ready_mail"

PAGE = 64  # images per intake page (one transaction that queues their edits)
CONCURRENCY = 8  # downloads in flight per intake
MAX_NOTE = 2_000
PS = ProductionStatus


def output_format(spec: SpecOptions) -> OutputFormat:
    """The format of the result that counts (the specification's first)."""
    return spec.formats[0]


async def spec_of(order: Order) -> SpecOptions:
    return specs.options_of(await SpecificationVersion.get(id=order.spec_version_id))


# ---- 1. intake ----------------------------------------------------------------------------


async def create_intake(order: Order) -> Job:
    """Inside the transaction that moves ``order`` to IN_PRODUCTION: its one intake job.
    Enqueue it (``jobs.enqueue``) once that transaction has committed."""
    job = await jobs.create(INTAKE, {"order_id": order.id}, account_id=order.account_id)
    await Order.filter(id=order.id).update(intake_job_id=job.id)
    order.intake_job_id = job.id
    return job


class _Intake:
    def __init__(self, order: Order, store: Store | None, progress: Progress):
        self.order = order
        self.store = store
        self.progress = progress
        self.max_bytes = runtime.current().settings.max_image_bytes
        self.limit = asyncio.Semaphore(CONCURRENCY)
        self.retry_after = 0.0
        self.postponed: set[int] = set()  # passing failures: tried again by the job's retry

    async def fetch(self, connector, image: OrderImage) -> tuple[OrderImage, str | None, int | tuple[str, str] | None]:
        """(image, blob key, bytes), or (image, None, (error code, message)); (image, None, None): later."""
        if connector is None:
            return image, None, ("STORE_UNAVAILABLE", "The store is not connected any more: the original "
                                                      "cannot be downloaded.")
        async with self.limit:
            try:
                data = await connector.fetch_image(image.source_url, max_bytes=self.max_bytes)
            except ConnectorError as exc:
                if exc.code == ConnectorErrorCode.NOT_FOUND:
                    return image, None, ("GONE", "The original is gone from the store.")
                if exc.code in (ConnectorErrorCode.INVALID, ConnectorErrorCode.UNAUTHORIZED):
                    return image, None, ("DOWNLOAD_REFUSED", f"The original could not be downloaded: "
                                                             f"{exc.message}"[:500])
                self.retry_after = max(self.retry_after, exc.retry_after or 5.0)
                return image, None, None
            except Exception:  # noqa: BLE001 - a connector bug must not stop the other images
                log.exception("downloading the original of order image %s failed", image.id)
                self.retry_after = max(self.retry_after, 30.0)
                return image, None, None
        return image, await runtime.current().blobs.put(data, sniff_ext(data)), len(data)

    async def page(self, connector, rows: list[OrderImage]) -> None:
        outcomes = await asyncio.gather(*(self.fetch(connector, r) for r in rows))
        now = utcnow()
        queued: list[Job] = []
        async with in_transaction():
            for image, key, extra in outcomes:
                if key is None and extra is None:
                    self.postponed.add(image.id)
                    continue
                still_queued = OrderImage.filter(id=image.id, production_status=PS.QUEUED)
                if key is None:
                    await still_queued.update(production_status=PS.FAILED, error_code=extra[0],
                                              error_message=extra[1], due_at=self.order.due_at, retouch_since=now,
                                              retouch_reason="The original could not be downloaded.")
                    continue
                job = await jobs.create(EDIT, {"order_image_id": image.id}, account_id=self.order.account_id)
                if await still_queued.update(production_status=PS.EDITING, original_key=key,
                                             original_bytes=extra, due_at=self.order.due_at,
                                             edit_job_id=job.id):
                    queued.append(job)
                else:
                    await Job.filter(id=job.id).delete()  # moved on meanwhile (a concurrent intake)
        for job in queued:  # after the commit: the runner must see the rows
            await jobs.enqueue(job)
        for image, key, extra in outcomes:
            if key is None and extra is not None:
                await announce_image(image.order_id)


async def run_intake(job: Job, progress: Progress) -> None:
    """Job ``production.intake``, payload ``{"order_id": id}``."""
    order = await Order.get_or_none(id=job.payload["order_id"])
    if order is None or order.status != OrderStatus.IN_PRODUCTION:
        return  # cancelled/refunded meanwhile, or a stale delivery
    store = await Store.get_or_none(id=order.store_id) if order.store_id else None
    connector = None
    if store is not None:
        try:
            connector = stores.connector_for(store)
        except StoreUninstalled:
            connector = None
    run = _Intake(order, store, progress)
    total = order.image_count
    done = await OrderImage.filter(order_id=order.id).exclude(production_status=PS.QUEUED).count()
    await progress.update(done=done, total=total, message="Downloading the originals", force=True)
    try:
        last_id = 0
        while True:
            rows = await (OrderImage.filter(order_id=order.id, production_status=PS.QUEUED, id__gt=last_id)
                          .exclude(id__in=list(run.postponed) or [0]).order_by("id").limit(PAGE))
            if not rows:
                break
            last_id = rows[-1].id
            await run.page(connector, rows)
            done = await OrderImage.filter(order_id=order.id).exclude(production_status=PS.QUEUED).count()
            await progress.update(done=done, total=total, message=f"Downloaded {done} of {total} originals",
                                  checkpoint={"done": done})
            if await progress.cancelled():
                return
    finally:
        if connector is not None:
            await connector.close()
    if run.postponed:
        raise RetryLater(f"{len(run.postponed)} originals could not be downloaded for now",
                         delay=max(5.0, run.retry_after))
    await progress.update(done=total, total=total, message="Every original is in; editing", force=True)
    await finish_if_done(order.id)  # e.g. every image was already done by a person


# ---- 2. editing ---------------------------------------------------------------------------


async def run_edit(job: Job, progress: Progress) -> None:
    """Job ``production.edit``, payload ``{"order_image_id": id}``: engine, validator, result."""
    image = await OrderImage.get_or_none(id=job.payload["order_image_id"])
    if image is None or image.production_status != PS.EDITING or image.edit_job_id != job.id:
        return  # done already (a second delivery), or taken over by a person
    order = await Order.get(id=image.order_id)
    if order.status != OrderStatus.IN_PRODUCTION:
        return
    spec = await spec_of(order)
    fmt = output_format(spec)
    await progress.update(total=1, message="Editing")
    editing = OrderImage.filter(id=image.id, production_status=PS.EDITING, edit_job_id=job.id)
    now = utcnow()
    outcome = None
    try:
        original = await runtime.current().blobs.get(image.original_key)
    except BlobNotFound:  # lost from the BlobStore: a retry would fail the same way and leave it EDITING
        await editing.update(production_status=PS.FAILED, error_code="ORIGINAL_MISSING",
                             error_message="The downloaded original is missing from storage.", retouch_since=now,
                             retouch_reason="The downloaded original is missing from storage.")
        await announce_image(order.id)
        return
    try:
        outcome = await cpu.run(edit_and_check, original, spec, fmt)
    except cpu.PoolBroke:
        if job.attempts < runtime.current().settings.job_max_attempts:
            raise RetryLater("the image process pool broke", delay=5.0) from None
        # the engine's process died on this image every time (memory, a crash): a person takes it
        await editing.update(production_status=PS.RETOUCH, retouch_since=now,
                             retouch_reason="The engine's process failed on this image every time it tried.")
    except Exception as exc:  # noqa: BLE001 - an engine bug on one picture: a person takes it
        log.exception("the engine failed on order image %s", image.id)
        await editing.update(production_status=PS.RETOUCH, retouch_since=now,
                             retouch_reason=f"The engine failed on this image ({type(exc).__name__}).")
    else:
        if isinstance(outcome, Refused):
            await editing.update(production_status=PS.FAILED, error_code=outcome.code[:32],
                                 error_message=outcome.message[:500], retouch_since=now,
                                 retouch_reason=f"The engine cannot edit the original: {outcome.message}"[:500])
            outcome = None
    if outcome is not None:
        result, problems = outcome
        reason = result.retoucher_reason
        if reason is None and result.confidence < CONFIDENCE_FLOOR:
            reason = f"The engine is not confident of its result ({result.confidence:.2f})."
        if reason is None and problems:
            reason = "The engine's result fails validation: " + "; ".join(p.message for p in problems)
        if reason is not None:
            await editing.update(production_status=PS.RETOUCH, retouch_reason=reason[:500], retouch_since=now,
                                 confidence=result.confidence, edit_report=result.report)
        else:
            key = await runtime.current().blobs.put(result.data, ext_for_format(result.format) or result.format.lower())
            await editing.update(production_status=PS.DONE, result_key=key, result_format=result.format,
                                 result_width=result.width, result_height=result.height,
                                 result_bytes=len(result.data), edited_by=EditedBy.ENGINE,
                                 confidence=result.confidence, edit_report=result.report, done_at=now,
                                 retouch_reason="", error_code=None, error_message="")
    await progress.update(done=1, total=1, message="Edited")
    await announce_image(order.id)
    await finish_if_done(order.id)


async def announce_image(order_id: int) -> None:
    """An image of the order moved (subscribers re-read the order's counts)."""
    await runtime.current().bus.publish(orders.channel(order_id), {"id": order_id, "image": True})


# ---- 3. delivery --------------------------------------------------------------------------


async def refresh_due(order_id: int) -> bool:
    """The order is due when its earliest undone image is (a redo brings its own due
    time). False when every image is done (the order's due is then left as it was)."""
    undone = OrderImage.filter(order_id=order_id).exclude(production_status=PS.DONE)
    if not await undone.exists():
        return False
    earliest = await undone.filter(due_at__isnull=False).order_by("due_at").first().values_list("due_at", flat=True)
    if earliest is not None:
        await Order.filter(id=order_id).exclude(due_at=earliest).update(due_at=earliest)
    return True


async def finish_if_done(order_id: int) -> bool:
    """READY_FOR_REVIEW once no image of the order is left undone; True if this call moved it."""
    if await refresh_due(order_id):
        return False
    order = await Order.get(id=order_id)
    if order.status != OrderStatus.IN_PRODUCTION:
        return False
    try:
        await orders.transition(order, OrderStatus.READY_FOR_REVIEW)
    except InvalidTransition:
        return False  # a concurrent last job moved it
    await jobs.submit(READY_MAIL, {"order_id": order.id}, account_id=order.account_id)
    return True


def order_link(order_id: int) -> str:
    import base64

    # The client's route takes the order's global id (base64 of "Order:<pk>", Relay's form).
    gid = base64.b64encode(f"Order:{order_id}".encode()).decode()
    return f"{mail.public_url()}/app#/orders/{gid}"


async def send_ready_mail(job: Job, progress: Progress) -> None:
    """Job ``production.ready_mail``: every user of the account hears the order is ready."""
    order = await Order.get_or_none(id=job.payload["order_id"])
    if order is None:
        return
    counts = await production_counts([order.id])
    by_person = await OrderImage.filter(order_id=order.id, edited_by=EditedBy.RETOUCHER).count()
    users = await User.filter(account_id=order.account_id).order_by("id")
    # A retry after a failure part-way mails only those not yet mailed (the checkpoint is the last one sent).
    sent_through = (job.checkpoint or {}).get("sent_through_user", 0)
    await progress.update(total=len(users), message="Sending the order-ready e-mail")
    for n, user in enumerate(users, 1):
        if user.id <= sent_through:
            continue
        await mail.send(user.email, "order_ready", name=user.name, number=order.number or orders.number_for(order.id),
                        images=counts[order.id].get(PS.DONE, 0), retouched=by_person, url=order_link(order.id))
        await progress.update(done=n, checkpoint={"sent_through_user": user.id})


async def production_counts(order_ids: list[int]) -> dict[int, dict[ProductionStatus, int]]:
    """Images per production status, per order (one query)."""
    from tortoise.functions import Count

    found: dict[int, dict[ProductionStatus, int]] = {i: {} for i in order_ids}
    rows = await (OrderImage.filter(order_id__in=order_ids).annotate(n=Count("id"))
                  .group_by("order_id", "production_status").values_list("order_id", "production_status", "n"))
    for order_id, status, n in rows:
        found[order_id][ProductionStatus(status)] = n
    return found


# ---- 4. retouchers ------------------------------------------------------------------------


def queue(user, *, overdue: bool | None = None, claimed_by_me: bool | None = None):
    """Images waiting for a person, of orders in production (staff only; others see none)."""
    if user is None or not user.role.is_staff:
        return OrderImage.filter(id=-1)
    query = OrderImage.filter(production_status__in=list(FOR_RETOUCHER), order__status=OrderStatus.IN_PRODUCTION)
    if overdue is not None:
        query = query.filter(due_at__lt=utcnow()) if overdue else query.filter(due_at__gte=utcnow())
    if claimed_by_me is not None:
        query = query.filter(claimed_by_id=user.id) if claimed_by_me else query.filter(
            Q(claimed_by_id__isnull=True) | ~Q(claimed_by_id=user.id))
    return query


async def _for_staff(user, image_id: int, field: str = "orderImageId") -> tuple[OrderImage, Order]:
    image = await queue(user).filter(id=image_id).first() if user is not None and user.role.is_staff else None
    if image is None:
        exists = user is not None and user.role.is_staff and await OrderImage.filter(id=image_id).exists()
        if exists:
            raise NotWaitingForRetoucher("This image is not waiting for a retoucher.", field=field)
        raise OrderImageNotFound("No such image in the production queue.", field=field)
    return image, await Order.get(id=image.order_id)


async def claim(user, image_id: int) -> OrderImage:
    image, _ = await _for_staff(user, image_id)
    moved = await OrderImage.filter(Q(id=image.id, production_status__in=list(FOR_RETOUCHER))
                                    & (Q(claimed_by_id__isnull=True) | Q(claimed_by_id=user.id))).update(
        claimed_by_id=user.id, claimed_at=utcnow())
    if not moved:
        raise ClaimedByAnother("Another retoucher has claimed this image.", field="orderImageId")
    await image.refresh_from_db()
    return image


async def submit(user, image_id: int, data: bytes, file_name: str = "") -> OrderImage:
    """A retoucher's edited file: it counts only if it passes the same checks as the engine's."""
    image, order = await _for_staff(user, image_id)
    if image.claimed_by_id != user.id:
        raise ClaimedByAnother("Claim the image first (productionImageClaim).", field="orderImageId")
    limit = runtime.current().settings.max_upload_bytes
    if not data:
        raise UploadRejected("The file is empty.", field="file")
    if len(data) > limit:
        raise UploadRejected(f"The file is larger than {limit} bytes.", field="file")
    spec = await spec_of(order)
    fmt = output_format(spec)
    try:
        facts = await cpu.run(check_upload, data, spec, fmt)
    except cpu.PoolBroke:
        raise UploadRejected("The file could not be checked just now; send it again.", field="file") from None
    if facts.problems:
        raise UploadRejected("The file does not meet the specification: "
                             + "; ".join(p.message for p in facts.problems), field="file")
    key = await runtime.current().blobs.put(data, ext_for_format(facts.format) or facts.format.lower())
    now = utcnow()
    moved = await OrderImage.filter(id=image.id, production_status__in=list(FOR_RETOUCHER),
                                    claimed_by_id=user.id).update(
        production_status=PS.DONE, result_key=key, result_format=facts.format, result_width=facts.width,
        result_height=facts.height, result_bytes=len(data), edited_by=EditedBy.RETOUCHER, done_at=now,
        edit_report={"uploaded_by": user.id, "file_name": file_name[:200], "uploaded_at": now.isoformat()},
        error_code=None, error_message="", claimed_by_id=None, claimed_at=None)
    if not moved:
        raise NotWaitingForRetoucher("The image changed meanwhile; reload it.", field="orderImageId")
    await image.refresh_from_db()
    await announce_image(order.id)
    await finish_if_done(order.id)
    return image


def visible_images(user):
    """The order images ``user`` may see: their account's (staff: every account's)."""
    return rows_visible_to(user, OrderImage, "order__account_id")


# ---- 5. redo ------------------------------------------------------------------------------


async def request_redo(user, image_id: int, note: str) -> OrderImage:
    """The merchant wants an image done again: it goes to the retoucher queue with the
    note, and the order back to IN_PRODUCTION until it is done again."""
    image = await visible_images(user).filter(id=image_id).first()
    if image is None:
        raise OrderImageNotFound("No such image.", field="orderImageId")
    text = (note or "").strip()
    if not text:
        raise DomainError("Say what should change.", field="note", code=ErrorCode.REQUIRED)
    if len(text) > MAX_NOTE:
        raise DomainError(f"A note is at most {MAX_NOTE} characters.", field="note")
    order = await Order.get(id=image.order_id)
    if order.status not in (OrderStatus.READY_FOR_REVIEW, OrderStatus.IN_PRODUCTION):
        raise InvalidTransition(f"An order that is {order.status.value} takes no redo.", field="orderImageId")
    if image.production_status != PS.DONE:
        raise InvalidTransition("This image is not done yet.", field="orderImageId")
    now = utcnow()
    async with in_transaction():
        # a redo has its own turnaround: due from the request, not from the payment
        moved = await OrderImage.filter(id=image.id, production_status=PS.DONE).update(
            production_status=PS.RETOUCH, redo_note=text, redo_count=F("redo_count") + 1, retouch_since=now,
            retouch_reason=f"Redo asked by the merchant: {text}"[:500], claimed_by_id=None, claimed_at=None,
            due_at=now + timedelta(hours=order.turnaround_hours))
        if not moved:
            raise InvalidTransition("The image changed meanwhile; reload it.", field="orderImageId")
        if order.status == OrderStatus.READY_FOR_REVIEW:
            await orders.transition(order, OrderStatus.IN_PRODUCTION, field="orderImageId")
        await refresh_due(order.id)
    await image.refresh_from_db()
    await announce_image(order.id)
    return image
