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

from core.connectors import Connector, ConnectorError, ConnectorErrorCode

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


async def test_contract_modified_since_lists_only_what_changed(connector_target: ConnectorTarget):
    t = connector_target
    connector = t.make()
    try:
        some = (await connector.list_products(None)).products[1].external_id
        since = datetime.now(timezone.utc) - timedelta(seconds=5)
        assert [p for page in await _all_pages(connector, modified_since=since) for p in page.products] == []
        await t.touch_product(some)
        changed = [p.external_id for page in await _all_pages(connector, modified_since=since) for p in page.products]
    finally:
        await connector.close()
    assert changed == [some]


async def test_contract_get_product_and_search(connector_target: ConnectorTarget):
    t = connector_target
    connector = t.make()
    try:
        listed = (await connector.list_products(None)).products[0]
        got = await connector.get_product(listed.external_id)
        assert got == listed
        assert await connector.get_product("999999999") is None
        word = max(listed.name.split(), key=len)
        found = await connector.search_products(word, limit=50)
        assert listed.external_id in [p.external_id for p in found]
        info = await connector.store_info()
        assert info.external_id == t.store_external_id and info.name
    finally:
        await connector.close()


async def test_contract_fetch_image_only_from_allowed_hosts_and_within_the_cap(connector_target: ConnectorTarget):
    t = connector_target
    connector = t.make()
    try:
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
    finally:
        await connector.close()


async def test_contract_webhooks_install_is_idempotent_and_removable(connector_target: ConnectorTarget):
    t = connector_target
    connector = t.make()
    try:
        await connector.install_webhooks(t.webhook_destination, {"X-Test-Secret": "one"})
        once = await t.webhook_count()
        await connector.install_webhooks(t.webhook_destination, {"X-Test-Secret": "one"})
        await connector.install_webhooks(t.webhook_destination, {"X-Test-Secret": "two"})  # a new secret
        assert once > 0 and await t.webhook_count() == once
        await connector.remove_webhooks(t.webhook_destination)
        assert await t.webhook_count() == 0
        await connector.remove_webhooks(t.webhook_destination)  # nothing left: still fine
    finally:
        await connector.close()


__all__ = [name for name in dir() if name.startswith("test_contract_")] + ["ConnectorTarget"]
