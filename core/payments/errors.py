from core.errors import DomainError, ErrorCode, InvalidTransition, NotFound


class PaymentNotFound(NotFound):
    pass


class SavedCardNotFound(NotFound):
    pass


class PaymentDeclined(DomainError):
    code = ErrorCode.PAYMENT_DECLINED


class PaymentInProgress(InvalidTransition):
    """Another payment of the order is open or done (a double click)."""


class PaymentsNotConfigured(DomainError):
    pass


class WebhookRejected(Exception):
    """A webhook that is not applied: bad signature, unknown payment, wrong amount (HTTP 400)."""
