"""The rate gate the publish (and sync) client keeps per store: answers to concurrent
requests arrive in any order, and a stale one must not let a request through to a 429."""

from __future__ import annotations

import asyncio

import httpx

from plugins.bigcommerce.client import _Gate


def answer(left: int, reset_ms: int, quota: int = 150, window_ms: int = 30_000) -> httpx.Headers:
    return httpx.Headers({"X-Rate-Limit-Time-Window-Ms": str(window_ms), "X-Rate-Limit-Time-Reset-Ms": str(reset_ms),
                          "X-Rate-Limit-Requests-Quota": str(quota), "X-Rate-Limit-Requests-Left": str(left)})


def test_a_late_answer_from_the_same_window_does_not_raise_what_is_left():
    gate = _Gate(asyncio.Semaphore(3))
    assert gate.observe(answer(left=0, reset_ms=1000))  # the server counted B last...
    assert gate.observe(answer(left=1, reset_ms=1010))  # ...but A's answer arrives after B's
    assert gate.left == 0
    assert gate.observe(answer(left=149, reset_ms=29_990))  # the next window: a fresh count
    assert gate.left == 149
    assert not gate.observe(httpx.Headers({}))  # no headers: nothing learned
    assert gate.left == 149
