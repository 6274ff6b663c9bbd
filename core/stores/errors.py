from core.errors import DomainError, ErrorCode, NotFound


class StoreNotFound(NotFound):
    pass


class StoreUninstalled(DomainError):
    code = ErrorCode.INVALID_TRANSITION


class StoreLinkExpired(DomainError):
    """A storeLinkToken that is forged, expired or already used."""

    code = ErrorCode.EXPIRED


class StoreLinkedElsewhere(DomainError):
    """The store is already connected to another Pixport account."""

    code = ErrorCode.PERMISSION_DENIED
