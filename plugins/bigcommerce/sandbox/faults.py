"""Fault injection, deterministic for a given seed and request order.

Settings (all optional, set with ``PUT /_sandbox/stores/{hash}/faults``):

- ``latency_ms`` / ``latency_jitter_ms``: added before the API answers;
- ``error_rate`` with ``error_status`` (default 500): a share of API requests fail;
- ``fail_next``: ``{"count": N, "status": 503}`` - the next N API requests fail (a burst);
- ``burst_503``: ``{"every": N, "length": M}`` - the last M of every N API requests answer 503;
- ``drop_rate`` / ``drop_next`` with ``drop_methods`` (default POST, PUT, DELETE): the request is
  applied, then the connection is closed without an answer;
- ``throttle_without_headers_rate``: a share of 429s are sent without the X-Rate-Limit headers
  (BigCommerce's "platform under load" 429);
- ``webhook_duplicate_rate``: a share of deliveries are sent twice (same webhook-id and hash);
- ``webhook_reorder_window``: events are delivered in shuffled groups of this size;
- ``cdn_fail_paths``: CDN paths (with their query, as requested) that answer 503 until the
  list is changed - an outage of the origin behind those files.
"""

from __future__ import annotations

import random

DEFAULTS = {
    "seed": 0,
    "latency_ms": 0,
    "latency_jitter_ms": 0,
    "error_rate": 0.0,
    "error_status": 500,
    "fail_next": None,
    "burst_503": None,
    "drop_rate": 0.0,
    "drop_next": 0,
    "drop_methods": ["POST", "PUT", "DELETE"],
    "throttle_without_headers_rate": 0.0,
    "webhook_duplicate_rate": 0.0,
    "webhook_reorder_window": 0,
    "cdn_fail_paths": [],
}


class Faults:
    def __init__(self, seed: int = 0):
        self.settings = dict(DEFAULTS, seed=seed)
        self.rng = random.Random(seed)
        self.hook_rng = random.Random(seed + 1)
        self.counter = 0
        self.injected: dict[str, int] = {"errors": 0, "dropped": 0, "throttled_without_headers": 0,
                                         "webhook_duplicates": 0, "webhook_reordered_batches": 0}

    def update(self, changes: dict) -> dict:
        unknown = set(changes) - set(DEFAULTS)
        if unknown:
            raise ValueError(f"unknown fault settings: {sorted(unknown)}")
        self.settings.update(changes)
        if "seed" in changes:
            self.rng = random.Random(changes["seed"])
            self.hook_rng = random.Random(changes["seed"] + 1)
            self.counter = 0
        return self.settings

    def reset(self) -> dict:
        seed = self.settings["seed"]
        self.settings = dict(DEFAULTS, seed=seed)
        self.rng = random.Random(seed)
        self.hook_rng = random.Random(seed + 1)
        self.counter = 0
        return self.settings

    def latency(self) -> float:
        s = self.settings
        ms = s["latency_ms"]
        if s["latency_jitter_ms"]:
            ms += self.rng.uniform(0, s["latency_jitter_ms"])
        return ms / 1000

    def error_status(self) -> int | None:
        """Decide, for the next API request, whether it fails (returns the status)."""
        s = self.settings
        n = self.counter
        self.counter += 1
        fn = s["fail_next"]
        if fn and fn.get("count", 0) > 0:
            fn["count"] -= 1
            self.injected["errors"] += 1
            return int(fn.get("status", 503))
        b = s["burst_503"]
        if b and b.get("every") and n % int(b["every"]) >= int(b["every"]) - int(b.get("length", 1)):
            self.injected["errors"] += 1
            return 503
        if s["error_rate"] and self.rng.random() < s["error_rate"]:
            self.injected["errors"] += 1
            return int(s["error_status"])
        return None

    def drop(self, method: str) -> bool:
        s = self.settings
        if method not in s["drop_methods"]:
            return False
        if s["drop_next"] > 0:
            s["drop_next"] -= 1
            self.injected["dropped"] += 1
            return True
        if s["drop_rate"] and self.rng.random() < s["drop_rate"]:
            self.injected["dropped"] += 1
            return True
        return False

    def throttle_without_headers(self) -> bool:
        r = self.settings["throttle_without_headers_rate"]
        if r and self.rng.random() < r:
            self.injected["throttled_without_headers"] += 1
            return True
        return False

    def duplicate_delivery(self) -> bool:
        r = self.settings["webhook_duplicate_rate"]
        if r and self.hook_rng.random() < r:
            self.injected["webhook_duplicates"] += 1
            return True
        return False

    def public(self) -> dict:
        return {"settings": self.settings, "injected": self.injected}
