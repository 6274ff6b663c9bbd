from __future__ import annotations

import strawberry
from strawberry import relay

from core.payments import services
from schema.base import UserError, decode_id, mutation
from schema.context import Info
from schema.orders.types import OrderNode
from schema.payments.types import PaymentNode, SavedCardNode
from schema.permissions import IsAuthenticated


@strawberry.type
class PaymentCardStartPayload:
    payment: PaymentNode | None = None
    client_secret: str | None = strawberry.field(default=None, description="For Stripe.js to confirm the payment.")
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PaymentSavedCardChargePayload:
    payment: PaymentNode | None = None
    order: OrderNode | None = None
    requires_action: bool = strawberry.field(
        default=False, description="The bank asks the cardholder to authenticate: confirm `clientSecret` with Stripe.js.")
    client_secret: str | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SavedCardSetupStartPayload:
    client_secret: str | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SavedCardDeletePayload:
    saved_card: SavedCardNode | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CardMutations:
    @mutation(permission_classes=[IsAuthenticated],
              description="Pay an order awaiting payment by card: a payment and the client secret Stripe.js "
                          "confirms. The order goes to production when Stripe confirms the payment.")
    async def payment_card_start(self, info: Info, order_id: relay.GlobalID,
                                 save_card: bool = False) -> PaymentCardStartPayload:
        payment, secret = await services.card_start(info.context.user, decode_id(order_id, "Order", "orderId"),
                                                    save_card)
        return PaymentCardStartPayload(payment=PaymentNode.from_model(payment), client_secret=secret)

    @mutation(permission_classes=[IsAuthenticated], description="Pay an order awaiting payment with a saved card.")
    async def payment_saved_card_charge(self, info: Info, order_id: relay.GlobalID,
                                        saved_card_id: relay.GlobalID) -> PaymentSavedCardChargePayload:
        payment, order, result = await services.saved_card_charge(
            info.context.user, decode_id(order_id, "Order", "orderId"),
            decode_id(saved_card_id, "SavedCard", "savedCardId"))
        action = result.status.value == "REQUIRES_ACTION"
        return PaymentSavedCardChargePayload(payment=PaymentNode.from_model(payment), order=OrderNode.from_model(order),
                                             requires_action=action, client_secret=result.client_secret if action else None)

    @mutation(permission_classes=[IsAuthenticated],
              description="Save a card without paying: the client secret of a SetupIntent for Stripe.js.")
    async def saved_card_setup_start(self, info: Info) -> SavedCardSetupStartPayload:
        return SavedCardSetupStartPayload(client_secret=await services.setup_start(info.context.user))

    @mutation(permission_classes=[IsAuthenticated], description="Forget a saved card.")
    async def saved_card_delete(self, info: Info, id: relay.GlobalID) -> SavedCardDeletePayload:
        card = await services.saved_card_delete(info.context.user, decode_id(id, "SavedCard", "id"))
        return SavedCardDeletePayload(saved_card=SavedCardNode.from_model(card))


@strawberry.type
class PaymentPaypalStartPayload:
    payment: PaymentNode | None = None
    approve_url: str | None = strawberry.field(default=None, description="Where the buyer approves the payment at PayPal.")
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PaymentPaypalCapturePayload:
    payment: PaymentNode | None = None
    order: OrderNode | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PaypalMutations:
    @mutation(permission_classes=[IsAuthenticated],
              description="Pay an order awaiting payment with PayPal: the buyer approves at `approveUrl`, "
                          "then `paymentPaypalCapture`.")
    async def payment_paypal_start(self, info: Info, order_id: relay.GlobalID) -> PaymentPaypalStartPayload:
        payment, url = await services.paypal_start(info.context.user, decode_id(order_id, "Order", "orderId"))
        return PaymentPaypalStartPayload(payment=PaymentNode.from_model(payment), approve_url=url)

    @mutation(permission_classes=[IsAuthenticated], description="Capture the PayPal payment the buyer approved.")
    async def payment_paypal_capture(self, info: Info, order_id: relay.GlobalID) -> PaymentPaypalCapturePayload:
        payment, order = await services.paypal_capture(info.context.user, decode_id(order_id, "Order", "orderId"))
        return PaymentPaypalCapturePayload(payment=PaymentNode.from_model(payment), order=OrderNode.from_model(order))


@strawberry.type
class PaymentMutations(CardMutations, PaypalMutations):
    pass
