from core.errors import DomainError, ErrorCode, NotFound


class StoreNotFound(NotFound):
    pass


class StoreUninstalled(DomainError):
    code = ErrorCode.INVALID_TRANSITION
