"""Paying orders: one open attempt per order at a time (the order's row is locked
while an attempt is opened), confirmation by the provider moves the order through
``core.orders.services.transition``, a paid order that is cancelled is refunded in full."""

from __future__ import annotations

import logging
from email.message import EmailMessage
from email.utils import make_msgid

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core.accounts.visibility import rows_visible_to
from core import runtime
from core.accounts.models import User
from core.errors import DomainError, InvalidTransition
from core.orders import services as orders
from core.orders.models import Order
from core.orders.states import OrderStatus
from core.payments import providers
from core.payments.errors import (PaymentDeclined, PaymentInProgress, SavedCardNotFound, WebhookRejected)
from core.payments.models import (OPEN, Payment, PaymentCustomer, PaymentKind, PaymentStatus, Provider,
                                  ProviderEvent, SavedCard)
from core.payments.ports import CardDetails, ChargeResult, Money
from core.timeutil import utcnow

log = logging.getLogger(__name__)


def visible_payments(user):
    return rows_visible_to(user, Payment)


def money_of(order: Order) -> Money:
    return Money(int(order.total_amount), order.currency.upper())


# ---- opening an attempt ----------------------------------------------------------------

def _check_payable(order: Order, field: str = "orderId") -> None:
    if order.status == OrderStatus.AWAITING_PAYMENT:
        return
    if order.status == OrderStatus.DRAFT:
        raise InvalidTransition("Approve the order before paying it.", field=field)
    if order.status == OrderStatus.CANCELLED:
        raise InvalidTransition("A cancelled order cannot be paid.", field=field)
    raise PaymentInProgress(f"The order is {order.status.value}: it is paid already.", field=field)


def _method(provider: Provider, saved_card_id: int | None) -> str:
    return "paypal" if provider == Provider.PAYPAL else ("saved_card" if saved_card_id else "card")


async def _open_attempt(user, order_id: int, provider: Provider, *, save_card: bool = False,
                        saved_card: SavedCard | None = None,
                        reuse_open: bool = False) -> tuple[Payment, bool, Order]:
    """The order's attempt: a new PENDING payment (True), or, for the same way of paying
    started twice, the open one (False). The order's row is locked while deciding, so
    that of simultaneous requests exactly one opens an attempt. An open attempt another
    way (the merchant left PayPal for a card), or one waiting for 3-D Secure, is replaced:
    it is failed here and cancelled at its provider (should it succeed all the same, its
    confirmation finds the order paid or the attempt replaced, and refunds it)."""
    order = await orders.get_for_user(user, order_id, field="orderId")
    _check_payable(order)
    requested = _method(provider, saved_card.id if saved_card else None)
    replaced = None
    async with in_transaction():
        order = await Order.select_for_update().get(id=order.id)
        _check_payable(order)
        # One read: a charge may go from PENDING to SUCCEEDED meanwhile (its confirmation
        # does not lock the order), and two reads could miss it in both states.
        live = await Payment.filter(order_id=order.id, kind=PaymentKind.CHARGE,
                                    status__in=[*OPEN, PaymentStatus.SUCCEEDED]).order_by("-id")
        if any(p.status == PaymentStatus.SUCCEEDED for p in live):
            raise PaymentInProgress("The order is paid already.", field="orderId")
        current = live[0] if live else None
        money = money_of(order)
        if current is not None:
            same = (current.amount, current.currency) == (money.amount, money.currency)
            method = _method(current.provider, current.saved_card_id)
            if reuse_open and same and method == requested and current.provider_ref is not None:
                return current, False, order
            # an attempt whose provider call is under way (no provider id yet) is never replaced
            replaceable = current.provider_ref is not None and (
                method != requested or current.status == PaymentStatus.REQUIRES_ACTION)
            if same and not replaceable:
                raise PaymentInProgress("A payment of this order is already in progress.", field="orderId")
            reason = "Replaced by another payment attempt." if same else "The order's total changed."
            await Payment.filter(id=current.id, status__in=list(OPEN)).update(
                status=PaymentStatus.FAILED, failure_message=reason, updated_at=utcnow())
            replaced = current
        attempt = await Payment.filter(order_id=order.id).count() + 1
        payment = await Payment.create(
            order_id=order.id, account_id=order.account_id, provider=provider, kind=PaymentKind.CHARGE,
            amount=money.amount, currency=money.currency, idempotency_key=f"order-{order.id}-attempt-{attempt}",
            save_card=save_card, saved_card_id=saved_card.id if saved_card else None)
    if replaced is not None and replaced.provider_ref:
        try:
            await providers.get(replaced.provider).cancel(replaced.provider_ref)
        except Exception:  # noqa: BLE001 - a late success of it is refunded
            log.warning("could not cancel replaced payment %s", replaced.id)
    return payment, True, order


async def _record(payment: Payment, result: ChargeResult) -> None:
    if result.status == PaymentStatus.SUCCEEDED:
        # through mark_succeeded, which sets the provider id with the status in one statement:
        # an open attempt with a provider id may be replaced, a succeeded one must not be
        payment.provider_ref = result.provider_ref or payment.provider_ref
        return
    changes = {"provider_ref": result.provider_ref or payment.provider_ref, "updated_at": utcnow(),
               "failure_message": result.failure_message[:500], "status": result.status}
    await Payment.filter(id=payment.id, status__in=list(OPEN)).update(**changes)
    for name, value in changes.items():
        setattr(payment, name, value)


async def _fail_attempt(payment: Payment, message: str) -> None:
    await Payment.filter(id=payment.id, status__in=list(OPEN)).update(
        status=PaymentStatus.FAILED, failure_message=message[:500], updated_at=utcnow())


# ---- card (Stripe) ---------------------------------------------------------------------

async def customer_ref(user) -> str:
    row = await PaymentCustomer.filter(account_id=user.account_id, provider=Provider.STRIPE).first()
    if row is not None:
        return row.provider_ref
    ref = await providers.stripe().create_customer(account_id=user.account_id, email=user.email,
                                                   idempotency_key=f"customer-{user.account_id}")
    try:
        await PaymentCustomer.create(account_id=user.account_id, provider=Provider.STRIPE, provider_ref=ref)
    except IntegrityError:  # made meanwhile by another request: that one is the account's
        row = await PaymentCustomer.get(account_id=user.account_id, provider=Provider.STRIPE)
        return row.provider_ref
    return ref


async def card_start(user, order_id: int, save_card: bool) -> tuple[Payment, str]:
    """A PaymentIntent for the order's total; its client secret goes to the browser
    (Stripe.js confirms it), never into the database or the logs."""
    stripe = providers.stripe()
    customer = await customer_ref(user)
    payment, new, order = await _open_attempt(user, order_id, Provider.STRIPE, save_card=save_card,
                                              reuse_open=True)
    if not new:
        result = await stripe.resume(payment.provider_ref)
        return payment, result.client_secret
    try:
        result = await stripe.start(payment_id=payment.id, order_id=order.id, money=money_of(order),
                                    customer_ref=customer, save_card=save_card,
                                    idempotency_key=payment.idempotency_key)
    except Exception:
        await _fail_attempt(payment, "The payment provider could not be reached.")
        raise
    await _record(payment, result)
    if result.status == PaymentStatus.SUCCEEDED:
        await mark_succeeded(payment, result.payment_method_ref)
    return payment, result.client_secret


async def saved_card_charge(user, order_id: int, saved_card_id: int) -> tuple[Payment, Order, ChargeResult]:
    card = await SavedCard.filter(id=saved_card_id, account_id=user.account_id).first()
    if card is None:
        raise SavedCardNotFound("No such saved card.", field="savedCardId")
    stripe = providers.stripe()
    customer = await customer_ref(user)
    payment, _, order = await _open_attempt(user, order_id, Provider.STRIPE, saved_card=card)
    try:
        result = await stripe.charge_saved(payment_id=payment.id, order_id=order.id, money=money_of(order),
                                           customer_ref=customer, payment_method_ref=card.provider_ref,
                                           idempotency_key=payment.idempotency_key)
    except Exception:
        await _fail_attempt(payment, "The payment provider could not be reached.")
        raise
    await _record(payment, result)
    if result.declined:
        raise PaymentDeclined(result.failure_message or "The card was declined.", field="savedCardId")
    if result.status == PaymentStatus.SUCCEEDED:
        await mark_succeeded(payment, None)
    await payment.refresh_from_db()
    await order.refresh_from_db()
    return payment, order, result


# ---- saved cards -------------------------------------------------------------------------

async def setup_start(user) -> str:
    customer = await customer_ref(user)
    nonce = await SavedCard.filter(account_id=user.account_id).count()
    return await providers.stripe().setup_start(customer_ref=customer,
                                                idempotency_key=f"setup-{user.account_id}-{nonce}-{utcnow().timestamp()}")


async def _store_card(account_id: int, details: CardDetails) -> SavedCard:
    row = await SavedCard.filter(provider=Provider.STRIPE, provider_ref=details.provider_ref).first()
    fields = {"brand": details.brand, "last4": details.last4, "exp_month": details.exp_month,
              "exp_year": details.exp_year}
    if row is None:
        try:
            return await SavedCard.create(account_id=account_id, provider=Provider.STRIPE,
                                          provider_ref=details.provider_ref, **fields)
        except IntegrityError:
            row = await SavedCard.get(provider=Provider.STRIPE, provider_ref=details.provider_ref)
    if row.account_id == account_id:
        await SavedCard.filter(id=row.id).update(**fields)
    return row


async def saved_cards(user) -> list[SavedCard]:
    """The account's cards as Stripe has them (a card saved through a SetupIntent
    appears here once Stripe.js confirmed it)."""
    if user is None:
        return []
    row = await PaymentCustomer.filter(account_id=user.account_id, provider=Provider.STRIPE).first()
    if row is not None:
        try:
            cards = await providers.stripe().list_cards(row.provider_ref)
        except DomainError:
            cards = None
        if cards is not None:
            for details in cards:
                await _store_card(user.account_id, details)
            await SavedCard.filter(account_id=user.account_id, provider=Provider.STRIPE).exclude(
                provider_ref__in=[c.provider_ref for c in cards] or [""]).delete()
    return await SavedCard.filter(account_id=user.account_id).order_by("id")


async def saved_card_delete(user, card_id: int) -> SavedCard:
    card = await SavedCard.filter(id=card_id, account_id=user.account_id).first()
    if card is None:
        raise SavedCardNotFound("No such saved card.", field="id")
    await providers.get(card.provider).detach(card.provider_ref)
    await SavedCard.filter(id=card.id).delete()
    return card


# ---- confirmation, failure, refund -------------------------------------------------------

async def mark_succeeded(payment: Payment, payment_method_ref: str | None) -> None:
    """The provider confirmed the charge: the order goes to production (once, whatever
    else arrived before); a charge that can no longer pay its order is refunded."""
    changes = {"status": PaymentStatus.SUCCEEDED, "failure_message": "", "updated_at": utcnow()}
    if payment.provider_ref:
        changes["provider_ref"] = payment.provider_ref
    moved = await Payment.filter(id=payment.id, status__in=[*OPEN, PaymentStatus.FAILED]).update(**changes)
    if not moved:
        return  # applied already
    payment.status = PaymentStatus.SUCCEEDED
    order = await Order.get(id=payment.order_id)
    matches = (payment.amount, payment.currency) == (int(order.total_amount), order.currency.upper())
    paid = False
    # the conditional move in transition() lets one charge pay the order; any other is refunded
    if matches and order.status == OrderStatus.AWAITING_PAYMENT:
        try:
            await orders.transition(order, OrderStatus.IN_PRODUCTION)
            paid = True
        except InvalidTransition:
            order = await Order.get(id=order.id)
    if not paid:
        log.warning("payment %s cannot pay order %s (%s): refunding it", payment.id, order.id, order.status.value)
        await refund_payment(payment)
        return
    for other in await Payment.filter(order_id=order.id, kind=PaymentKind.CHARGE, status__in=list(OPEN)):
        # attempts left open (another tab, another way) can no longer pay the order
        await mark_failed(other, "Another payment paid the order.")
        if other.provider_ref:
            try:
                await providers.get(other.provider).cancel(other.provider_ref)
            except Exception:  # noqa: BLE001 - a late success of it is refunded
                log.warning("could not cancel payment %s", other.id)
    if payment.save_card and payment_method_ref:
        try:
            customer = await PaymentCustomer.get(account_id=payment.account_id, provider=payment.provider)
            details = await providers.get(payment.provider).attach(customer_ref=customer.provider_ref,
                                                                   payment_method_ref=payment_method_ref)
            await _store_card(payment.account_id, details)
        except Exception:  # noqa: BLE001 - the payment stands; saving the card is a convenience
            log.exception("could not save the card of payment %s", payment.id)
    await send_receipt(order, payment)


async def mark_failed(payment: Payment, message: str) -> None:
    await Payment.filter(id=payment.id, status__in=list(OPEN)).update(
        status=PaymentStatus.FAILED, failure_message=(message or "The payment failed.")[:500], updated_at=utcnow())


async def refund_payment(payment: Payment) -> Payment:
    """A full refund of a succeeded charge, once (its idempotency key is the charge's)."""
    key = f"refund-{payment.id}"
    refund = await Payment.filter(idempotency_key=key).first()
    if refund is None:
        try:
            refund = await Payment.create(
                order_id=payment.order_id, account_id=payment.account_id, provider=payment.provider,
                kind=PaymentKind.REFUND, amount=payment.amount, currency=payment.currency, idempotency_key=key,
                refund_of_id=payment.id)
        except IntegrityError:
            refund = await Payment.get(idempotency_key=key)
    if refund.status == PaymentStatus.SUCCEEDED:
        return refund
    result = await providers.get(payment.provider).refund(
        provider_ref=payment.capture_ref or payment.provider_ref, money=Money(payment.amount, payment.currency),
        idempotency_key=key)
    await Payment.filter(id=refund.id).update(status=result.status, provider_ref=result.provider_ref,
                                              failure_message=result.failure_message[:500], updated_at=utcnow())
    if result.status == PaymentStatus.SUCCEEDED:
        await Payment.filter(id=payment.id).update(status=PaymentStatus.REFUNDED, updated_at=utcnow())
    await refund.refresh_from_db()
    return refund


async def refundable(order: Order) -> bool:
    return await Payment.filter(order_id=order.id, kind=PaymentKind.CHARGE, status=PaymentStatus.SUCCEEDED).exists()


async def refund_order(order: Order) -> None:
    """Every succeeded charge of a paid order that is cancelled, refunded in full."""
    charges = await Payment.filter(order_id=order.id, kind=PaymentKind.CHARGE, status=PaymentStatus.SUCCEEDED)
    for charge in charges:
        refund = await refund_payment(charge)
        if refund.status != PaymentStatus.SUCCEEDED:
            raise DomainError(f"The refund failed: {refund.failure_message or 'try again later'}.", field="id")


# ---- webhooks ----------------------------------------------------------------------------

async def apply_webhook(provider: Provider, body: bytes, headers: dict[str, str]) -> str:
    """Verify, dedupe by event id, apply. Raises WebhookRejected (HTTP 400) for a bad
    signature, an unknown payment or an amount that does not match."""
    try:
        event = await providers.get(provider).verify_event(body, headers)
    except ValueError as exc:
        raise WebhookRejected(str(exc)) from None
    if event.kind is None:
        return "ignored"
    payment = None
    if event.provider_ref:
        payment = await Payment.filter(provider=provider, provider_ref=event.provider_ref,
                                       kind=PaymentKind.CHARGE).first()
    if payment is None and event.capture_ref:
        payment = await Payment.filter(provider=provider, capture_ref=event.capture_ref,
                                       kind=PaymentKind.CHARGE).first()
    if payment is None and event.payment_id is not None:
        payment = await Payment.filter(id=event.payment_id, provider=provider, kind=PaymentKind.CHARGE).first()
        if payment is not None and payment.provider_ref not in (None, event.provider_ref):
            payment = None
    if payment is None:
        raise WebhookRejected("unknown payment")
    if event.amount is not None and (event.amount.amount, event.amount.currency) != (payment.amount, payment.currency):
        raise WebhookRejected("the amount does not match the payment")
    try:
        stored = await ProviderEvent.create(provider=provider, event_id=event.event_id, event_type=event.event_type)
    except IntegrityError:
        return "replayed"
    try:
        if payment.provider_ref is None and event.provider_ref:
            await Payment.filter(id=payment.id, provider_ref=None).update(provider_ref=event.provider_ref)
            payment.provider_ref = event.provider_ref
        if payment.capture_ref is None and event.capture_ref and event.kind == "succeeded":
            await Payment.filter(id=payment.id, capture_ref=None).update(capture_ref=event.capture_ref)
            payment.capture_ref = event.capture_ref
        if event.kind == "succeeded":
            await mark_succeeded(payment, event.payment_method_ref)
        elif event.kind == "failed":
            await mark_failed(payment, event.failure_message)
        elif event.kind == "refunded":
            await Payment.filter(id=payment.id, status=PaymentStatus.SUCCEEDED).update(status=PaymentStatus.REFUNDED)
    except BaseException:
        await ProviderEvent.filter(id=stored.id).delete()  # not applied: a retry may apply it
        raise
    return "applied"


# ---- receipt -------------------------------------------------------------------------------

def _amount_text(amount: int, currency: str) -> str:
    return f"{amount / 100:.2f} {currency}"


async def send_receipt(order: Order, payment: Payment) -> None:
    """A receipt to the account's users; a mail failure never undoes the payment."""
    try:
        rt = runtime.current()
        users = await User.filter(account_id=order.account_id).order_by("id")
        number = order.number or orders.number_for(order.id)
        text = (f"Thank you: we received {_amount_text(payment.amount, payment.currency)} for order {number} "
                f"({order.image_count} images), paid by {payment.provider.value.title()} "
                f"(payment {payment.id}). The studio starts on it now; it is due by {order.due_at:%Y-%m-%d %H:%M} UTC.\n")
        for user in users:
            message = EmailMessage()
            message["Subject"] = f"Receipt for order {number}"
            message["From"] = rt.settings.mail_from
            message["To"] = user.email
            message["Message-ID"] = make_msgid(domain="pixport")
            message.set_content(text)
            await rt.mailer.send(message)
    except Exception:  # noqa: BLE001
        log.exception("could not send the receipt of payment %s", payment.id)


# ---- PayPal ---------------------------------------------------------------------------------

async def paypal_start(user, order_id: int) -> tuple[Payment, str | None]:
    """A PayPal order for the order's total; the buyer approves it at ``approveUrl``."""
    paypal = providers.paypal()
    payment, new, order = await _open_attempt(user, order_id, Provider.PAYPAL, reuse_open=True)
    if not new:
        return payment, (await paypal.resume(payment.provider_ref)).approve_url
    try:
        result = await paypal.start(payment_id=payment.id, order_id=order.id, money=money_of(order),
                                    customer_ref=None, save_card=False, idempotency_key=payment.idempotency_key)
    except Exception:
        await _fail_attempt(payment, "PayPal could not be reached.")
        raise
    await _record(payment, result)
    return payment, result.approve_url


async def paypal_capture(user, order_id: int) -> tuple[Payment, Order]:
    """Capture the order's approved PayPal payment; the order goes to production on a
    COMPLETED capture (the capture's status, not the PayPal order's)."""
    order = await orders.get_for_user(user, order_id, field="orderId")
    payment = await Payment.filter(order_id=order.id, provider=Provider.PAYPAL, kind=PaymentKind.CHARGE,
                                   status__in=list(OPEN)).order_by("-id").first()
    if payment is None or payment.provider_ref is None:
        _check_payable(order)
        raise InvalidTransition("Start a PayPal payment of this order first.", field="orderId")
    result = await providers.paypal().capture(provider_ref=payment.provider_ref,
                                              idempotency_key=f"{payment.idempotency_key}-capture")
    if result.not_approved:
        raise InvalidTransition(result.failure_message, field="orderId")
    if result.capture_ref:
        await Payment.filter(id=payment.id).update(capture_ref=result.capture_ref)
        payment.capture_ref = result.capture_ref
    await _record(payment, result)
    if result.declined:
        raise PaymentDeclined(result.failure_message or "PayPal declined the payment.", field="orderId")
    if result.status == PaymentStatus.SUCCEEDED:
        await mark_succeeded(payment, None)
    await payment.refresh_from_db()
    await order.refresh_from_db()
    return payment, order
