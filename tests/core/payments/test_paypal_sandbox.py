"""The PayPal sandbox on its own: its answers follow PayPal's OpenAPI files, replays of a
PayPal-Request-Id return the first answer, and bad requests get PayPal's errors."""

from __future__ import annotations

import httpx
import pytest

from core.payments.paypal_provider import from_value, to_value
from core.payments.paypal_sandbox.app import CLIENT_ID, CLIENT_SECRET, create_app
from core.payments.ports import Money
from tests.support.paypal import validate_exchange

pytestmark = [pytest.mark.embedded, pytest.mark.filterwarnings("ignore:Unsupported scheme type")]


@pytest.fixture
async def api():
    async def check(response: httpx.Response) -> None:
        await response.aread()
        validate_exchange(response.request, response)

    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox.test",
                                 event_hooks={"response": [check]}) as client:
        token = (await client.post("/v1/oauth2/token", data={"grant_type": "client_credentials"},
                                   auth=(CLIENT_ID, CLIENT_SECRET))).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        yield client


BODY = {"intent": "CAPTURE", "purchase_units": [{"reference_id": "7", "custom_id": "3",
                                                   "amount": {"currency_code": "EUR", "value": "19.99"}}]}


async def test_orders_create_replay_capture_refund(api):
    first = await api.post("/v2/checkout/orders", json=BODY, headers={"PayPal-Request-Id": "k1"})
    assert first.status_code == 201 and first.json()["status"] == "CREATED"
    replay = await api.post("/v2/checkout/orders", json=BODY, headers={"PayPal-Request-Id": "k1"})
    assert replay.status_code == 200 and replay.json()["id"] == first.json()["id"]
    order_id = first.json()["id"]
    early = await api.post(f"/v2/checkout/orders/{order_id}/capture", json={}, headers={"PayPal-Request-Id": "c1"})
    assert early.status_code == 422 and early.json()["details"][0]["issue"] == "ORDER_NOT_APPROVED"
    assert (await api.post(f"/_sandbox/orders/{order_id}/approve")).status_code == 200
    captured = await api.post(f"/v2/checkout/orders/{order_id}/capture", json={}, headers={"PayPal-Request-Id": "c1"})
    assert captured.status_code == 201 and captured.json()["status"] == "COMPLETED"
    capture = captured.json()["purchase_units"][0]["payments"]["captures"][0]
    again = await api.post(f"/v2/checkout/orders/{order_id}/capture", json={}, headers={"PayPal-Request-Id": "c2"})
    assert again.status_code == 422 and again.json()["details"][0]["issue"] == "ORDER_ALREADY_CAPTURED"
    assert (await api.get(f"/v2/payments/captures/{capture['id']}")).json()["status"] == "COMPLETED"
    refund = await api.post(f"/v2/payments/captures/{capture['id']}/refund", json={}, headers={"PayPal-Request-Id": "r1"})
    assert refund.status_code == 201 and refund.json()["amount"] == {"currency_code": "EUR", "value": "19.99"}
    assert (await api.get(f"/v2/payments/refunds/{refund.json()['id']}")).status_code == 200
    twice = await api.post(f"/v2/payments/captures/{capture['id']}/refund", json={}, headers={"PayPal-Request-Id": "r2"})
    assert twice.status_code == 422 and twice.json()["details"][0]["issue"] == "CAPTURE_FULLY_REFUNDED"


async def test_bad_requests_get_paypals_errors(api):
    assert (await api.get("/v2/checkout/orders/NOPE")).status_code == 404
    bad = await api.post("/v2/checkout/orders", json={**BODY, "intent": "SALE"}, headers={"PayPal-Request-Id": "b"})
    assert bad.status_code == 400 and bad.json()["name"] == "INVALID_REQUEST"
    anonymous = await api.get("/v2/checkout/orders/NOPE", headers={"Authorization": "Bearer nope"})
    assert anonymous.status_code == 401
    forged = await api.post("/v1/notifications/verify-webhook-signature", json={
        "auth_algo": "SHA256withRSA", "cert_url": "https://api.paypal.com/cert", "transmission_id": "t",
        "transmission_sig": "s", "transmission_time": "2026-01-01T00:00:00Z", "webhook_id": "W",
        "webhook_event": {"id": "WH-1", "event_type": "PAYMENT.CAPTURE.COMPLETED"}})
    assert forged.json() == {"verification_status": "FAILURE"}


def test_amounts_in_minor_units():
    assert to_value(Money(1999, "EUR")) == {"currency_code": "EUR", "value": "19.99"}
    assert to_value(Money(500, "JPY")) == {"currency_code": "JPY", "value": "500"}
    assert from_value({"currency_code": "USD", "value": "4.50"}) == Money(450, "USD")


async def test_the_buyers_page_behind_the_approve_link(api):
    created = (await api.post("/v2/checkout/orders", json=BODY, headers={"PayPal-Request-Id": "p1"})).json()
    approve = next(link["href"] for link in created["links"] if link["rel"] == "approve")
    page = await api.get(approve)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "19.99 EUR" in page.text and ">Pay now</button>" in page.text
    done = await api.post("/checkoutnow/approve", data={"token": created["id"]})
    assert done.status_code == 200 and "You approved the payment" in done.text
    assert (await api.get(f"/v2/checkout/orders/{created['id']}")).json()["status"] == "APPROVED"
    assert "This order is APPROVED" in (await api.get(approve)).text  # no second approval from the page
    assert (await api.get("/checkoutnow?token=NOPE")).status_code == 404
