"""The contract every connector must keep, as one suite of tests.

A platform's test module imports these tests (``from tests.plugins.contract import *``)
and provides the fixture ``connector_target`` — a ``ConnectorTarget`` for a live store
of that platform (a sandbox) — parametrized over the ways it wants the suite run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Awaitable, Callable

import pytest
import pytest_asyncio

from core.connectors import Connector, ConnectorError, ConnectorErrorCode, ImageUpload

IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG", b"RIFF", b"GIF8", b"BM")


@dataclass
class ConnectorTarget:
    """A store on the platform, and what the suite needs to change and observe there."""

    make: Callable[..., Connector]  # make(page_size=None) -> a connector for the store
    product_count: int
    store_external_id: str
    touch_product: Callable[[str], Awaitable[None]]  # the merchant edits a product
    webhook_count: Callable[[], Awaitable[int]]  # subscriptions the platform holds for the app
    webhook_destination: str
    forbidden_image_urls: tuple[str, ...]  # hosts the connector must refuse
    small_page: int = 3
    # publishing: the platform loses the answer to the next write (it happened, the
    # client cannot tell), and the merchant deletes a product
    lose_next_write_answer: Callable[[], Awaitable[None]] | None = None
    delete_product: Callable[[str], Awaitable[None]] | None = None


@pytest_asyncio.fixture
async def connector(connector_target: ConnectorTarget):
    """A connector for the target's store, closed after the test."""
    c = connector_target.make()
    try:
        yield c
    finally:
        await c.close()


async def _all_pages(connector: Connector, cursor=None, **kwargs) -> list:
    pages = []
    while True:
        page = await connector.list_products(cursor, **kwargs)
        pages.append(page)
        cursor = page.next_cursor
        if cursor is None:
            return pages


async def test_contract_lists_every_product_once_in_a_stable_order(connector_target: ConnectorTarget):
    t = connector_target
    connector = t.make(page_size=t.small_page)
    try:
        pages = await _all_pages(connector)
    finally:
        await connector.close()
    ids = [p.external_id for page in pages for p in page.products]
    assert len(ids) == t.product_count == len(set(ids))
    assert all(len(page.products) == t.small_page for page in pages[:-1])
    assert pages[0].total in (None, t.product_count)
    for page in pages:
        for product in page.products:
            assert product.name
            for image in product.images:
                assert image.product_external_id == product.external_id and image.url
    image_ids = [i.external_id for page in pages for p in page.products for i in p.images]
    assert len(image_ids) == len(set(image_ids)), "image ids are unique within the store"


async def test_contract_a_cursor_resumes_exactly_after_its_page(connector_target: ConnectorTarget):
    t = connector_target
    first = t.make(page_size=t.small_page)
    try:
        everything = [p.external_id for page in await _all_pages(first) for p in page.products]
        page_one = await first.list_products(None)
    finally:
        await first.close()
    resumed = t.make(page_size=t.small_page)  # a new process, after a crash
    try:
        rest = [p.external_id for page in await _all_pages(resumed, page_one.next_cursor) for p in page.products]
    finally:
        await resumed.close()
    assert [p.external_id for p in page_one.products] + rest == everything


async def test_contract_modified_since_lists_only_what_changed(connector_target: ConnectorTarget, connector: Connector):
    t = connector_target
    some = (await connector.list_products(None)).products[1].external_id
    since = datetime.now(timezone.utc) - timedelta(seconds=5)
    assert [p for page in await _all_pages(connector, modified_since=since) for p in page.products] == []
    await t.touch_product(some)
    changed = [p.external_id for page in await _all_pages(connector, modified_since=since) for p in page.products]
    assert changed == [some]


async def test_contract_get_product_and_search(connector_target: ConnectorTarget, connector: Connector):
    t = connector_target
    listed = (await connector.list_products(None)).products[0]
    got = await connector.get_product(listed.external_id)
    assert got == listed
    assert await connector.get_product("999999999") is None
    word = max(listed.name.split(), key=len)
    found = await connector.search_products(word, limit=50)
    assert listed.external_id in [p.external_id for p in found]
    info = await connector.store_info()
    assert info.external_id == t.store_external_id and info.name


async def test_contract_fetch_image_only_from_allowed_hosts_and_within_the_cap(connector_target: ConnectorTarget, connector: Connector):
    t = connector_target
    product = next(p for p in (await connector.list_products(None)).products if p.images)
    url = product.images[0].url
    data = await connector.fetch_image(url, max_bytes=8 * 1024 * 1024)
    assert data.startswith(IMAGE_MAGIC)
    with pytest.raises(ConnectorError) as too_big:
        await connector.fetch_image(url, max_bytes=len(data) - 1)
    assert too_big.value.code == ConnectorErrorCode.INVALID
    for forbidden in t.forbidden_image_urls:
        with pytest.raises(ConnectorError) as refused:
            await connector.fetch_image(forbidden, max_bytes=8 * 1024 * 1024)
        assert refused.value.code == ConnectorErrorCode.INVALID, forbidden


async def test_contract_webhooks_install_is_idempotent_and_removable(connector_target: ConnectorTarget, connector: Connector):
    t = connector_target
    await connector.install_webhooks(t.webhook_destination, {"X-Test-Secret": "one"})
    once = await t.webhook_count()
    await connector.install_webhooks(t.webhook_destination, {"X-Test-Secret": "one"})
    await connector.install_webhooks(t.webhook_destination, {"X-Test-Secret": "two"})  # a new secret
    assert once > 0 and await t.webhook_count() == once
    await connector.remove_webhooks(t.webhook_destination)
    assert await t.webhook_count() == 0
    await connector.remove_webhooks(t.webhook_destination)  # nothing left: still fine


def sample_image(colour=(200, 30, 30), fmt: str = "JPEG") -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, fmt)
    return out.getvalue()


def _upload(key: str, colour=(200, 30, 30)) -> ImageUpload:
    return ImageUpload(sample_image(colour), "jpg", key)


async def _product_with_images(connector: Connector, n: int = 2):
    for product in (await connector.list_products(None)).products:
        if sum(1 for i in product.images if not i.variant_external_id) >= n:
            return product
    raise AssertionError("the store has no product with enough images")


def _plain(images):
    return [i for i in images if not i.variant_external_id]


async def test_contract_replace_keeps_the_slot_and_removes_the_original(connector: Connector):
    product = await _product_with_images(connector)
    before = _plain(await connector.list_product_images(product.external_id))
    thumb = next(i for i in before if i.is_thumbnail)
    new = await connector.replace_image(product.external_id, thumb, _upload("pxcontractreplace1"))
    after = _plain(await connector.list_product_images(product.external_id))
    assert thumb.external_id not in [i.external_id for i in after]
    assert new.external_id in [i.external_id for i in after] and len(after) == len(before)
    slot = next(i for i in after if i.external_id == new.external_id)
    assert slot.is_thumbnail and slot.alt_text == thumb.alt_text
    # the same order of pictures, the new one where the old one was
    assert [i.external_id for i in after] == [new.external_id if i is thumb else i.external_id for i in before]


async def test_contract_add_appends_and_a_resumed_add_adopts_instead_of_writing_twice(connector: Connector):
    product = await _product_with_images(connector)
    count = len(_plain(await connector.list_product_images(product.external_id)))
    added = await connector.add_image(product.external_id, _upload("pxcontractadd1"), alt_text="edited")
    images = _plain(await connector.list_product_images(product.external_id))
    assert images[-1].external_id == added.external_id and not images[-1].is_thumbnail
    assert images[-1].alt_text == "edited" and len(images) == count + 1
    again = await connector.add_image(product.external_id, _upload("pxcontractadd1"), resume=True)
    assert again.external_id == added.external_id
    assert len(_plain(await connector.list_product_images(product.external_id))) == count + 1
    assert await connector.remove_image(product.external_id, added.external_id) is True
    assert await connector.remove_image(product.external_id, added.external_id) is False  # safe to repeat
    assert len(_plain(await connector.list_product_images(product.external_id))) == count


async def test_contract_a_lost_answer_leaves_exactly_one_image(connector_target: ConnectorTarget, connector: Connector):
    t = connector_target
    if t.lose_next_write_answer is None:
        pytest.skip("the platform's test store cannot lose answers")
    product = await _product_with_images(connector)
    count = len(_plain(await connector.list_product_images(product.external_id)))
    await t.lose_next_write_answer()
    added = await connector.add_image(product.external_id, _upload("pxcontractlost1"))
    images = _plain(await connector.list_product_images(product.external_id))
    assert len(images) == count + 1 and images[-1].external_id == added.external_id
    before = images
    await t.lose_next_write_answer()
    new = await connector.replace_image(product.external_id, before[0], _upload("pxcontractlost2"))
    after = _plain(await connector.list_product_images(product.external_id))
    assert len(after) == len(before) and after[0].external_id == new.external_id


async def test_contract_variant_image_is_set_through_the_variant(connector: Connector):
    product = next(p for p in (await connector.list_products(None)).products
                   if any(i.variant_external_id for i in p.images))
    variant = next(i for i in product.images if i.variant_external_id)
    data = sample_image((10, 200, 10), "PNG")
    written = await connector.replace_image(product.external_id, variant, ImageUpload(data, "png", "pxcontractvar1"))
    assert written.variant_external_id == variant.variant_external_id
    again = next(i for i in await connector.list_product_images(product.external_id)
                 if i.variant_external_id == variant.variant_external_id)
    assert await connector.fetch_image(again.url, max_bytes=8 * 1024 * 1024) == data
    assert len(_plain(await connector.list_product_images(product.external_id))) == len(_plain(product.images))


async def test_contract_writes_to_a_deleted_product_say_not_found(connector_target: ConnectorTarget, connector: Connector):
    t = connector_target
    if t.delete_product is None:
        pytest.skip("the platform's test store cannot delete products")
    product = await _product_with_images(connector)
    await t.delete_product(product.external_id)
    for write in (lambda: connector.add_image(product.external_id, _upload("pxcontractgone1")),
                  lambda: connector.list_product_images(product.external_id)):
        with pytest.raises(ConnectorError) as gone:
            await write()
        assert gone.value.code == ConnectorErrorCode.NOT_FOUND


__all__ = [name for name in dir() if name.startswith("test_contract_")] + ["ConnectorTarget", "connector"]
