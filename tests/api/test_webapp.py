"""The admin app at /app: its page, assets and config, the CSP that keeps third parties out,
the built bundle, and the test-mode card route (against localstripe)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from api import webapp
from core.orders.models import Order
from core.orders.states import OrderStatus
from core.payments import settings as payment_settings
from core.payments.models import Payment, PaymentStatus
from tests.support.servers import wait_until

CARD_START = """mutation($o: ID!, $save: Boolean) { paymentCardStart(orderId: $o, saveCard: $save) {
  clientSecret errors { code field message } } }"""
DIST = Path(webapp.__file__).resolve().parent.parent / "webapp" / "dist"


@pytest.fixture
def built(tmp_path):
    """A stand-in build (the real one is checked below): index.html and one hashed asset."""
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text('<!doctype html><script type="module" src="/app/assets/main-AB12.js"></script>')
    (tmp_path / "assets" / "main-AB12.js").write_text("console.log('pixport')")
    return tmp_path


@pytest.fixture
def payments_as():
    """Replace the payment settings for one test, and put back whatever was there."""
    before = payment_settings.current()

    def use(**values):
        payment_settings.use(payment_settings.PaymentSettings(**values))

    yield use
    payment_settings.use(before)


def client_for(settings, web: webapp.WebAppSettings) -> httpx.AsyncClient:
    app = Starlette(routes=webapp.routes(settings, web))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://pixport.test")


def directives(csp: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in csp.split("; ")}


async def test_every_app_path_is_the_page_with_a_strict_csp_and_assets_are_cached_for_good(settings, built, payments_as):
    payments_as()  # no payment provider configured
    web = webapp.WebAppSettings(webapp_dir=built, app_frame_ancestors=["http://127.0.0.1:8100"])
    async with client_for(settings, web) as http:
        for path in ("/app", "/app/", "/app/orders/42", "/app/anything/else"):
            page = await http.get(path)
            assert page.status_code == 200 and "/app/assets/main-AB12.js" in page.text, path
            assert page.headers["content-type"].startswith("text/html")
            assert page.headers["cache-control"] == "no-cache"
            assert page.headers["x-content-type-options"] == "nosniff"
        csp = directives(page.headers["content-security-policy"])
        assert csp["default-src"] == ["'self'"] and csp["script-src"] == ["'self'"] and csp["style-src"] == ["'self'"]
        assert csp["connect-src"] == ["'self'", "ws://pixport.test", "wss://pixport.test"]
        assert csp["frame-src"] == ["'none'"] and csp["object-src"] == ["'none'"]
        assert csp["frame-ancestors"] == ["'self'", "http://127.0.0.1:8100"]
        assert "http://127.0.0.1:*" in csp["img-src"]  # settings.image_hosts: the sandbox's pictures
        assert "'unsafe-inline'" not in page.headers["content-security-policy"]

        asset = await http.get("/app/assets/main-AB12.js")
        assert asset.status_code == 200 and asset.text == "console.log('pixport')"
        assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert (await http.get("/app/assets/main-XXXX.js")).status_code == 404
        assert (await http.get("/app/assets/%2e%2e/index.html")).status_code == 404  # no way out of assets/

        config = await http.get("/app/config.json")
        assert config.json() == {"graphqlPath": "/graphql", "stripe": None, "paypal": False}
        assert config.headers["cache-control"] == "no-store"
        refused = await http.post("/app/test-card", json={})
        assert refused.status_code == 404  # no Stripe test server: no test cards


async def test_stripe_is_allowed_only_when_a_publishable_key_is_configured(settings, built, payments_as):
    payments_as(stripe_api_key="sk_live_x", stripe_api_base="https://api.stripe.com",
                paypal_client_id="id", paypal_client_secret="secret")
    async with client_for(settings, webapp.WebAppSettings(webapp_dir=built)) as http:
        config = (await http.get("/app/config.json")).json()
        assert config["stripe"] is None and config["paypal"] is True  # real Stripe, no key for Stripe.js: no card form
        assert "stripe" not in (await http.get("/app")).headers["content-security-policy"]
        assert (await http.post("/app/test-card", json={})).status_code == 404  # never against real Stripe

    web = webapp.WebAppSettings(webapp_dir=built, stripe_publishable_key="pk_live_abc")
    async with client_for(settings, web) as http:
        config = (await http.get("/app/config.json")).json()
        assert config["stripe"] == {"mode": "elements", "publishableKey": "pk_live_abc", "jsUrl": "https://js.stripe.com/v3/"}
        assert "sk_live_x" not in str(config)
        csp = directives((await http.get("/app")).headers["content-security-policy"])
        assert csp["script-src"] == ["'self'", "https://js.stripe.com"]
        assert "https://api.stripe.com" in csp["connect-src"]
        assert csp["frame-src"] == ["https://js.stripe.com", "https://hooks.stripe.com"]


async def test_an_unbuilt_app_says_how_to_build_it(settings, tmp_path):
    async with client_for(settings, webapp.WebAppSettings(webapp_dir=tmp_path / "none")) as http:
        page = await http.get("/app")
    assert page.status_code == 503 and "make install" in page.text


def test_the_built_app_requests_nothing_from_third_parties():
    if not (DIST / "index.html").exists():
        if os.environ.get("CI"):
            pytest.fail("webapp/dist is missing: `make install` builds it")
        pytest.skip("webapp/dist not built here (make install builds it)")
    index = (DIST / "index.html").read_text()
    assert re.findall(r'(?:src|href)="([^"]+)"', index) == [
        "data:,", *[f"/app/assets/{p.name}" for p in sorted((DIST / "assets").glob("*.css"))],
        *[f"/app/assets/{p.name}" for p in sorted((DIST / "assets").glob("*.js"))]]
    namespaces = {"http://www.w3.org/1998/Math/MathML", "http://www.w3.org/1999/xhtml", "http://www.w3.org/2000/svg",
                  "http://www.w3.org/1999/xlink", "http://www.w3.org/XML/1998/namespace"}
    for asset in (DIST / "assets").iterdir():
        urls = set(re.findall(r"(?:https?:)?//[A-Za-z0-9.-]+\.[A-Za-z]{2,}[^\s\"'`)]*", asset.read_text()))
        assert urls <= namespaces, (asset.name, urls - namespaces)


async def test_config_of_the_running_server_offers_test_cards_against_localstripe(gql, payment_config):
    config = (await gql.http.get("/app/config.json")).json()
    assert config == {"graphqlPath": "/graphql", "stripe": {"mode": "test-card"}, "paypal": True}


@pytest.mark.filterwarnings("ignore:Use 'content=<...>' to upload raw bytes")  # stripe 16 + httpx 0.28
async def test_the_test_card_form_pays_the_merchants_own_order_and_nothing_else(gql, ann):
    order = ann["order"]
    secret = (await gql(CARD_START, {"o": order["id"], "save": True}))["paymentCardStart"]["clientSecret"]
    card = {"clientSecret": secret, "number": "4242 4242 4242 4242", "expMonth": "12", "expYear": "2034", "cvc": "123"}

    async def post(body, token=ann["token"]):
        headers = {"authorization": f"Bearer {token}"} if token else {}
        return await gql.http.post("/app/test-card", json=body, headers=headers)

    assert (await post(card, token=None)).status_code == 401
    bob = await gql.sign_up("bob@example.com")
    assert (await post(card, token=bob["token"])).status_code == 404  # another account's payment
    assert (await post({**card, "clientSecret": secret.split("_secret")[0] + "_secret_forged"})).status_code == 404
    assert (await post({**card, "number": "4242-oops"})).status_code == 400
    assert (await post({"clientSecret": secret})).status_code == 400
    declined = await post({**card, "number": "4000000000000341"})
    assert declined.status_code == 402 and "declined" in declined.json()["error"].lower()
    assert (await Order.get(id=order["pk"])).status == OrderStatus.AWAITING_PAYMENT
    retried = await post(card)  # the declined PaymentIntent cannot be confirmed again: the page asks anew
    assert retried.status_code == 409

    # declined (Stripe's webhook tells Pixport): paying again is a new attempt
    async def failed():
        return await Payment.filter(order_id=order["pk"], status=PaymentStatus.FAILED).exists()

    await wait_until(failed, timeout=10)
    secret = (await gql(CARD_START, {"o": order["id"], "save": True}))["paymentCardStart"]["clientSecret"]
    paid = await post({**card, "clientSecret": secret})
    assert paid.status_code == 200, paid.text
    assert paid.json() == {"status": "succeeded"}

    async def in_production():
        return (await Order.get(id=order["pk"])).status == OrderStatus.IN_PRODUCTION

    await wait_until(in_production, timeout=10)
    assert await Payment.filter(order_id=order["pk"], status=PaymentStatus.SUCCEEDED).count() == 1
    again = await post({**card, "clientSecret": secret})
    assert again.status_code == 409 and "succeeded" in again.json()["error"]  # never confirmed twice
    assert await Payment.filter(order_id=order["pk"], status=PaymentStatus.SUCCEEDED).count() == 1


def test_the_app_sends_only_named_operations_of_the_contract():
    from graphql import OperationDefinitionNode, parse

    contract = Path(webapp.__file__).resolve().parent.parent / "frontend-contract" / "operations"
    named = {d.name.value for f in contract.glob("*.graphql") for d in parse(f.read_text()).definitions
             if isinstance(d, OperationDefinitionNode)}
    sources = [p for p in (DIST.parent / "src").rglob("*.js*") if "generated" not in p.parts]
    used = {m for p in sources for m in re.findall(r'\b(?:gql|mutate|subscribe)\("(\w+)"', p.read_text())}
    assert len(used) > 30 and used <= named, used - named
    for p in sources:  # no GraphQL document written in the app itself
        assert not re.search(r"\b(query|mutation|subscription)\s*[({]", p.read_text()), p
