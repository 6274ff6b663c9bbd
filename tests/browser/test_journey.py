"""The merchant's whole journey in Chromium, as the README walks it: install Pixport from the
store's control panel, sign up, wait for the sync, filter, select, see a duplicate removed,
create a specification, see the price, approve with a comment, pay by card saving it, ...

Every step is taken through the app's visible controls (roles and accessible names from
webapp/README.md); what the store holds is checked through the sandbox's control API.
"""

from __future__ import annotations

import re

from playwright.sync_api import FrameLocator, Page, expect

from api.demo import APP_CLIENT_ID

PASSWORD = "a long passphrase 1"
SYNC_TIMEOUT_MS = 60_000


def install_from_the_control_panel(page: Page, demo, shot) -> FrameLocator:
    page.goto(demo.panel_url)
    expect(page.get_by_role("heading", name="Apps", level=1)).to_be_visible()
    shot(page, "01-control-panel-apps")
    page.get_by_role("link", name="Install Pixport").click()
    expect(page.get_by_role("heading", name="Install Pixport")).to_be_visible()
    shot(page, "02-install-permissions")
    page.get_by_role("button", name="Confirm").click()
    app = page.frame_locator('iframe[title="Pixport"]')
    expect(app.get_by_role("heading", name=re.compile(r"^Pixport is installed"))).to_be_visible()
    shot(page, "03-installed")
    return app


def sign_up(app: FrameLocator, page: Page, shot, email: str) -> None:
    app.get_by_role("link", name="Open Pixport").click()
    expect(app.get_by_role("heading", name="Welcome to Pixport", level=1)).to_be_visible()
    form = app.get_by_role("form", name="Create account")
    form.get_by_role("textbox", name="Name").fill("Merchant in the demo")
    form.get_by_role("textbox", name="Email").fill(email)
    form.get_by_label("Password").fill(PASSWORD)
    shot(page, "04-sign-up")
    form.get_by_role("button", name="Create account").click()


def wait_for_sync(app: FrameLocator, page: Page, shot, images: int) -> None:
    expect(app.get_by_role("heading", name="Store", level=1)).to_be_visible()
    progress = app.get_by_role("progressbar", name="Sync progress")
    expect(progress).to_be_visible()
    expect(app.get_by_text("Sync succeeded")).to_be_visible(timeout=SYNC_TIMEOUT_MS)
    expect(progress).to_have_attribute("aria-valuemax", re.compile(r"^[1-9]\d*$"))
    shot(page, "05-synced")


def test_journey_card(page: Page, demo, shot, store_state):
    before = store_state.summary()
    assert before["installed_apps"] == [] and before["hooks"] == 0

    app = install_from_the_control_panel(page, demo, shot)
    after_install = store_state.summary()
    assert after_install["installed_apps"] == [APP_CLIENT_ID]
    assert after_install["hooks"] == 3  # product created/updated/deleted, delivered to Pixport

    sign_up(app, page, shot, "merchant@example.com")
    wait_for_sync(app, page, shot, before["images"])
