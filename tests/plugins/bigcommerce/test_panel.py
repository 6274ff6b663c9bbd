"""The sandbox's control panel (``/manage``) as a merchant's browser uses it: install Pixport
(the OAuth redirect in the panel's iframe), then open it (the load callback with a signed
payload). The browser journey (tests/browser) clicks through the same pages."""

from __future__ import annotations

import re
from html import unescape

import httpx

from core.stores.models import Store, StoreStatus
from plugins.bigcommerce import settings as bigcommerce

IFRAME_SRC = re.compile(r'<iframe[^>]*title="Pixport \(tests\)"[^>]*src="([^"]+)"')


def iframe_src(page: httpx.Response) -> str:
    assert page.status_code == 200, page.text
    match = IFRAME_SRC.search(page.text)
    assert match, page.text
    return unescape(match[1])


async def test_install_from_the_panel_then_open_the_app_in_its_iframe(bc_app, bc_sandbox_url, server):
    remote = await bc_app.store()
    h = remote["store_hash"]
    # Pixport's pages may be framed by the sandbox's panel (as by the store's own panel on BigCommerce)
    bigcommerce.use(bc_app.settings.model_copy(update={"control_panel_origin": bc_sandbox_url}))
    async with httpx.AsyncClient(base_url=bc_sandbox_url) as panel, httpx.AsyncClient() as browser:
        apps = await panel.get(f"/manage/{h}/apps")
        assert "No app installed yet." in apps.text
        assert f'href="/manage/{h}/apps/{bc_app.client_id}/install"' in apps.text
        consent = await panel.get(f"/manage/{h}/apps/{bc_app.client_id}/install")
        assert "store_v2_products" in consent.text and ">Confirm</button>" in consent.text
        assert await Store.filter(external_id=h).count() == 0  # nothing granted before Confirm

        auth_url = iframe_src(await panel.post(f"/manage/{h}/apps/{bc_app.client_id}/install"))
        assert auth_url.startswith(f"{server}/bigcommerce/auth?") and "code=" in auth_url
        installed = await browser.get(auth_url)
        assert installed.status_code == 200 and "Open Pixport" in installed.text
        assert installed.headers["content-security-policy"] == f"frame-ancestors {bc_sandbox_url}"
        store = await Store.get(external_id=h)
        assert store.status == StoreStatus.INSTALLED
        assert (await bc_app.sandbox.state(h))["installed_apps"] == [bc_app.client_id]

        apps = await panel.get(f"/manage/{h}/apps")
        assert f'href="/manage/{h}/apps/{bc_app.client_id}"' in apps.text and "No app installed yet." not in apps.text
        load_url = iframe_src(await panel.get(f"/manage/{h}/apps/{bc_app.client_id}"))
        assert load_url.startswith(f"{server}/bigcommerce/load?signed_payload_jwt=")
        opened = await browser.get(load_url)
        assert opened.status_code == 302 and opened.headers["location"].startswith("/app#storeLinkToken=")
        assert (await browser.get(load_url)).status_code == 401  # a signed payload opens the app once

        products = await panel.get(f"/manage/{h}/products")
        assert products.status_code == 200 and f"Products ({remote['products']})" in products.text


async def test_the_panel_refuses_unknown_stores_and_apps(bc_app, bc_sandbox_url):
    remote = await bc_app.store()
    async with httpx.AsyncClient(base_url=bc_sandbox_url) as panel:
        assert (await panel.get("/manage/nosuchstore/apps")).status_code == 404
        assert (await panel.post(f"/manage/{remote['store_hash']}/apps/nosuchapp/install")).status_code == 404
        # an app not installed yet opens its install page instead
        r = await panel.get(f"/manage/{remote['store_hash']}/apps/{bc_app.client_id}")
        assert r.status_code == 302 and r.headers["location"] == f"/manage/{remote['store_hash']}/apps"
