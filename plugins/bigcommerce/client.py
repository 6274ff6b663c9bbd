"""BigCommerce's REST API for one store, within the store's rate limit.

- One keep-alive ``httpx.AsyncClient``; ``X-Auth-Token`` and ``Accept: application/json``
  on every request. The token is never logged, and never part of an error message.
- **The server's headers are authoritative**: all four ``X-Rate-Limit-*`` headers are read
  on every response, and when ``Requests-Left`` (less what is still in flight) reaches 0,
  the next request waits ``Time-Reset-Ms`` instead of being sent to be refused.
- **Pixport's share**: at most ``quota_share`` of the store's quota per window, counted by
  the ``limits`` library's moving window, in Redis when ``PIXPORT_REDIS_URL`` is set (so
  every worker process syncing the store shares one budget) and in memory otherwise.
- At most ``max_concurrency`` requests in flight per store (per process).
- Retries (tenacity): a 429 waits ``Time-Reset-Ms`` (or, without headers, a longer,
  doubling backoff); 5xx and network errors back off exponentially with jitter, capped.
  A POST is retried only when it certainly did not happen (429, or the connection could
  not be made): otherwise ``ConnectorError(TRANSIENT)`` tells the caller to reconcile.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, wait_exponential_jitter

from core.connectors import ConnectorError, ConnectorErrorCode
from plugins.bigcommerce.settings import BigCommerceSettings

log = logging.getLogger(__name__)

# Until the first response says otherwise: the smallest plan's quota (Standard/Plus).
DEFAULT_QUOTA = 150
DEFAULT_WINDOW_MS = 30_000
# Attempts for a request that keeps being throttled (other apps may hold the quota).
RATE_LIMITED_ATTEMPTS = 30

_H_WINDOW = "x-rate-limit-time-window-ms"
_H_RESET = "x-rate-limit-time-reset-ms"
_H_QUOTA = "x-rate-limit-requests-quota"
_H_LEFT = "x-rate-limit-requests-left"


# ---- per-store state in this process ------------------------------------------------------

@dataclass
class _Gate:
    """What this process knows about one store's quota, and its requests in flight."""

    semaphore: asyncio.Semaphore
    quota: int = DEFAULT_QUOTA
    window_ms: int = DEFAULT_WINDOW_MS
    left: int | None = None  # from the last response; None = unknown
    reset_at: float = 0.0  # monotonic time the server's window resets
    in_flight: int = 0
    known: bool = False  # a response with the headers was seen: the quota is known
    probe: asyncio.Lock = field(default_factory=asyncio.Lock)
    waits: int = field(default=0)  # times a request waited for the window (for tests, metrics)

    def observe(self, headers: httpx.Headers) -> bool:
        """Read the four rate-limit headers; False when the response had none."""
        try:
            reset_ms = int(headers[_H_RESET])
            left = int(headers[_H_LEFT])
            quota = int(headers[_H_QUOTA])
            window_ms = int(headers[_H_WINDOW])
        except (KeyError, ValueError):
            return False
        self.quota = max(1, quota)
        self.window_ms = max(1, window_ms)
        reset_at = time.monotonic() + reset_ms / 1000
        # Answers to concurrent requests arrive in any order: within one window, an answer
        # counted earlier by the server must not raise what is known to be left.
        same_window = self.left is not None and abs(reset_at - self.reset_at) < min(0.5, self.window_ms / 2000)
        if same_window:
            self.left = min(self.left, left)
            self.reset_at = max(self.reset_at, reset_at)
        else:
            self.left = left
            self.reset_at = reset_at
        self.known = True
        return True

    async def wait_for_window(self) -> None:
        """Never send what the server already said it would refuse."""
        while self.left is not None and self.left - self.in_flight <= 0:
            delay = self.reset_at - time.monotonic()
            if delay <= 0:
                self.left = None  # a new window: unknown until the next response
                return
            self.waits += 1
            await asyncio.sleep(delay + 0.02)


_gates: dict[tuple[int, str], _Gate] = {}


def _gate(store_hash: str, max_concurrency: int) -> _Gate:
    key = (id(asyncio.get_running_loop()), store_hash)
    gate = _gates.get(key)
    if gate is None:
        gate = _gates[key] = _Gate(asyncio.Semaphore(max(1, max_concurrency)))
    return gate


class _ShareItem(RateLimitItemPerSecond):
    """A moving window keyed by the store alone (``limits`` puts the amount in the key):
    when the quota becomes known or changes, the requests already counted still count."""

    def key_for(self, *identifiers: str) -> str:
        return "/".join([self.namespace, *identifiers])


class ShareLimiter:
    """Pixport's share of a store's quota: a moving window from the ``limits`` library,
    in Redis (shared by every process) or in memory (this process)."""

    def __init__(self, redis_url: str | None = None) -> None:
        if redis_url:
            url = redis_url if redis_url.startswith("async+") else "async+" + redis_url
            storage = RedisStorage(url, implementation="redispy", key_prefix="pixport-bc")
        else:
            storage = MemoryStorage()
        self.shared = bool(redis_url)
        self.limiter = MovingWindowRateLimiter(storage)
        self._redis = None
        self._quotas: dict[str, tuple[int, int]] = {}
        if redis_url:
            import redis.asyncio as redis

            self._redis = redis.from_url(redis_url.removeprefix("async+"))

    async def remembered_quota(self, key: str) -> tuple[int, int] | None:
        """(quota, window_ms) another process (or request) learned from the headers."""
        if self._redis is None:
            return self._quotas.get(key)
        raw = await self._redis.get(f"pixport-bc:quota:{key}")
        if not raw:
            return None
        quota, window_ms = (int(x) for x in raw.decode().split(","))
        return quota, window_ms

    async def remember_quota(self, key: str, quota: int, window_ms: int) -> None:
        if self._redis is None:
            self._quotas[key] = (quota, window_ms)
        else:
            await self._redis.set(f"pixport-bc:quota:{key}", f"{quota},{window_ms}", ex=3600)

    async def acquire(self, key: str, amount: int, window_seconds: int) -> None:
        item = _ShareItem(max(1, amount), max(1, window_seconds), namespace="pixport-bc-share")
        while not await self.limiter.hit(item, "store", key):
            stats = await self.limiter.get_window_stats(item, "store", key)
            await asyncio.sleep(min(max(0.01, stats.reset_time - time.time()), window_seconds))


_limiters: dict[tuple[int, str | None], ShareLimiter] = {}


def share_limiter(redis_url: str | None) -> ShareLimiter:
    """One limiter per event loop and Redis URL (Redis connections belong to a loop)."""
    key = (id(asyncio.get_running_loop()), redis_url)
    limiter = _limiters.get(key)
    if limiter is None:
        limiter = _limiters[key] = ShareLimiter(redis_url)
    return limiter


def _default_redis_url() -> str | None:
    from core import runtime

    try:
        return runtime.current().settings.redis
    except RuntimeError:  # no runtime in this process (a script): the environment decides
        from core.settings import Settings

        return Settings().redis


# ---- the client --------------------------------------------------------------------------

class _Failure(ConnectorError):
    """A ConnectorError that knows whether the request certainly did not happen."""

    def __init__(self, code, message, *, retry_after=None, unsent=False, throttled_without_headers=False):
        super().__init__(code, message, retry_after=retry_after)
        self.unsent = unsent
        self.throttled_without_headers = throttled_without_headers


def _plain(error: ConnectorError) -> ConnectorError:
    return ConnectorError(error.code, error.message, retry_after=error.retry_after)


_FROM_SETTINGS = object()


class BigCommerceClient:
    """``redis_url``: where the shared limiter lives; by default Pixport's Redis when one
    is configured (None: this process only)."""

    def __init__(
        self,
        store_hash: str,
        access_token: str,
        settings: BigCommerceSettings,
        *,
        redis_url: str | None | object = _FROM_SETTINGS,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.store_hash = store_hash
        self.settings = settings
        self._redis_url = _default_redis_url() if redis_url is _FROM_SETTINGS else redis_url
        self._http = httpx.AsyncClient(
            base_url=f"{settings.api_url.rstrip('/')}/stores/{store_hash}",
            headers={"X-Auth-Token": access_token, "Accept": "application/json"},
            timeout=httpx.Timeout(settings.timeout_seconds, connect=min(10.0, settings.timeout_seconds)),
            limits=httpx.Limits(max_connections=max(1, settings.max_concurrency), max_keepalive_connections=max(1, settings.max_concurrency)),
            follow_redirects=False,
            transport=transport,
        )
        self.requests_sent = 0

    def __repr__(self) -> str:  # never the token
        return f"<BigCommerceClient store={self.store_hash}>"

    @property
    def _limiter(self) -> ShareLimiter:
        return share_limiter(self._redis_url)

    @property
    def gate(self) -> _Gate:
        return _gate(self.store_hash, self.settings.max_concurrency)

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- public --------------------------------------------------------------------------

    async def get(self, path: str, params: dict | None = None) -> Any:
        return await self.request("GET", path, params=params)

    async def post(self, path: str, json: Any = None, *, files: dict | None = None, data: dict | None = None) -> Any:
        """JSON, or multipart/form-data with ``files`` (an image upload) and ``data`` fields."""
        return await self.request("POST", path, json=json, files=files, data=data)

    async def put(self, path: str, json: Any) -> Any:
        return await self.request("PUT", path, json=json)

    async def delete(self, path: str) -> Any:
        return await self.request("DELETE", path)

    async def request(self, method: str, path: str, *, params: dict | None = None, json: Any = None,
                      files: dict | None = None, data: dict | None = None) -> Any:
        """The decoded JSON body ({} for an empty one). Raises ConnectorError."""
        idempotent = method.upper() != "POST"
        s = self.settings
        transient_wait = wait_exponential_jitter(
            multiplier=s.retry_initial_seconds, max=s.retry_max_seconds, jitter=s.retry_initial_seconds
        )

        def should_retry(exc: BaseException) -> bool:
            if not isinstance(exc, _Failure):
                return False
            if exc.code == ConnectorErrorCode.RATE_LIMITED:
                return True  # refused: nothing happened
            if exc.code == ConnectorErrorCode.TRANSIENT:
                return idempotent or exc.unsent
            return False

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception()
            if isinstance(exc, _Failure) and exc.code == ConnectorErrorCode.RATE_LIMITED:
                if exc.retry_after is not None and not exc.throttled_without_headers:
                    return exc.retry_after + random.uniform(0, 0.05)
                # the platform is under load for this store: back off longer, doubling
                base = s.throttled_backoff_seconds * 2 ** min(state.attempt_number - 1, 8)
                return min(max(base, exc.retry_after or 0), max(s.retry_max_seconds, s.throttled_backoff_seconds)) * random.uniform(1.0, 1.25)
            return transient_wait(state)

        def stop(state: RetryCallState) -> bool:
            exc = state.outcome.exception()
            limit = RATE_LIMITED_ATTEMPTS if getattr(exc, "code", None) == ConnectorErrorCode.RATE_LIMITED else s.retry_attempts
            return state.attempt_number >= limit

        try:
            async for attempt in AsyncRetrying(retry=retry_if_exception(should_retry), wait=wait, stop=stop, reraise=True):
                with attempt:
                    response = await self._send_once(method, path, params, json, files, data)
        except _Failure as exc:
            raise _plain(exc) from None
        if response.status_code == 204 or not response.content:
            return {}
        try:
            return orjson.loads(response.content)  # a page of 250 products is ~1 MB: 4x faster than json
        except orjson.JSONDecodeError:
            raise ConnectorError(ConnectorErrorCode.TRANSIENT, f"{method} {path}: the answer is not JSON") from None

    # -- one attempt ---------------------------------------------------------------------

    async def _send_once(self, method: str, path: str, params: dict | None, json: Any,
                         files: dict | None = None, data: dict | None = None) -> httpx.Response:
        gate = self.gate
        async with gate.semaphore:
            if not gate.known:  # the first request alone: its answer tells the quota
                async with gate.probe:
                    if not gate.known and (known := await self._limiter.remembered_quota(self.store_hash)):
                        gate.quota, gate.window_ms = known
                        gate.known = True
                    return await self._attempt(gate, method, path, params, json, files, data)
            return await self._attempt(gate, method, path, params, json, files, data)

    async def _attempt(self, gate: _Gate, method: str, path: str, params: dict | None, json: Any,
                       files: dict | None = None, data: dict | None = None) -> httpx.Response:
        await gate.wait_for_window()
        share = self.settings.quota_share
        window_s = math.ceil(gate.window_ms / 1000)
        await self._limiter.acquire(self.store_hash, math.floor(gate.quota * share), window_s)
        await gate.wait_for_window()  # the limiter may have waited: look again
        gate.in_flight += 1
        try:
            self.requests_sent += 1
            response = await self._http.request(method, path, params=params, json=json, files=files, data=data)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise _Failure(ConnectorErrorCode.TRANSIENT, f"{method} {path}: {type(exc).__name__}", unsent=True) from None
        except httpx.HTTPError as exc:
            raise _Failure(ConnectorErrorCode.TRANSIENT, f"{method} {path}: {type(exc).__name__}") from None
        finally:
            gate.in_flight -= 1
        before = (gate.quota, gate.window_ms, gate.known)
        had_headers = gate.observe(response.headers)
        if had_headers and before != (gate.quota, gate.window_ms, True):
            await self._limiter.remember_quota(self.store_hash, gate.quota, gate.window_ms)
        status = response.status_code
        if status < 300:
            return response
        title = _title(response)
        message = f"{method} {path}: {status} {title}".strip()
        if status == 429:
            retry_after = None
            if had_headers:
                retry_after = int(response.headers[_H_RESET]) / 1000
            elif "x-retry-after" in response.headers:
                try:
                    retry_after = float(response.headers["x-retry-after"])
                except ValueError:
                    retry_after = None
            log.info("bigcommerce throttled", extra={"store": self.store_hash, "retry_after": retry_after})
            raise _Failure(ConnectorErrorCode.RATE_LIMITED, message, retry_after=retry_after,
                           throttled_without_headers=not had_headers)
        if status in (401, 403):
            raise _Failure(ConnectorErrorCode.UNAUTHORIZED, message)
        if status == 404:
            raise _Failure(ConnectorErrorCode.NOT_FOUND, message)
        if status >= 500:
            raise _Failure(ConnectorErrorCode.TRANSIENT, message)
        raise _Failure(ConnectorErrorCode.INVALID, message)


def _title(response: httpx.Response) -> str:
    """A short, safe description of an error body (v3 ``title``, v2 ``message``)."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, list) and body and isinstance(body[0], dict):
        body = body[0]
    if isinstance(body, dict):
        text = body.get("title") or body.get("message") or body.get("error") or ""
        return str(text)[:200]
    return ""
