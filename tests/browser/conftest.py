"""Browser tests: the demo stack (``api.demo``: Pixport on its embedded defaults, the
BigCommerce and PayPal sandboxes, localstripe) on free ports with its data in a temporary
folder, and Debian's Chromium driven by Playwright through its executable path (Playwright
never downloads a browser here).

They run once, in the scale column of ``make test`` (not marked ``embedded``): the stack
is the same whichever column the suite runs in. Screenshots of the journey's steps go to
build/screenshots/ on every run, and to docs/screenshots/ (the README shows them) when
PIXPORT_UPDATE_SCREENSHOTS=1 (``make screenshots``): a test run leaves the checkout clean.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import httpx
import pytest

from api.demo import DemoConfig, DemoStack
from tests.support.production import Retoucher

CHROMIUM = os.environ.get("PIXPORT_TEST_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / ("docs" if os.environ.get("PIXPORT_UPDATE_SCREENSHOTS") == "1" else "build") / "screenshots"
# A small store, so that the sync and the production finish in seconds.
STORE = dict(products=24, images_per_product=3, max_image_size=900, seed=11)
FAST = {"PIXPORT_LOG_LEVEL": "WARNING"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not (shutil.which(CHROMIUM) or Path(CHROMIUM).exists()):
        message = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium; .ci/run does)"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture(scope="module")
def demo(tmp_path_factory, chromium_path):
    """The demo stack with the app registered but not installed: the journey installs it."""
    config = DemoConfig.on_free_ports(data_dir=tmp_path_factory.mktemp("demo"), install=False, inherit_env=False,
                                      extra_env=FAST, **STORE)
    with DemoStack(config) as stack:
        if httpx.get(f"{stack.pixport_url}/app").status_code != 200:
            pytest.fail("Pixport serves no /app: build the admin app first (cd webapp && npm ci && npm run build; "
                        "the Makefile's install step does it)", pytrace=False)
        yield stack


# Module scope: Playwright's sync API runs its own event loop, which must be gone before the
# suite's asyncio tests run again.
@pytest.fixture(scope="module")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # Chromium's sandbox needs user namespaces, which root in a container does not get.
        args = ["--no-sandbox"] if os.geteuid() == 0 else []
        browser = playwright.chromium.launch(executable_path=chromium_path, args=args)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        folder = Path(os.environ.get("PIXPORT_TEST_ARTIFACTS", "/tmp/pixport-browser"))
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{request.node.name}-failure.png"), full_page=True)
    context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


class Screenshots:
    """``shot(page, "03-signed-up")`` writes <SCREENSHOTS>/03-signed-up.png."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.taken: list[Path] = []

    def __call__(self, page, step: str, full_page: bool = False) -> Path:
        path = self.folder / f"{step}.png"
        page.screenshot(path=str(path), full_page=full_page)
        self.taken.append(path)
        return path


@pytest.fixture(scope="session")
def shot() -> Screenshots:
    return Screenshots(SCREENSHOTS)


class StoreState:
    """What the store holds, read through the sandbox's control API (as a test's assertions,
    never as the app)."""

    def __init__(self, stack: DemoStack) -> None:
        self.http = httpx.Client(base_url=stack.sandbox_url, timeout=30)
        self.store_hash = stack.store_hash
        self.path = f"/_sandbox/stores/{stack.store_hash}"

    def summary(self) -> dict:
        return self.http.get(self.path).raise_for_status().json()

    def product(self, product_id: int) -> dict:
        return self.http.get(f"{self.path}/products/{product_id}").raise_for_status().json()

    def images(self, product_id: int) -> list[dict]:
        """The product's images in the store's order (sort order, then id), each with its ``facts``."""
        return sorted(self.product(product_id)["images"], key=lambda i: (i["sort_order"], i["id"]))

    def all_files(self) -> dict[int, list[str]]:
        return {pid: self.files(pid) for pid in range(1, self.summary()["products"] + 1)}

    def files(self, product_id: int) -> list[str]:
        """SHA-256 of each of the product's image files as the store's CDN serves them, in order:
        what a shopper sees, to compare with Pixport's results after publish and rollback."""
        return [hashlib.sha256(self.http.get(f"/s-{self.store_hash}/product_images/{i['image_file']}")
                               .raise_for_status().content).hexdigest() for i in self.images(product_id)]


@pytest.fixture(scope="module")
def store_state(demo) -> StoreState:
    state = StoreState(demo)
    yield state
    state.http.close()


@pytest.fixture(scope="module")
def retoucher(demo) -> Retoucher:
    """The demo's production staff login, working through the production API."""
    studio = Retoucher(demo.pixport_url, *demo.retoucher)
    yield studio
    studio.close()
