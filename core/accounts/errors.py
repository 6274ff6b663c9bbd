from core.errors import DomainError, ErrorCode


class EmailTaken(DomainError):
    code = ErrorCode.UNIQUE


class InvalidCredentials(DomainError):
    code = ErrorCode.INVALID_CREDENTIALS


class WeakPassword(DomainError):
    code = ErrorCode.WEAK_PASSWORD
