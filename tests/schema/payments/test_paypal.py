"""PayPal (Orders v2) against the project's PayPal sandbox; every exchange of Pixport's
client is checked against PayPal's OpenAPI files (the ``paypal`` fixture)."""

from __future__ import annotations

import json

import pytest

from core.orders.models import Order
from core.orders.states import OrderStatus
from core.payments.models import Payment, PaymentKind, PaymentStatus, ProviderEvent, Provider
from tests.support.servers import wait_until

pytestmark = [pytest.mark.filterwarnings("ignore:Unsupported scheme type"),  # openapi-core and PayPal's OAuth2
              pytest.mark.filterwarnings("ignore:Use 'content=<...>' to upload raw bytes")]  # stripe on httpx

ERR = "errors { code field message }"
PAYMENT = "id provider kind status amount { amount currency } failureMessage"
START = f"""mutation($o: ID!) {{ paymentPaypalStart(orderId: $o) {{ payment {{ {PAYMENT} }} approveUrl {ERR} }} }}"""
CAPTURE = f"""mutation($o: ID!) {{ paymentPaypalCapture(orderId: $o) {{
  payment {{ {PAYMENT} }} order {{ status paidAt }} {ERR} }} }}"""
CANCEL = f"mutation($id: ID!) {{ orderCancel(id: $id) {{ order {{ status }} {ERR} }} }}"
ORDER = f"query($id: ID!) {{ order(id: $id) {{ status payments {{ {PAYMENT} }} }} }}"


async def status_of(pk: int) -> OrderStatus:
    return (await Order.get(id=pk)).status


async def test_paypal_start_approve_capture_webhook_and_refund(gql, paypal, ann_pp, mailbox):
    order = ann_pp["order"]
    started = (await gql(START, {"o": order["id"]}))["paymentPaypalStart"]
    assert started["errors"] == [] and started["payment"]["provider"] == "PAYPAL"
    assert started["payment"]["amount"] == {"amount": order["total"], "currency": order["currency"]}
    assert "/checkoutnow?token=" in started["approveUrl"]
    again = (await gql(START, {"o": order["id"]}))["paymentPaypalStart"]  # a double click: the same PayPal order
    assert again["approveUrl"] == started["approveUrl"] and again["payment"]["id"] == started["payment"]["id"]

    # capturing before the buyer approved: a typed error, nothing changes
    early = (await gql(CAPTURE, {"o": order["id"]}))["paymentPaypalCapture"]
    assert early["errors"][0]["code"] == "INVALID_TRANSITION" and "approved" in early["errors"][0]["message"]
    assert await status_of(order["pk"]) == OrderStatus.AWAITING_PAYMENT
    assert (await Payment.get(order_id=order["pk"])).status == PaymentStatus.PENDING

    await paypal.approve(started["approveUrl"])
    captured = (await gql(CAPTURE, {"o": order["id"]}))["paymentPaypalCapture"]
    assert captured["errors"] == [], captured["errors"]
    assert captured["payment"]["status"] == "SUCCEEDED" and captured["order"]["status"] == "IN_PRODUCTION"
    await wait_until(lambda: any("Receipt" in m["Subject"] for m in mailbox.to("ann@example.com")))

    # the sandbox's PAYMENT.CAPTURE.COMPLETED, verified by verify-webhook-signature, applied once
    await wait_until(lambda: ProviderEvent.filter(provider=Provider.PAYPAL,
                                                  event_type="PAYMENT.CAPTURE.COMPLETED").exists())
    delivery = (await paypal.deliveries("PAYMENT.CAPTURE.COMPLETED"))[0]
    assert delivery["status"] == 200
    replay = await gql.http.post("/webhooks/paypal", content=delivery["body"], headers=delivery["headers"])
    assert replay.status_code == 200 and replay.json() == {"status": "replayed"}
    forged = json.loads(delivery["body"])
    forged["id"] = "WH-FORGED"
    bad = await gql.http.post("/webhooks/paypal", content=json.dumps(forged), headers=delivery["headers"])
    assert bad.status_code == 400
    bare = await gql.http.post("/webhooks/paypal", content=delivery["body"], headers={"Content-Type": "application/json"})
    assert bare.status_code == 400
    assert await ProviderEvent.filter(provider=Provider.PAYPAL, event_type="PAYMENT.CAPTURE.COMPLETED").count() == 1

    # a paid order cancelled: refunded in full through PayPal
    cancelled = (await gql(CANCEL, {"id": order["id"]}))["orderCancel"]
    assert cancelled["errors"] == [] and cancelled["order"]["status"] == "REFUNDED"
    payments = (await gql(ORDER, {"id": order["id"]}))["order"]["payments"]
    assert [(p["kind"], p["status"], p["amount"]["amount"]) for p in payments] == [
        ("CHARGE", "REFUNDED", order["total"]), ("REFUND", "SUCCEEDED", order["total"])]
    await wait_until(lambda: ProviderEvent.filter(event_type="PAYMENT.CAPTURE.REFUNDED").exists())
    assert (await Payment.get(kind=PaymentKind.CHARGE)).status == PaymentStatus.REFUNDED

    # every write carried PayPal-Request-Id; one token served every call; the exchanges followed the specs
    writes = [(m, p, h) for m, p, h in paypal.sandbox.state.requests if m == "POST"]
    assert writes and all(h.get("paypal-request-id") for m, p, h in writes
                          if not p.endswith("verify-webhook-signature"))
    assert paypal.provider.tokens_fetched == 1
    assert paypal.transport.validated >= 6


async def test_declined_paypal_payment_and_unknown_webhooks(gql, paypal, ann_pp):
    order = ann_pp["order"]
    started = (await gql(START, {"o": order["id"]}))["paymentPaypalStart"]
    await paypal.approve(started["approveUrl"], decline=True)
    declined = (await gql(CAPTURE, {"o": order["id"]}))["paymentPaypalCapture"]
    assert declined["errors"][0]["code"] == "PAYMENT_DECLINED"
    assert await status_of(order["pk"]) == OrderStatus.AWAITING_PAYMENT
    assert (await Payment.get(order_id=order["pk"])).status == PaymentStatus.FAILED
    await wait_until(lambda: paypal.deliveries("PAYMENT.CAPTURE.DENIED"))
    await wait_until(lambda: ProviderEvent.filter(event_type="PAYMENT.CAPTURE.DENIED").exists())
    assert await status_of(order["pk"]) == OrderStatus.AWAITING_PAYMENT

    # capture with nothing started, and a new attempt after the decline
    nothing = (await gql(CAPTURE, {"o": order["id"]}))["paymentPaypalCapture"]
    assert nothing["errors"][0]["code"] == "INVALID_TRANSITION"
    retry = (await gql(START, {"o": order["id"]}))["paymentPaypalStart"]
    assert retry["errors"] == [] and retry["approveUrl"] != started["approveUrl"]
    await paypal.approve(retry["approveUrl"])
    assert (await gql(CAPTURE, {"o": order["id"]}))["paymentPaypalCapture"]["order"]["status"] == "IN_PRODUCTION"
    paid_again = (await gql(START, {"o": order["id"]}))["paymentPaypalStart"]
    assert paid_again["errors"][0]["code"] == "INVALID_TRANSITION"
    assert await Payment.filter(order_id=order["pk"]).count() == 2


async def test_token_is_renewed_when_paypal_revokes_it(gql, paypal, ann_pp):
    order = ann_pp["order"]
    await gql(START, {"o": order["id"]})
    assert paypal.provider.tokens_fetched == 1
    r = await paypal.http.post("/_sandbox/config", json={"expire_tokens": True})
    assert r.status_code == 200
    payment = await Payment.get(order_id=order["pk"])
    resumed = await paypal.provider.resume(payment.provider_ref)
    assert resumed.approve_url and paypal.provider.tokens_fetched == 2


async def test_leaving_paypal_for_a_card_replaces_the_paypal_attempt(gql, paypal, browser, ann):
    order = ann["order"]
    started = (await gql(START, {"o": order["id"]}))["paymentPaypalStart"]
    card = (await gql("""mutation($o: ID!) { paymentCardStart(orderId: $o) { clientSecret errors { code } } }""",
                      {"o": order["id"]}))["paymentCardStart"]
    assert card["errors"] == [] and card["clientSecret"]
    await paypal.approve(started["approveUrl"])  # the buyer's old PayPal tab approves anyway
    late = (await gql(CAPTURE, {"o": order["id"]}))["paymentPaypalCapture"]
    assert late["errors"][0]["code"] == "INVALID_TRANSITION"  # never captured: no PayPal charge
    await browser.pay(card["clientSecret"])
    # The webhook's event row is its dedupe claim, written before the payment is applied: wait for the order.
    await wait_until(lambda: Order.filter(id=order["pk"], status=OrderStatus.IN_PRODUCTION).exists())
    assert await ProviderEvent.filter(event_type="payment_intent.succeeded").exists()
    assert sorted((await Payment.filter(order_id=order["pk"]).values_list("provider", "status"))) == [
        (Provider.PAYPAL, PaymentStatus.FAILED), (Provider.STRIPE, PaymentStatus.SUCCEEDED)]
    assert not await paypal.deliveries("PAYMENT.CAPTURE.COMPLETED")
