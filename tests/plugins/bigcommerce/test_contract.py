"""The shared connector contract (tests/plugins/contract.py), run against BigCommerce on
the sandbox."""

from __future__ import annotations

import pytest_asyncio

from core.connectors import StoreAccess
from plugins.bigcommerce.connector import BigCommerceConnector
from tests.plugins.bigcommerce.conftest import HOOKS_DESTINATION, plugin_settings
from tests.plugins.contract import *  # noqa: F401,F403 - the shared suite
from tests.plugins.contract import ConnectorTarget


@pytest_asyncio.fixture(params=["bigcommerce-sandbox"])
async def connector_target(request, bc_sandbox, bc_sandbox_url):
    remote = await bc_sandbox.create_store(products=11, images_per_product=2, variant_share=0.5, seed=11)
    store_hash = remote["store_hash"]
    settings = plugin_settings(bc_sandbox_url)
    access = StoreAccess(store_id=0, external_id=store_hash, access_token=remote["access_token"],
                         image_hosts=("127.0.0.1",))

    def make(page_size: int | None = None):
        return BigCommerceConnector(access, settings=settings, redis_url=None, page_size=page_size or 250)

    async def touch(product_id: str) -> None:
        r = await bc_sandbox.call("PUT", f"{store_hash}/products/{product_id}", json={"name": f"Touched {product_id}"})
        assert r.status_code == 200, r.text

    async def webhook_count() -> int:
        return (await bc_sandbox.state(store_hash))["hooks"]

    async def lose_next_write_answer() -> None:
        r = await bc_sandbox.call("PUT", f"{store_hash}/faults", json={"drop_next": 1, "drop_methods": ["POST"]})
        assert r.status_code == 200, r.text

    async def delete_product(product_id: str) -> None:
        r = await bc_sandbox.call("DELETE", f"{store_hash}/products/{product_id}")
        assert r.status_code == 200, r.text

    return ConnectorTarget(
        lose_next_write_answer=lose_next_write_answer, delete_product=delete_product,
        make=make, product_count=11, store_external_id=store_hash, touch_product=touch,
        webhook_count=webhook_count, webhook_destination=HOOKS_DESTINATION,
        forbidden_image_urls=(
            f"https://evil.example.com/s-{store_hash}/products/1/images/1/a.jpg",
            "http://169.254.169.254/latest/meta-data/",
            "https://cdn11.bigcommerce.com/s-anotherstore/products/1/images/1/a.jpg",
            f"http://user:secret@127.0.0.1/s-{store_hash}/a.jpg",
            "file:///etc/passwd",
        ),
    )
