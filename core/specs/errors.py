from core.errors import DomainError, ErrorCode, NotFound


class SpecificationNotFound(NotFound):
    pass


class SpecificationLocked(DomainError):
    """A locked version's options never change: a paid order used them."""

    code = ErrorCode.LOCKED
