"""The engine's one error type (its own module so every engine module can raise it)."""


class EngineError(Exception):
    """The original cannot be edited; ``code`` is stable (CORRUPT, TOO_LARGE, UNSUPPORTED_FORMAT…)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    def __reduce__(self):  # picklable across the process pool
        return (EngineError, (self.code, self.message))
