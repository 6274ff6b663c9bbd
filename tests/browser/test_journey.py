"""The merchant's whole journey in Chromium, as the README walks it: install Pixport from the
store's control panel, sign up, wait for the sync, filter, select, see a duplicate removed,
create a specification, see the price, approve with a comment, pay by card saving it, wait
for production (the engine), review before/after, ask one redo (the studio's retoucher
takes it through the production API), publish with one item of each action (overwrite,
append, skip, copy to another product), read the log, then roll back; a second, shorter
run pays with PayPal.

Every step goes through the visible controls (the app's roles and accessible names are
in webapp/README.md), inside the control panel's iframe as on BigCommerce, and PayPal's
buyer page in its own tab. What the store holds is read through the sandbox's control
API: its files, byte for byte, after publishing and after the rollback.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections import Counter

import httpx
from playwright.sync_api import FrameLocator, Page, expect

from api.demo import APP_CLIENT_ID

EMAIL = "merchant@example.com"
PASSWORD = "a long passphrase 1"
SYNC_TIMEOUT_MS = 60_000
PRODUCTION_TIMEOUT_MS = 60_000
PAID = re.compile(r"^Status: (In production|Ready for review)")  # the engine may already be done
APP_FRAME = 'iframe[title="Pixport"]'


# ---- the steps ---------------------------------------------------------------------------------

def install_from_the_control_panel(page: Page, demo, shot) -> FrameLocator:
    page.goto(demo.panel_url)
    expect(page.get_by_role("heading", name="Apps", level=1)).to_be_visible()
    shot(page, "01-control-panel-apps")
    page.get_by_role("link", name="Install Pixport").click()
    expect(page.get_by_role("heading", name="Install Pixport")).to_be_visible()
    shot(page, "02-install-permissions")
    page.get_by_role("button", name="Confirm").click()
    app = page.frame_locator(APP_FRAME)
    expect(app.get_by_role("heading", name=re.compile(r"^Pixport is installed"))).to_be_visible()
    shot(page, "03-installed")
    return app


def sign_up(app: FrameLocator, page: Page, shot) -> None:
    app.get_by_role("link", name="Open Pixport").click()
    expect(app.get_by_role("heading", name="Welcome to Pixport", level=1)).to_be_visible()
    form = app.get_by_role("form", name="Create account")
    form.get_by_role("textbox", name="Name").fill("Merchant in the demo")
    form.get_by_role("textbox", name="Email").fill(EMAIL)
    form.get_by_label("Password").fill(PASSWORD)
    shot(page, "04-sign-up")
    form.get_by_role("button", name="Create account").click()


def wait_for_sync(app: FrameLocator) -> None:
    expect(app.get_by_role("heading", name="Store", level=1)).to_be_visible()
    progress = app.get_by_role("progressbar", name="Sync progress")
    expect(progress).to_be_visible()
    expect(app.get_by_text("Sync succeeded")).to_be_visible(timeout=SYNC_TIMEOUT_MS)
    assert progress.evaluate("p => p.max > 0 && p.value === p.max"), "the progress bar ends full"


def open_from_the_panel(page: Page, demo) -> FrameLocator:
    """A merchant who signed up before: the panel opens the app signed in (load → session)."""
    page.goto(demo.app_page_url)
    app = page.frame_locator(APP_FRAME)
    expect(app.get_by_role("navigation", name="Main")).to_be_visible()
    return app


def go(app: FrameLocator, link: str, heading: str | re.Pattern) -> None:
    app.get_by_role("navigation", name="Main").get_by_role("link", name=link).click()
    expect(app.get_by_role("heading", name=heading, level=1)).to_be_visible()


def duplicate_pair(store_state) -> tuple[str, str, str, str]:
    """From the store's own facts: an image that duplicates another product's image —
    (original product's SKU, its file name, duplicate product's SKU, the duplicate's file name)."""
    for product_id in range(2, store_state.summary()["products"] + 1):
        product = store_state.product(product_id)
        for image in product["images"]:
            original_product = image["facts"].get("duplicate_of_product")
            if original_product and original_product != product_id:
                original_id = image["facts"]["duplicate_of"]
                original = store_state.product(original_product)
                source = next(i for i in original["images"] if i["id"] == original_id)
                return (original["sku"], file_name(source), product["sku"], file_name(image))
    raise AssertionError("the demo store has no duplicate across products")


def file_name(image: dict) -> str:
    return image["image_file"].rsplit("/", 1)[-1]


def search(app: FrameLocator, text: str) -> None:
    box = app.get_by_role("complementary", name="Filters").get_by_role("searchbox", name="Search images")
    box.fill(text)
    box.press("Enter")


def notice(app: FrameLocator):
    return app.get_by_role("status", name="Notice")


def wait_for_analysis(app: FrameLocator, page: Page, shot) -> None:
    """After the sync each image is analysed (size, format, background, duplicates); the
    Store screen follows that job too."""
    expect(app.get_by_role("progressbar", name="Analysis progress")).to_be_visible()
    expect(app.get_by_text(re.compile(r"^Analysis succeeded"))).to_be_visible(timeout=SYNC_TIMEOUT_MS)
    shot(page, "05-synced")


def filter_select_and_add(app: FrameLocator, page: Page, shot, store_state) -> str:
    """Returns the file name of the picture that is on two products (its group's edited one)."""
    go(app, "Images", "Images")
    matches = app.get_by_text(re.compile(r"^\d+ images? match"))
    total = int(matches.inner_text().split()[0])
    filters = app.get_by_role("complementary", name="Filters")
    background = filters.get_by_role("group", name="Background").get_by_role("checkbox")
    expect(background).not_to_have_count(1)  # several kinds of background
    background.first.check()
    expect(matches).not_to_have_text(f"{total} images match")
    shot(page, "06-filtered")
    filters.get_by_role("button", name="Clear filters").click()
    expect(matches).to_have_text(re.compile(rf"^{total} images match"))

    original_sku, original_file, duplicate_sku, duplicate_file = duplicate_pair(store_state)
    search(app, original_sku)
    app.get_by_role("checkbox", name=f"Select {original_file}").check()
    shot(page, "07-selected")
    app.get_by_role("button", name="Add selected to cart").click()
    expect(notice(app)).to_contain_text("Added 1 image to the cart.")
    search(app, duplicate_sku)
    app.get_by_role("checkbox", name=f"Select {duplicate_file}").check()
    app.get_by_role("button", name="Add selected to cart").click()
    expect(notice(app)).to_contain_text("Added 0 images to the cart; 1 duplicate removed.")
    shot(page, "08-duplicate-removed")
    # and a few more, so the order has several images
    search(app, "")
    circles = app.get_by_role("checkbox", name=re.compile(r"^Select "))
    for i in range(2, 5):
        circles.nth(i).check()
    app.get_by_role("button", name="Add selected to cart").click()
    expect(notice(app)).to_contain_text("Added")
    return original_file


def create_specification(app: FrameLocator, page: Page, shot, name: str) -> None:
    go(app, "Specifications", "Specifications")
    app.get_by_role("link", name="New specification").click()
    expect(app.get_by_role("heading", name="New specification", level=1)).to_be_visible()
    app.get_by_role("textbox", name="Name").fill(name)
    app.get_by_role("combobox", name="Background").select_option("WHITE")
    # the live price, before anything is saved: the cart's images with the options as they are now
    price = app.get_by_role("table", name=re.compile(r"^Price for \d+ images?$"))
    total = price.get_by_role("row", name=re.compile(r"^Total")).get_by_role("cell")
    expect(total).to_contain_text(re.compile(r"\d"))
    plain = total.inner_text()  # e.g. "$6.00"
    app.get_by_role("combobox", name="Shadow").select_option("DROP")
    expect(total).not_to_have_text(plain)  # the add-on is priced at once
    app.get_by_role("combobox", name="Background").select_option("TRANSPARENT")  # with JPEG only: no price
    expect(app.get_by_role("list", name="Problems")).to_contain_text("JPEG")
    expect(price).to_have_count(0)
    app.get_by_role("combobox", name="Background").select_option("WHITE")
    app.get_by_role("combobox", name="Shadow").select_option("NONE")
    expect(total).to_have_text(plain)
    app.get_by_role("button", name="Save specification").click()
    expect(app.get_by_role("heading", name="Edit specification", level=1)).to_be_visible()
    expect(total).to_have_text(plain)
    shot(page, "09-specification")


def cart_to_order(app: FrameLocator, page: Page, shot, specification: str, comment: str) -> str:
    """Returns the total the cart shows for the specification (e.g. "$6.00")."""
    go(app, "Cart", "Cart")
    expect(app.get_by_role("list", name="Duplicate group of 2")).to_be_visible()
    app.get_by_role("combobox", name="Specification").select_option(label=specification)
    total_row = app.get_by_role("region", name="Price").get_by_role("row", name=re.compile(r"^Total"))
    expect(total_row).to_contain_text(re.compile(r"\$\d+\.\d\d"))
    total = re.search(r"\$[\d,]+\.\d\d", total_row.inner_text())[0]
    app.get_by_role("textbox", name="Comment").fill(comment)
    shot(page, "10-cart-price")
    app.get_by_role("button", name="Create order").click()
    expect(app.get_by_role("heading", name=re.compile(r"^Order "), level=1)).to_be_visible()
    return total


def approve(app: FrameLocator, page: Page, shot, comment: str) -> None:
    expect(app.get_by_role("textbox", name="Comment")).to_have_value(comment)
    shot(page, "11-order-review")
    app.get_by_role("button", name="Approve order").click()
    expect(app.get_by_role("heading", name="Payment")).to_be_visible()


def pay_by_card_saving_it(app: FrameLocator, page: Page, shot, total: str) -> None:
    form = app.get_by_role("form", name="Pay by card")
    form.get_by_role("textbox", name="Card number").fill("4242424242424242")
    form.get_by_role("textbox", name="Expiry month").fill("12")
    form.get_by_role("textbox", name="Expiry year").fill("2034")
    form.get_by_role("textbox", name="CVC").fill("123")
    form.get_by_role("checkbox", name="Save card").check()
    shot(page, "12-pay-by-card")
    form.get_by_role("button", name="Pay by card").click()
    expect(app.get_by_text(PAID)).to_be_visible(timeout=20_000)
    expect(app.get_by_text(f"Charge · Card · {total} · Succeeded")).to_be_visible()  # the price shown, charged
    shot(page, "13-paid")
    go(app, "Saved cards", "Saved cards")
    expect(app.get_by_role("button", name=re.compile(r"^Delete Visa •••• 4242$"))).to_be_visible()


def wait_for_production(app: FrameLocator, page: Page, shot) -> None:
    """The editing engine edits every image of the paid order; the order page follows it live."""
    go(app, "Orders", "Orders")
    app.get_by_role("table", name="Orders").get_by_role("link").first.click()
    expect(app.get_by_text("Status: Ready for review")).to_be_visible(timeout=PRODUCTION_TIMEOUT_MS)
    shot(page, "14-ready-for-review")


def loaded(img) -> None:
    """The picture is there, not just its box (its signed link answered with an image)."""
    img.scroll_into_view_if_needed()
    deadline = time.monotonic() + 10
    while not img.evaluate("i => i.complete && i.naturalWidth > 0"):
        assert time.monotonic() < deadline, f"{img} did not load"
        time.sleep(0.1)


def review_before_after(app: FrameLocator, page: Page, shot, file: str):
    review = app.get_by_role("region", name="Before and after")
    image = review.get_by_role("list", name="Reviewed images").get_by_role("group", name=file)
    loaded(image.get_by_role("img", name=f"Before: {file}"))
    loaded(image.get_by_role("img", name=f"After: {file}"))
    expect(image).to_contain_text("Edited by the engine")
    shot(page, "15-before-after")
    image.get_by_role("button", name=f"Zoom {file}").click()
    zoom = app.get_by_role("dialog", name=f"Zoom: {file}")
    loaded(zoom.get_by_role("img", name=f"Before at full size: {file}"))
    loaded(zoom.get_by_role("img", name=f"After at full size: {file}"))
    shot(page, "16-zoom")
    zoom.get_by_role("button", name="Close").click()
    expect(zoom).to_be_hidden()
    return image


def ask_one_redo(app: FrameLocator, page: Page, shot, image, file: str, retoucher) -> None:
    image.get_by_role("button", name=f"Ask for a redo of {file}").click()
    form = app.get_by_role("form", name=f"Redo {file}")
    form.get_by_role("textbox", name="What should change?").fill("Please centre the product.")
    shot(page, "17-redo")
    form.get_by_role("button", name="Send redo request").click()
    expect(notice(app)).to_contain_text(f"Redo requested for {file}.")
    expect(image).to_contain_text("With a retoucher")
    assert retoucher.retouch_all() == [file]  # the studio takes the redo through the production API
    expect(app.get_by_text("Status: Ready for review")).to_be_visible(timeout=PRODUCTION_TIMEOUT_MS)
    expect(image).to_contain_text("Edited by a retoucher")


def sha_of_img(locator) -> str:
    url = locator.evaluate("img => img.currentSrc || img.src")
    return hashlib.sha256(httpx.get(url, timeout=30).raise_for_status().content).hexdigest()


ACTIONS = {2: "Append", 3: "Skip", 4: "Copy to product"}  # item 1 and the rest: Overwrite


def publish_one_of_each(app: FrameLocator, page: Page, shot, target: dict) -> dict[str, list[str]]:
    """Creates the plan, sets one item of each action (copying item 4 to ``target``), runs a dry
    run, publishes and reads the log. Returns the after-files' SHA-256 by action."""
    app.get_by_role("region", name="Publish").get_by_role("button", name="Create publish plan").click()
    expect(app.get_by_role("heading", name=re.compile(r"^Publish plan for order PX-"), level=1)).to_be_visible()
    items = app.get_by_role("region", name="Items")
    combos = items.get_by_role("combobox", name=re.compile(r"^Action for item \d+$"))
    count = combos.count()
    assert count >= 5, count  # 4 images, one of them in two places
    for n, action in ACTIONS.items():
        items.get_by_role("combobox", name=f"Action for item {n}").select_option(label=action)
        if action == "Copy to product":
            picker = app.get_by_role("dialog", name="Choose a target product")
            picker.get_by_role("searchbox", name="Search products").fill(target["sku"])
            picker.get_by_role("button", name=f"Choose {target['name']}").click()
            expect(picker).to_be_hidden()
            action = f"{action} ({target['name']})"
        expect(notice(app)).to_contain_text(f"Item {n}: {action} saved.")
    preview = app.get_by_role("region", name="Dry run preview")
    expect(preview.get_by_role("group", name=target["name"])).to_be_visible()
    shot(page, "18-publish-plan")
    by_action: dict[str, list[str]] = {}
    for n in range(1, count + 1):
        action = ACTIONS.get(n, "Overwrite")
        by_action.setdefault(action, []).append(sha_of_img(items.get_by_role("img", name=f"After, item {n}")))
    app.get_by_role("button", name="Publish now").click()
    expect(notice(app)).to_contain_text(f"Publishing finished: {count - 1} done, 1 skipped, 0 failed.",
                                        timeout=PRODUCTION_TIMEOUT_MS)
    expect(app.get_by_text("Plan status: Published")).to_be_visible()
    log = app.get_by_role("region", name="Log").get_by_role("table", name="Publish log")
    expect(log.get_by_role("row")).to_have_count(count + 1)  # a line per item, and the header
    log.scroll_into_view_if_needed()
    shot(page, "19-publish-log")
    return by_action


def assert_published(before: dict[int, list[str]], after: dict[int, list[str]], by_action, target_id: int) -> None:
    """The store holds exactly: every original except the overwritten ones, plus the results of
    the overwritten, appended and copied items (the skipped one nowhere), the copy last on the target."""
    old, new = Counter(s for files in before.values() for s in files), Counter(s for files in after.values() for s in files)
    written = Counter(by_action["Overwrite"] + by_action["Append"] + by_action["Copy to product"])
    assert new - old == written
    assert sum((old - new).values()) == len(by_action["Overwrite"])  # each overwritten original replaced
    assert not set(by_action["Skip"]) & set(new)
    assert sum(new.values()) == sum(old.values()) + 2  # one appended, one copied
    assert after[target_id] == before[target_id] + by_action["Copy to product"]


def roll_back(app: FrameLocator, page: Page, shot) -> None:
    page.once("dialog", lambda dialog: dialog.accept())  # "asks to confirm"
    app.get_by_role("button", name="Roll back").click()
    confirm = app.get_by_role("dialog")
    if confirm.count():
        confirm.get_by_role("button", name=re.compile(r"^(Roll back|Confirm|OK)$")).click()
    expect(notice(app)).to_contain_text("Rollback finished.", timeout=PRODUCTION_TIMEOUT_MS)
    expect(app.get_by_text("Plan status: Rolled back")).to_be_visible()
    # nothing of the order is in the store any more: it is back in review, ready to publish again
    expect(app.get_by_text("Order status: Ready for review")).to_be_visible()
    shot(page, "20-rolled-back")


# ---- the journeys ------------------------------------------------------------------------------

def test_journey_card(page: Page, demo, shot, store_state, retoucher):
    before = store_state.summary()
    assert before["installed_apps"] == [] and before["hooks"] == 0
    files_before = store_state.all_files()

    app = install_from_the_control_panel(page, demo, shot)
    after_install = store_state.summary()
    assert after_install["installed_apps"] == [APP_CLIENT_ID]
    assert after_install["hooks"] == 3  # product created/updated/deleted, delivered to Pixport

    sign_up(app, page, shot)
    wait_for_sync(app)
    wait_for_analysis(app, page, shot)
    twice_placed = filter_select_and_add(app, page, shot, store_state)
    create_specification(app, page, shot, "White catalogue")
    comment = "Please keep the shadows soft."
    total = cart_to_order(app, page, shot, "White catalogue", comment)
    approve(app, page, shot, comment)
    pay_by_card_saving_it(app, page, shot, total)
    wait_for_production(app, page, shot)
    assert store_state.all_files() == files_before  # nothing in the store changes before publishing

    image = review_before_after(app, page, shot, twice_placed)
    ask_one_redo(app, page, shot, image, twice_placed, retoucher)
    target_id = before["products"]
    by_action = publish_one_of_each(app, page, shot, store_state.product(target_id))
    assert_published(files_before, store_state.all_files(), by_action, target_id)
    roll_back(app, page, shot)
    assert store_state.all_files() == files_before  # the very same files, in the same order


def test_journey_paypal(page: Page, demo, shot, store_state):
    """Shorter: the merchant of the card journey opens the app from the panel, orders two
    images with the same specification and pays with PayPal."""
    assert store_state.summary()["installed_apps"] == [APP_CLIENT_ID], "runs after test_journey_card"
    app = open_from_the_panel(page, demo)
    go(app, "Images", "Images")
    circles = app.get_by_role("checkbox", name=re.compile(r"^Select "))
    for i in range(8, 10):
        circles.nth(i).check()
    app.get_by_role("button", name="Add selected to cart").click()
    expect(notice(app)).to_contain_text("Added")
    go(app, "Cart", "Cart")
    app.get_by_role("combobox", name="Specification").select_option(label="White catalogue")
    app.get_by_role("button", name="Create order").click()
    app.get_by_role("button", name="Approve order").click()
    app.get_by_role("button", name="Pay with PayPal").click()
    approve_link = app.get_by_role("link", name="Approve the payment at PayPal")
    expect(approve_link).to_be_visible()
    shot(page, "30-pay-with-paypal")
    with page.context.expect_page() as opened:  # PayPal opens in a new tab
        approve_link.click()
    paypal = opened.value
    expect(paypal.get_by_role("heading", name="PayPal checkout")).to_be_visible()
    expect(paypal.get_by_text(re.compile(r"^Pay [\d.]+ USD as Sandbox Buyer"))).to_be_visible()
    shot(paypal, "31-paypal-checkout")
    paypal.get_by_role("button", name="Pay now").click()
    expect(paypal.get_by_role("heading", name="Payment approved")).to_be_visible()
    paypal.close()
    app.get_by_role("button", name="Complete PayPal payment").click()
    expect(app.get_by_text(PAID)).to_be_visible(timeout=20_000)
    expect(app.get_by_text(re.compile(r"Charge · PayPal · \$[\d.]+ · Succeeded"))).to_be_visible()
