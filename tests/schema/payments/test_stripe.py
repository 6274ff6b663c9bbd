"""Card payments through Stripe (localstripe), saved cards, webhooks, refunds, and bad input."""

from __future__ import annotations

import asyncio
import json

import pytest
from strawberry import relay

from core.orders.models import Order
from core.orders.states import OrderStatus
from core.payments.models import Payment, PaymentCustomer, PaymentKind, PaymentStatus, ProviderEvent, SavedCard
from tests.support.factories import make_order
from tests.support.servers import wait_until
from tests.support.stripe import signed

# stripe 16's HTTPXClient posts form bodies as data=bytes, which httpx 0.28 deprecates
pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>' to upload raw bytes")

ERR = "errors { code field message }"
PAYMENT = "id provider kind status amount { amount currency } failureMessage"
CARD_START = f"""mutation($o: ID!, $save: Boolean) {{ paymentCardStart(orderId: $o, saveCard: $save) {{
  payment {{ {PAYMENT} }} clientSecret {ERR} }} }}"""
SAVED_CHARGE = f"""mutation($o: ID!, $c: ID!) {{ paymentSavedCardCharge(orderId: $o, savedCardId: $c) {{
  payment {{ {PAYMENT} }} order {{ status }} requiresAction clientSecret {ERR} }} }}"""
SETUP = f"mutation {{ savedCardSetupStart {{ clientSecret {ERR} }} }}"
CARDS = "{ savedCards { id brand last4 expMonth expYear } }"
DELETE = f"mutation($id: ID!) {{ savedCardDelete(id: $id) {{ savedCard {{ id last4 }} {ERR} }} }}"
ORDER = f"query($id: ID!) {{ order(id: $id) {{ status paidAt dueAt payments {{ {PAYMENT} }} }} }}"
CANCEL = f"mutation($id: ID!) {{ orderCancel(id: $id) {{ order {{ status }} {ERR} }} }}"


async def order_status(pk: int) -> OrderStatus:
    return (await Order.get(id=pk)).status


async def save_a_card(gql, browser, ann, number: str = "4242424242424242") -> str:
    secret = (await gql(SETUP))["savedCardSetupStart"]
    assert secret["errors"] == [] and secret["clientSecret"].startswith("seti_")
    customer = await PaymentCustomer.get(account_id=ann["user"].account_id)
    await browser.save_card(secret["clientSecret"], customer.provider_ref, number)
    cards = (await gql(CARDS))["savedCards"]
    return cards[-1]["id"]


async def test_card_payment_confirmed_by_the_webhook_moves_the_order_and_sends_a_receipt(gql, browser, ann, mailbox):
    order = ann["order"]
    started = (await gql(CARD_START, {"o": order["id"]}))["paymentCardStart"]
    assert started["errors"] == []
    assert started["payment"]["status"] == "PENDING" and started["payment"]["provider"] == "STRIPE"
    assert started["payment"]["amount"] == {"amount": order["total"], "currency": order["currency"]}
    secret = started["clientSecret"]
    assert secret.startswith("pi_") and "_secret" in secret
    row = await Payment.get(order_id=order["pk"])
    assert secret not in json.dumps(list(await Payment.all().values()), default=str)  # never stored
    assert row.idempotency_key == f"order-{order['pk']}-attempt-1"
    # a double click gives the same PaymentIntent, not a second one
    again = (await gql(CARD_START, {"o": order["id"]}))["paymentCardStart"]
    assert again["errors"] == [] and again["clientSecret"] == secret and again["payment"]["id"] == started["payment"]["id"]
    assert await order_status(order["pk"]) == OrderStatus.AWAITING_PAYMENT  # not before Stripe says so

    pi = await browser.pay(secret)
    assert pi.status == "succeeded"
    await wait_until(lambda: _is(order["pk"], OrderStatus.IN_PRODUCTION), timeout=10)
    detail = (await gql(ORDER, {"id": order["id"]}))["order"]
    assert detail["status"] == "IN_PRODUCTION" and detail["paidAt"] and detail["dueAt"]
    assert [(p["kind"], p["status"]) for p in detail["payments"]] == [("CHARGE", "SUCCEEDED")]
    assert await ProviderEvent.filter(event_type="payment_intent.succeeded").count() == 1
    await wait_until(lambda: mailbox.to("ann@example.com") and any(
        "Receipt" in m["Subject"] for m in mailbox.to("ann@example.com")))
    # paying it again: a typed error, no new payment
    paid = (await gql(CARD_START, {"o": order["id"]}))["paymentCardStart"]
    assert paid["errors"][0]["code"] == "INVALID_TRANSITION" and paid["payment"] is None
    assert await Payment.all().count() == 1


async def _is(pk: int, status: OrderStatus) -> bool:
    return await order_status(pk) == status


async def test_save_card_while_paying_then_pay_the_next_order_in_one_click_and_cancel_refunds(gql, browser, ann):
    started = (await gql(CARD_START, {"o": ann["order"]["id"], "save": True}))["paymentCardStart"]
    await browser.pay(started["clientSecret"], "4000056655665556")
    await wait_until(lambda: _is(ann["order"]["pk"], OrderStatus.IN_PRODUCTION))
    await wait_until(lambda: SavedCard.all().exists())
    cards = (await gql(CARDS))["savedCards"]
    assert [(c["brand"], c["last4"], c["expMonth"], c["expYear"]) for c in cards] == [("visa", "5556", 12, 2034)]

    second = await make_order(gql, ann["token"], ann["user"].account_id, external_id="second")
    charged = (await gql(SAVED_CHARGE, {"o": second["id"], "c": cards[0]["id"]}))["paymentSavedCardCharge"]
    assert charged["errors"] == [] and charged["requiresAction"] is False
    assert charged["payment"]["status"] == "SUCCEEDED" and charged["order"]["status"] == "IN_PRODUCTION"

    # cancelling a paid order refunds it in full through Stripe
    cancelled = (await gql(CANCEL, {"id": second["id"]}))["orderCancel"]
    assert cancelled["errors"] == [] and cancelled["order"]["status"] == "REFUNDED"
    payments = (await gql(ORDER, {"id": second["id"]}))["order"]["payments"]
    assert [(p["kind"], p["status"], p["amount"]["amount"]) for p in payments] == [
        ("CHARGE", "REFUNDED", second["total"]), ("REFUND", "SUCCEEDED", second["total"])]
    refund = await Payment.get(kind=PaymentKind.REFUND)
    assert refund.provider_ref.startswith("re_")
    again = (await gql(CANCEL, {"id": second["id"]}))["orderCancel"]
    assert again["errors"][0]["code"] == "INVALID_TRANSITION"
    assert await Payment.filter(kind=PaymentKind.REFUND).count() == 1


async def test_saved_card_setup_list_delete_and_another_accounts_card(gql, browser, ann):
    card_id = await save_a_card(gql, browser, ann)
    assert (await gql(CARDS))["savedCards"][0]["last4"] == "4242"
    bob = await gql.sign_up("bob@example.com")
    bob_user = await __import__("core.accounts.models", fromlist=["User"]).User.get(email="bob@example.com")
    bob_order = await make_order(gql, bob["token"], bob_user.account_id, external_id="bobshop")
    assert (await gql(CARDS, token=bob["token"]))["savedCards"] == []
    stolen = (await gql(SAVED_CHARGE, {"o": bob_order["id"], "c": card_id}, token=bob["token"]))["paymentSavedCardCharge"]
    assert stolen["errors"][0]["code"] == "NOT_FOUND" and stolen["errors"][0]["field"] == "savedCardId"
    gone = (await gql(DELETE, {"id": card_id}, token=bob["token"]))["savedCardDelete"]
    assert gone["errors"][0]["code"] == "NOT_FOUND"
    assert await Payment.all().count() == 0 and await SavedCard.all().count() == 1

    deleted = (await gql(DELETE, {"id": card_id}))["savedCardDelete"]
    assert deleted["errors"] == [] and deleted["savedCard"]["last4"] == "4242"
    assert (await gql(CARDS))["savedCards"] == []


async def test_declined_saved_card_and_authentication_required(gql, browser, ann):
    declining = await save_a_card(gql, browser, ann, "4000000000000341")
    declined = (await gql(SAVED_CHARGE, {"o": ann["order"]["id"], "c": declining}))["paymentSavedCardCharge"]
    assert declined["errors"][0]["code"] == "PAYMENT_DECLINED"
    assert await order_status(ann["order"]["pk"]) == OrderStatus.AWAITING_PAYMENT
    failed = await Payment.get(order_id=ann["order"]["pk"])
    assert failed.status == PaymentStatus.FAILED

    # localstripe answers an off-session charge of a 3-D Secure card with requires_action
    # (real Stripe: a 402 authentication_required, mapped to the same result)
    secure = await save_a_card(gql, browser, ann, "4000002500003155")
    action = (await gql(SAVED_CHARGE, {"o": ann["order"]["id"], "c": secure}))["paymentSavedCardCharge"]
    assert action["errors"] == [] and action["requiresAction"] is True and action["clientSecret"]
    assert action["payment"]["status"] == "REQUIRES_ACTION" and action["order"]["status"] == "AWAITING_PAYMENT"
    assert (await Payment.filter(order_id=ann["order"]["pk"]).order_by("id").values_list("idempotency_key", flat=True)
            ) == [f"order-{ann['order']['pk']}-attempt-1", f"order-{ann['order']['pk']}-attempt-2"]

    # the merchant gives up on 3-D Secure and pays by card: that attempt is replaced and cancelled
    pending = await Payment.get(order_id=ann["order"]["pk"], status=PaymentStatus.REQUIRES_ACTION)
    card = (await gql(CARD_START, {"o": ann["order"]["id"]}))["paymentCardStart"]
    assert card["errors"] == [] and card["clientSecret"] != action["clientSecret"]
    replaced = await Payment.get(id=pending.id)
    assert replaced.status == PaymentStatus.FAILED and replaced.failure_message.startswith("Replaced")
    intents = {pi["id"]: pi["status"] for pi in await browser.payment_intents()}
    assert intents[pending.provider_ref] == "canceled"
    await browser.pay(card["clientSecret"])
    await wait_until(lambda: _is(ann["order"]["pk"], OrderStatus.IN_PRODUCTION))


async def test_draft_and_cancelled_orders_cannot_be_paid(gql, browser, ann):
    draft = await make_order(gql, ann["token"], ann["user"].account_id, approve=False, external_id="draft")
    body = (await gql(CARD_START, {"o": draft["id"]}))["paymentCardStart"]
    assert body["errors"][0]["code"] == "INVALID_TRANSITION" and body["clientSecret"] is None
    assert (await gql(CANCEL, {"id": ann["order"]["id"]}))["orderCancel"]["errors"] == []
    body = (await gql(CARD_START, {"o": ann["order"]["id"]}))["paymentCardStart"]
    assert body["errors"][0]["code"] == "INVALID_TRANSITION"
    bob = await gql.sign_up("bob@example.com")
    other = (await gql(CARD_START, {"o": draft["id"]}, token=bob["token"]))["paymentCardStart"]
    assert other["errors"][0]["code"] == "NOT_FOUND"
    assert await Payment.all().count() == 0


def _event(event_id: str, kind: str, pi: str, amount: int, currency: str, payment_id: int | None = None) -> str:
    return json.dumps({"id": event_id, "object": "event", "type": kind, "created": 1, "api_version": "2017-08-15",
                       "livemode": False, "data": {"object": {
                           "id": pi, "object": "payment_intent", "amount": amount, "currency": currency.lower(),
                           "status": "succeeded" if kind.endswith("succeeded") else "requires_payment_method",
                           "metadata": {"pixport_payment_id": str(payment_id)} if payment_id else {},
                           "last_payment_error": None if kind.endswith("succeeded") else {"message": "Declined"}}}})


async def test_signed_webhooks_bad_signature_replay_unknown_mismatch_and_order_of_arrival(gql, browser, ann):
    """localstripe emits each event once, never out of order: these deliveries are built
    and signed with Stripe's own scheme."""
    order = ann["order"]
    started = (await gql(CARD_START, {"o": order["id"]}))["paymentCardStart"]
    assert started["errors"] == []
    payment = await Payment.get(order_id=order["pk"])
    pi = payment.provider_ref
    url = "/webhooks/stripe"
    ok = _event("evt_ok", "payment_intent.succeeded", pi, order["total"], order["currency"], payment.id)

    bad = await gql.http.post(url, content=ok, headers=signed(ok, "whsec_wrong"))
    assert bad.status_code == 400
    unsigned = await gql.http.post(url, content=ok, headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 400
    unknown = _event("evt_unknown", "payment_intent.succeeded", "pi_nobody", 100, "USD", 999999)
    assert (await gql.http.post(url, content=unknown, headers=signed(unknown))).status_code == 400
    wrong = _event("evt_wrong", "payment_intent.succeeded", pi, order["total"] - 1, order["currency"], payment.id)
    assert (await gql.http.post(url, content=wrong, headers=signed(wrong))).status_code == 400
    other = json.dumps({"id": "evt_cus", "object": "event", "type": "customer.created", "data": {"object": {}}})
    assert (await gql.http.post(url, content=other, headers=signed(other))).json() == {"status": "ignored"}
    assert await order_status(order["pk"]) == OrderStatus.AWAITING_PAYMENT

    # success first, then a late failure: the failure changes nothing
    assert (await gql.http.post(url, content=ok, headers=signed(ok))).json() == {"status": "applied"}
    assert await order_status(order["pk"]) == OrderStatus.IN_PRODUCTION
    replay = await gql.http.post(url, content=ok, headers=signed(ok))
    assert replay.status_code == 200 and replay.json() == {"status": "replayed"}
    late = _event("evt_late", "payment_intent.payment_failed", pi, order["total"], order["currency"], payment.id)
    assert (await gql.http.post(url, content=late, headers=signed(late))).json() == {"status": "applied"}
    assert (await Payment.get(id=payment.id)).status == PaymentStatus.SUCCEEDED
    assert await order_status(order["pk"]) == OrderStatus.IN_PRODUCTION
    assert await ProviderEvent.all().count() == 2


async def test_failure_then_success_and_payment_after_cancel_is_refunded(gql, browser, ann):
    order = ann["order"]
    await gql(CARD_START, {"o": order["id"]})
    payment = await Payment.get(order_id=order["pk"])
    url = "/webhooks/stripe"
    failed = _event("evt_f", "payment_intent.payment_failed", payment.provider_ref, order["total"], order["currency"],
                    payment.id)
    assert (await gql.http.post(url, content=failed, headers=signed(failed))).status_code == 200
    assert (await Payment.get(id=payment.id)).status == PaymentStatus.FAILED
    # the buyer retried with another card on the same PaymentIntent: success wins
    ok = _event("evt_s", "payment_intent.succeeded", payment.provider_ref, order["total"], order["currency"], payment.id)
    assert (await gql.http.post(url, content=ok, headers=signed(ok))).status_code == 200
    assert await order_status(order["pk"]) == OrderStatus.IN_PRODUCTION

    # a payment confirmed after its order was cancelled is refunded, the order stays cancelled
    late_order = await make_order(gql, ann["token"], ann["user"].account_id, external_id="late")
    started = (await gql(CARD_START, {"o": late_order["id"]}))["paymentCardStart"]
    assert (await gql(CANCEL, {"id": late_order["id"]}))["orderCancel"]["errors"] == []
    pi = await browser.pay(started["clientSecret"])
    assert pi.status == "succeeded"
    late = await Payment.get(order_id=late_order["pk"])
    await wait_until(lambda: Payment.filter(refund_of_id=late.id, status=PaymentStatus.SUCCEEDED).exists())
    # the charge is marked REFUNDED by a second UPDATE right after its refund's
    await wait_until(lambda: Payment.filter(id=late.id, status=PaymentStatus.REFUNDED).exists())
    assert await order_status(late_order["pk"]) == OrderStatus.CANCELLED


@pytest.mark.postgres_only
async def test_twenty_simultaneous_saved_card_charges_make_exactly_one_charge(gql, browser, ann):
    card = await save_a_card(gql, browser, ann)
    order = ann["order"]
    results = await asyncio.gather(*(gql(SAVED_CHARGE, {"o": order["id"], "c": card}) for _ in range(20)))
    payloads = [r["paymentSavedCardCharge"] for r in results]
    ok = [p for p in payloads if not p["errors"]]
    assert len(ok) == 1 and ok[0]["payment"]["status"] == "SUCCEEDED" and ok[0]["order"]["status"] == "IN_PRODUCTION"
    assert all(p["errors"][0]["code"] == "INVALID_TRANSITION" for p in payloads if p["errors"])
    intents = [pi for pi in await browser.payment_intents() if pi["metadata"].get("pixport_order_id") == str(order["pk"])]
    assert [pi["status"] for pi in intents] == ["succeeded"] and intents[0]["amount"] == order["total"]
    assert await Payment.filter(order_id=order["pk"]).count() == 1
    assert await order_status(order["pk"]) == OrderStatus.IN_PRODUCTION


@pytest.mark.postgres_only
async def test_twenty_simultaneous_mixed_pay_requests_charge_once(gql, browser, ann):
    """Card starts and saved-card charges at once: a saved-card charge may replace an open
    card attempt (a merchant switching), never one whose provider call is under way, and
    in the end exactly one PaymentIntent of the order succeeds."""
    card = await save_a_card(gql, browser, ann)
    order = ann["order"]

    async def one(n: int):
        if n % 2:
            return (await gql(SAVED_CHARGE, {"o": order["id"], "c": card}))["paymentSavedCardCharge"]
        return (await gql(CARD_START, {"o": order["id"]}))["paymentCardStart"]

    results = await asyncio.gather(*(one(n) for n in range(20)))
    assert all(e["code"] == "INVALID_TRANSITION" for r in results for e in r["errors"]), results
    assert await Payment.filter(order_id=order["pk"], status=PaymentStatus.SUCCEEDED).count() <= 1
    if await order_status(order["pk"]) != OrderStatus.IN_PRODUCTION:  # a card attempt is open: the browser pays it
        open_card = await Payment.get(order_id=order["pk"], status=PaymentStatus.PENDING)
        secret = next(r["clientSecret"] for r in results
                      if not r["errors"] and r.get("clientSecret") and r["clientSecret"].startswith(open_card.provider_ref))
        await browser.pay(secret)
    await wait_until(lambda: _is(order["pk"], OrderStatus.IN_PRODUCTION))
    intents = [pi for pi in await browser.payment_intents() if pi["metadata"].get("pixport_order_id") == str(order["pk"])]
    assert sorted(pi["status"] for pi in intents).count("succeeded") == 1
    assert all(pi["status"] in ("succeeded", "canceled") for pi in intents), [(pi["id"], pi["status"]) for pi in intents]
    assert await Payment.filter(order_id=order["pk"], status=PaymentStatus.SUCCEEDED).count() == 1


async def test_a_payment_for_an_old_total_is_refunded_not_applied(gql, browser, ann):
    """Amounts that do not match: the order re-quoted after a PaymentIntent was made."""
    order = ann["order"]
    first = (await gql(CARD_START, {"o": order["id"]}))["paymentCardStart"]
    spec = (await gql("""mutation { specificationCreate(input: {name: "Shadow", shadow: DROP}) {
        specification { id } } }"""))["specificationCreate"]["specification"]
    updated = (await gql("""mutation($id: ID!, $s: ID!) { orderUpdate(id: $id, input: {specificationId: $s}) {
        order { quote { total { amount } } } errors { code } } }""", {"id": order["id"], "s": spec["id"]}))["orderUpdate"]
    assert updated["errors"] == [] and updated["order"]["quote"]["total"]["amount"] != order["total"]
    second = (await gql(CARD_START, {"o": order["id"]}))["paymentCardStart"]
    assert second["errors"] == [] and second["clientSecret"] != first["clientSecret"]
    assert second["payment"]["amount"]["amount"] == updated["order"]["quote"]["total"]["amount"]
    old = await Payment.get(id=int(relay.GlobalID.from_id(first["payment"]["id"]).node_id))
    assert old.status == PaymentStatus.FAILED and old.failure_message == "The order's total changed."
    intents = {pi["id"]: pi["status"] for pi in await browser.payment_intents()}
    assert intents[old.provider_ref] == "canceled"  # the buyer's old tab cannot pay the old amount
    # were it paid all the same (a cancel that lost a race), its confirmation is refunded through Stripe:
    # a PaymentIntent for the old amount, as Pixport made it, paid in the old tab (localstripe's webhook tells Pixport)
    late = await browser.client.v1.payment_intents.create_async({
        "amount": old.amount, "currency": old.currency.lower(), "payment_method_types": ["card"],
        "metadata": {"pixport_order_id": str(order["pk"]), "pixport_payment_id": str(old.id)}})
    await Payment.filter(id=old.id).update(provider_ref=late.id)
    await browser.pay(late.client_secret)
    await wait_until(lambda: Payment.filter(id=old.id, status=PaymentStatus.REFUNDED).exists())
    refunds = (await browser.http.get("/v1/refunds", params={"limit": 100})).json()["data"]
    assert [(r["payment_intent"], r["amount"]) for r in refunds] == [(late.id, old.amount)]
    assert (await Payment.get(id=old.id)).status == PaymentStatus.REFUNDED
    assert await order_status(order["pk"]) == OrderStatus.AWAITING_PAYMENT
    await browser.pay(second["clientSecret"])
    await wait_until(lambda: _is(order["pk"], OrderStatus.IN_PRODUCTION))


async def test_payments_and_saved_cards_of_another_account_are_invisible(gql, browser, ann):
    card = await save_a_card(gql, browser, ann)
    started = (await gql(CARD_START, {"o": ann["order"]["id"]}))["paymentCardStart"]
    bob = await gql.sign_up("bob@example.com")
    node = "query($id: ID!) { node(id: $id) { id } }"
    for gid in (card, started["payment"]["id"]):
        assert (await gql(node, {"id": gid}))["node"]["id"] == gid
        assert (await gql(node, {"id": gid}, token=bob["token"]))["node"] is None
    assert (await gql(ORDER, {"id": ann["order"]["id"]}, token=bob["token"]))["order"] is None
