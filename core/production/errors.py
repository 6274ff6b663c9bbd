from core.errors import DomainError, InvalidTransition, NotFound


class OrderImageNotFound(NotFound):
    pass


class NotWaitingForRetoucher(InvalidTransition):
    """The image is not in the retoucher queue (done, being edited, order not in production)."""


class ClaimedByAnother(InvalidTransition):
    pass


class UploadRejected(DomainError):
    """A retoucher's file that cannot count as the result (unreadable, wrong format, fails validation)."""
