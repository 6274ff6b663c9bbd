"""BigCommerce's per-store rate-limit window, shared by every client of a store."""

from __future__ import annotations

import time


class Window:
    """A fixed window of ``window_ms`` that opens at the first request after the last one closed."""

    def __init__(self, quota: int, window_ms: int):
        self.quota = quota
        self.window_ms = window_ms
        self.start = 0.0
        self.used = 0

    def _roll(self, now: float) -> None:
        if now - self.start >= self.window_ms / 1000:
            self.start = now
            self.used = 0

    def hit(self, now: float | None = None) -> bool:
        """Count one request; False when the quota of the current window is used up."""
        now = time.monotonic() if now is None else now
        self._roll(now)
        if self.used >= self.quota:
            return False
        self.used += 1
        return True

    def reset(self) -> None:
        self.start = 0.0
        self.used = 0

    def headers(self, now: float | None = None) -> dict[str, str]:
        now = time.monotonic() if now is None else now
        self._roll(now) if self.used == 0 else None
        elapsed_ms = int((now - self.start) * 1000)
        reset = max(0, self.window_ms - elapsed_ms) if self.used else self.window_ms
        return {
            "X-Rate-Limit-Time-Window-Ms": str(self.window_ms),
            "X-Rate-Limit-Time-Reset-Ms": str(reset),
            "X-Rate-Limit-Requests-Quota": str(self.quota),
            "X-Rate-Limit-Requests-Left": str(max(0, self.quota - self.used)),
        }
