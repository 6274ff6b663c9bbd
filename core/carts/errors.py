from core.errors import DomainError, ErrorCode, NotFound


class ImageNotFound(NotFound):
    pass


class ImageNotUsable(DomainError):
    """Removed from the store, unreadable, or of another store."""

    code = ErrorCode.INVALID


class EmptyCart(DomainError):
    code = ErrorCode.EMPTY_CART
