"""localstripe (PyPI) as the Stripe test server, on loopback only: its CLI binds every
interface, so the demo's launcher runs its aiohttp app on 127.0.0.1 in a subprocess.
``StripeBrowser`` does what Stripe.js does in the merchant's browser."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx
import stripe

from api.demo import LOCALSTRIPE_LAUNCHER as LAUNCHER

API_KEY = "sk_test_pixport"
WEBHOOK_SECRET = "whsec_pixport_test"


def start_localstripe(port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", LAUNCHER, str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/v1/balance", auth=(API_KEY, ""), timeout=1)
            return proc
        except httpx.HTTPError:
            if proc.poll() is not None:
                raise RuntimeError("localstripe did not start")
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("localstripe did not answer")


class StripeBrowser:
    """The merchant's browser with Stripe.js, and a look at localstripe's state."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.client = stripe.StripeClient(API_KEY, base_addresses={"api": base_url}, http_client=stripe.HTTPXClient())
        self.http = httpx.AsyncClient(base_url=base_url, auth=(API_KEY, ""), timeout=10)

    async def reset(self, webhook_url: str) -> None:
        (await self.http.delete("/_config/data")).raise_for_status()
        (await self.http.post("/_config/webhooks/pixport",
                              data={"url": webhook_url, "secret": WEBHOOK_SECRET})).raise_for_status()

    async def card(self, number: str = "4242424242424242") -> str:
        pm = await self.client.v1.payment_methods.create_async(
            {"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"}})
        return pm.id

    async def pay(self, client_secret: str, number: str = "4242424242424242"):
        """Stripe.js confirming a PaymentIntent with a card typed in (localstripe cannot
        confirm with ``payment_method``: it is set by an update first)."""
        pi_id = client_secret.split("_secret")[0]
        pm = await self.card(number)
        await self.client.v1.payment_intents.update_async(pi_id, {"payment_method": pm})
        try:
            return await self.client.v1.payment_intents.confirm_async(pi_id)
        except stripe.CardError as exc:
            return exc

    async def save_card(self, client_secret: str, customer: str, number: str = "4242424242424242") -> str:
        """Stripe.js confirming a SetupIntent. localstripe does not attach the card to the
        customer as Stripe does, so the test attaches it."""
        si_id = client_secret.split("_secret")[0]
        pm = await self.card(number)
        await self.client.v1.setup_intents.confirm_async(si_id, {"payment_method": pm})
        await self.client.v1.payment_methods.attach_async(pm, {"customer": customer})
        return pm

    async def payment_intents(self) -> list:
        page = await self.client.v1.payment_intents.list_async({"limit": 100})
        return [pi.to_dict() for pi in page.data]

    async def close(self) -> None:
        await self.http.aclose()


def signed(payload: str, secret: str = WEBHOOK_SECRET) -> dict[str, str]:
    """Headers of a webhook delivery signed the way Stripe signs them."""
    return {"Stripe-Signature": stripe.WebhookSignature.generate_signature_header(payload, secret),
            "Content-Type": "application/json"}
