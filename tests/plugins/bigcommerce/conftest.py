"""Fixtures for the BigCommerce plugin: the sandbox (``bc_sandbox`` from tests/conftest.py)
with Pixport registered there as an app whose callbacks point at Pixport's test server,
and the plugin's settings pointed at the sandbox for the length of one test.

Webhook destinations must be https on port 443, as on BigCommerce: the plugin registers
``https://pixport-hooks.test/bigcommerce/webhooks`` and the sandbox's route table sends
that origin to the test server.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest_asyncio

from plugins.bigcommerce import settings as bigcommerce
from tests.support.sandbox import SandboxControl

HOOKS_ORIGIN = "https://pixport-hooks.test"
HOOKS_DESTINATION = f"{HOOKS_ORIGIN}/bigcommerce/webhooks"


@dataclass
class BcApp:
    """Pixport as an app of the sandbox, and what a test drives through it."""

    sandbox: SandboxControl
    server: str
    client_id: str
    client_secret: str
    settings: bigcommerce.BigCommerceSettings

    async def store(self, **options) -> dict:
        options.setdefault("products", 8)
        options.setdefault("seed", 5)
        options.setdefault("webhook_retry_scale", 0)
        return await self.sandbox.create_store(**options)

    async def drive(self, action: str, store_hash: str, **body) -> dict:
        """install | load | uninstall | remove_user, as the control panel does it."""
        body.setdefault("client_id", self.client_id)
        r = await self.sandbox.call("POST", f"{store_hash}/{action}", json=body)
        assert r.status_code == 200, r.text
        return r.json()

    async def install(self, store_hash: str, **body) -> dict:
        out = await self.drive("install", store_hash, **body)
        assert out["response"] is not None, out
        return out

    async def load(self, store_hash: str, **body) -> dict:
        return (await self.drive("load", store_hash, follow=True, **body))["response"]

    async def add_user(self, store_hash: str, email: str) -> dict:
        r = await self.sandbox.call("POST", f"{store_hash}/users", json={"email": email})
        assert r.status_code == 200, r.text
        return r.json()


@pytest_asyncio.fixture(scope="session")
async def _bc_registered(bc_sandbox_url, server):
    async with httpx.AsyncClient(base_url=bc_sandbox_url, timeout=30) as http:
        r = await http.post("/_sandbox/apps", json={
            "name": "Pixport (tests)",
            "client_secret": "pixport-test-client-secret-" + "s" * 37,  # 64 bytes: enough for HS512
            "auth_callback": f"{server}/bigcommerce/auth",
            "load_callback": f"{server}/bigcommerce/load",
            "uninstall_callback": f"{server}/bigcommerce/uninstall",
            "remove_user_callback": f"{server}/bigcommerce/remove_user",
        })
        assert r.status_code == 200, r.text
        app = r.json()
        r = await http.post("/_sandbox/webhook_routes", json={"from": HOOKS_ORIGIN, "to": server})
        assert r.status_code == 200, r.text
    return app


def plugin_settings(sandbox_url: str, app: dict | None = None, **overrides) -> bigcommerce.BigCommerceSettings:
    values = dict(api_url=sandbox_url, login_url=sandbox_url, webhook_base_url=HOOKS_ORIGIN,
                  retry_initial_seconds=0.02, retry_max_seconds=0.3, throttled_backoff_seconds=0.1,
                  timeout_seconds=10)
    if app is not None:
        values.update(client_id=app["client_id"], client_secret=app["client_secret"])
    values.update(overrides)
    return bigcommerce.BigCommerceSettings(**values)


@pytest_asyncio.fixture
async def bc_app(bc_sandbox, bc_sandbox_url, _bc_registered, gql, server):
    """Pixport installed as a sandbox app, its plugin settings in force for this test."""
    before = bigcommerce.current()
    s = plugin_settings(bc_sandbox_url, _bc_registered)
    bigcommerce.use(s)
    try:
        yield BcApp(bc_sandbox, server, _bc_registered["client_id"], _bc_registered["client_secret"], s)
    finally:
        bigcommerce.use(before)
