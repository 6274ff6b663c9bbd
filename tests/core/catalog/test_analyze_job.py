"""The analysis job against the BigCommerce sandbox's CDN: one download per distinct
URL, facts written in bulk, unreadable files and vanished images marked with a reason
while the rest finish, passing failures retried, and a rerun doing nothing."""

from __future__ import annotations

import base64
import collections
import io
import struct
import zlib
from urllib.parse import urlsplit

import pytest
from PIL import Image as PILImage

from core.catalog import analyze as analysis_job
from core.catalog.models import AnalysisStatus, BackgroundKind, Image, Product
from core.jobs import services as jobs
from core.jobs.models import Job, JobStatus
from core.stores import services as store_services
from core.stores.models import Store
from core.timeutil import utcnow
from tests.support.servers import wait_until
from workers import execute

pytestmark = pytest.mark.embedded  # bulk UPDATEs differ between SQLite and PostgreSQL

TRUE_KIND = {"white": "WHITE", "sweep": "LIGHT_UNIFORM", "transparent": "TRANSPARENT", "textured": "OTHER"}


def _cdn_path(url: str) -> str:
    """The sandbox CDN's key for a URL: its path and query."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


async def _downloads(bc_sandbox, store_hash: str) -> collections.Counter[str]:
    """How often each file was fetched from the sandbox's CDN (what a CDN's access log tells)."""
    return collections.Counter((await bc_sandbox.call("GET", f"{store_hash}/cdn")).json()["hits"])


async def _upload(bc_sandbox, store_hash: str, pid: int, data: bytes) -> dict:
    r = await bc_sandbox.call("POST", f"{store_hash}/products/{pid}/images",
                              json={"data_base64": base64.b64encode(data).decode()})
    assert r.status_code == 200, r.text
    return r.json()


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _original_url(sandbox_url: str, store_hash: str, image: dict) -> str:
    return f"{sandbox_url}/s-{store_hash}/product_images/{image['image_file']}"


async def _catalog(bc_sandbox, bc_sandbox_url) -> tuple[Store, dict]:
    """A sandbox store, and Pixport rows for its images (as a sync would make them, the
    zoom rendition as source_url), plus: a second row sharing each of three URLs (a variant
    showing the product image), a truncated JPEG and a PNG bomb uploaded by the merchant,
    and an image deleted from the store after it was synced."""
    remote = await bc_sandbox.create_store(products=8, images_per_product=3, seed=3, duplicate_share=0.0)
    h = remote["store_hash"]
    jpeg = io.BytesIO()
    PILImage.effect_noise((300, 300), 50).convert("RGB").save(jpeg, "JPEG", quality=90)
    broken = [await _upload(bc_sandbox, h, 1, jpeg.getvalue()[:4000])]
    # a PNG claiming 8000×8000 (64 MP: within what the platform takes, beyond what Pixport decodes)
    ihdr = struct.pack(">IIBBBBB", 8000, 8000, 8, 0, 0, 0, 0)
    big = (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(b"\0" * 8001 * 16))
           + _chunk(b"IEND", b""))
    broken.append(await _upload(bc_sandbox, h, 2, big))
    products = (await bc_sandbox.call("GET", f"{h}/products", params={"limit": 250})).json()["data"]

    store = await Store.create(platform="bigcommerce", external_id=h, name="Sandbox store",
                               access_token_sealed=store_services.secret_box().seal(remote["access_token"]))
    now = utcnow()
    rows, gone = [], None
    for p in products:
        product = await Product.create(store=store, external_id=str(p["id"]), name=p["name"], synced_at=now,
                                       modified_at=now)
        for image in p["images"]:
            upload = any(b["id"] == image["id"] for b in broken)
            url = _original_url(bc_sandbox_url, h, image) if upload else image["url_zoom"]
            rows.append(Image(store=store, product=product, external_id=str(image["id"]), source_url=url,
                              modified_at=now, synced_at=now, product_name=p["name"]))
    for n, row in enumerate(rows[:3]):  # variants showing a product image: same URL, own row
        rows.append(Image(store=store, product_id=row.product_id, external_id=f"v{n}", variant_external_id=str(n),
                          source_url=row.source_url, modified_at=now, synced_at=now))
    await Image.bulk_create(rows)
    # deleted from the store after the sync: its URL now answers 404
    gone = products[3]["images"][0]
    r = await bc_sandbox.call("DELETE", f"{h}/products/{products[3]['id']}/images/{gone['id']}")
    assert r.status_code == 200, r.text
    return store, {"hash": h, "broken": [b["id"] for b in broken], "gone": gone["id"], "products": products}


async def _run(job: Job) -> Job:
    await execute.run_job(job.id)
    return await Job.get(id=job.id)


async def test_every_distinct_url_once_unreadable_marked_the_rest_done_and_a_rerun_does_nothing(
    clean_db, bc_sandbox, bc_sandbox_url
):
    store, remote = await _catalog(bc_sandbox, bc_sandbox_url)
    rows = await Image.filter(store=store)
    distinct = {r.source_url for r in rows}
    assert len(rows) == len(distinct) + 3

    job = await jobs.create(analysis_job.ANALYZE, {"store_id": store.id})
    job = await _run(job)
    assert job.status == JobStatus.SUCCEEDED, job.message
    fetched = await _downloads(bc_sandbox, remote["hash"])
    assert set(fetched) == {_cdn_path(u) for u in distinct} and set(fetched.values()) == {1}
    assert job.done == job.total == len(rows)

    by_id = {r.external_id: r for r in await Image.filter(store=store)}
    broken = [by_id[str(i)] for i in remote["broken"]]
    assert [r.analysis_status for r in broken] == [AnalysisStatus.UNREADABLE] * 2
    assert "truncated" in broken[0].unreadable_reason
    assert "decompression bomb" in broken[1].unreadable_reason
    gone = by_id[str(remote["gone"])]
    assert gone.analysis_status == AnalysisStatus.UNREADABLE and gone.unreadable_reason.startswith("Gone from the store")

    done = [r for r in by_id.values() if r.analysis_status == AnalysisStatus.DONE]
    assert len(done) == len(rows) - 3
    for n in range(3):  # a shared URL: both rows carry the same facts
        variant = by_id[f"v{n}"]
        twin = next(r for r in done if r.source_url == variant.source_url and r.id != variant.id)
        assert (variant.sha256, variant.phash, variant.width) == (twin.sha256, twin.phash, twin.width)
    for r in done:
        assert r.sha256 and r.phash is not None and r.format and r.file_bytes > 0 and r.analyzed_at
        facts = (await bc_sandbox.call("GET", f"{remote['hash']}/images/{r.external_id}/facts")).json() \
            if not r.external_id.startswith("v") else None
        if facts and facts.get("generated"):
            assert r.format == facts["format"].upper()
            fit = min(1.0, 1280 / max(facts["width"], facts["height"]))  # the zoom rendition fits 1280×1280
            assert abs(r.width - facts["width"] * fit) <= 1 and abs(r.height - facts["height"] * fit) <= 1
            if facts["background"] in TRUE_KIND:
                assert r.background == BackgroundKind(TRUE_KIND[facts["background"]]), facts

    # Idempotent: a rerun finds nothing PENDING, downloads nothing, changes nothing.
    before = {r.id: (r.analysis_status, r.analyzed_at, r.sha256) for r in await Image.filter(store=store)}
    again = await _run(await jobs.create(analysis_job.ANALYZE, {"store_id": store.id}))
    assert again.status == JobStatus.SUCCEEDED and again.done == 0
    assert await _downloads(bc_sandbox, remote["hash"]) == fetched
    assert {r.id: (r.analysis_status, r.analyzed_at, r.sha256) for r in await Image.filter(store=store)} == before


async def test_passing_failures_stay_pending_and_the_retry_finishes_them(clean_db, bc_sandbox, bc_sandbox_url):
    store, remote = await _catalog(bc_sandbox, bc_sandbox_url)
    h = remote["hash"]
    flaky = (await Image.filter(store=store).order_by("id").first()).source_url
    outage = await bc_sandbox.call("PUT", f"{h}/faults", json={"cdn_fail_paths": [_cdn_path(flaky)]})
    assert outage.status_code == 200, outage.text

    job = await _run(await jobs.create(analysis_job.ANALYZE, {"store_id": store.id}))
    assert job.status == JobStatus.QUEUED and "Retrying" in job.message  # RetryLater: queued again
    pending = await Image.filter(store=store, analysis_status=AnalysisStatus.PENDING)
    assert {r.source_url for r in pending} == {flaky} and len(pending) == 2  # the product row and its variant
    first_downloads = sum((await _downloads(bc_sandbox, h)).values())

    # the CDN is back; the retry (run here, or by the queue) takes only what is left
    assert (await bc_sandbox.call("PUT", f"{h}/faults", json={"cdn_fail_paths": []})).status_code == 200
    await execute.run_job(job.id)
    job = await wait_until(lambda: _finished(job.id), timeout=20)
    assert job.status == JobStatus.SUCCEEDED, job.message
    assert not await Image.filter(store=store, analysis_status=AnalysisStatus.PENDING).exists()
    fetched = await _downloads(bc_sandbox, h)
    assert sum(fetched.values()) == first_downloads + 1 and fetched[_cdn_path(flaky)] == 2
    assert job.done == job.total == await Image.filter(store=store).count()


async def _finished(job_id: int) -> Job | None:
    job = await Job.get(id=job_id)
    return job if job.status.is_final else None


async def test_start_analysis_submits_once_while_a_job_is_queued_or_running(clean_db, bc_sandbox, bc_sandbox_url):
    store, _ = await _catalog(bc_sandbox, bc_sandbox_url)
    first = await analysis_job.start_analysis(store.id)
    second = await analysis_job.start_analysis(store.id)
    assert second.id == first.id
    await store.refresh_from_db()
    assert store.analysis_job_id == first.id
    await execute.run_job(first.id)  # (or the queue's runner does)
    job = await wait_until(lambda: _finished(first.id), timeout=20)
    assert job.status == JobStatus.SUCCEEDED, job.message
    third = await analysis_job.start_analysis(store.id)
    assert third.id != first.id
