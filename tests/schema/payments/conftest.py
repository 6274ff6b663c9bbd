from __future__ import annotations

import httpx
import pytest
import pytest_asyncio

from core.accounts.models import User
from core.payments import providers
from core.payments import settings as payment_settings
from core.payments.models import Provider
from tests.support.factories import make_order
from tests.support.servers import free_port
from tests.support.stripe import API_KEY, WEBHOOK_SECRET, StripeBrowser, start_localstripe


@pytest.fixture(scope="session")
def localstripe_url():
    port = free_port()
    proc = start_localstripe(port)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(10)


@pytest.fixture(scope="session")
def paypal_sandbox(settings):
    """The PayPal sandbox on loopback, with a webhook subscription for this run's Pixport."""
    from core.payments.paypal_sandbox.app import CLIENT_ID, CLIENT_SECRET, create_app
    from tests.support.sandbox import serve_in_thread

    app = create_app()
    url, server = serve_in_thread(app)
    token = httpx.post(f"{url}/v1/oauth2/token", data={"grant_type": "client_credentials"},
                       auth=(CLIENT_ID, CLIENT_SECRET)).json()["access_token"]
    hook = httpx.post(f"{url}/v1/notifications/webhooks", headers={"Authorization": f"Bearer {token}"},
                      json={"url": f"{settings.public_url}/webhooks/paypal",
                            "event_types": [{"name": "*"}]}).json()
    yield {"url": url, "app": app, "webhook_id": hook["id"], "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    server.should_exit = True


@pytest.fixture(scope="session")
def payment_config(localstripe_url, paypal_sandbox):
    payment_settings.use(payment_settings.PaymentSettings(
        stripe_api_key=API_KEY, stripe_api_base=localstripe_url, stripe_webhook_secret=WEBHOOK_SECRET,
        stripe_setup_future_usage=False, stripe_max_network_retries=0,
        paypal_client_id=paypal_sandbox["client_id"], paypal_client_secret=paypal_sandbox["client_secret"],
        paypal_api_base=paypal_sandbox["url"], paypal_webhook_id=paypal_sandbox["webhook_id"]))
    yield payment_settings.current()
    payment_settings.use(None)


@pytest_asyncio.fixture
async def browser(localstripe_url, payment_config, gql):
    """localstripe emptied, delivering webhooks to this test's Pixport."""
    b = StripeBrowser(localstripe_url)
    await b.reset(f"{gql.base_url}/webhooks/stripe")
    yield b
    await b.close()


@pytest_asyncio.fixture
async def paypal(paypal_sandbox, payment_config, gql):
    """The sandbox emptied; Pixport's PayPal client checks every exchange against PayPal's specs."""
    from core.payments.paypal_provider import PayPalProvider
    from tests.support.paypal import PayPalControl, ValidatingTransport

    paypal_sandbox["app"].state.reset()
    transport = ValidatingTransport()
    provider = PayPalProvider(payment_config, transport=transport)
    providers.install(Provider.PAYPAL, provider)
    control = PayPalControl(paypal_sandbox["url"], paypal_sandbox["app"])
    control.transport = transport
    control.provider = provider
    yield control
    await control.close()
    providers.reset()
    assert transport.violations == [], "\n\n".join(transport.violations)


async def _merchant(gql):
    signed_up = await gql.sign_up("ann@example.com")
    gql.token = signed_up["token"]
    user = await User.get(email="ann@example.com")
    order = await make_order(gql, gql.token, user.account_id)
    return {"token": signed_up["token"], "user": user, "order": order}


@pytest_asyncio.fixture
async def ann(gql, browser):
    """A merchant with an order awaiting payment."""
    return await _merchant(gql)


@pytest_asyncio.fixture
async def ann_pp(gql, paypal):
    return await _merchant(gql)
