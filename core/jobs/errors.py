class RetryLater(Exception):
    """Raised by a job function for a passing failure: run it again after ``delay`` s."""

    def __init__(self, reason: str, delay: float = 5):
        super().__init__(reason)
        self.delay = delay
