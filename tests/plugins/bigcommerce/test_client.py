"""The REST client against the sandbox: within the store's rate limit, through 429s,
503 bursts and dropped connections, and one shared quota share across processes."""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import pytest

from core.connectors import ConnectorError, ConnectorErrorCode
from plugins.bigcommerce.client import BigCommerceClient
from tests.plugins.bigcommerce.conftest import plugin_settings


async def _store(bc_sandbox, **options) -> dict:
    options.setdefault("products", 5)
    return await bc_sandbox.create_store(**options)


def _client(bc_sandbox_url, remote, redis_url=None, **overrides) -> BigCommerceClient:
    return BigCommerceClient(remote["store_hash"], remote["access_token"], plugin_settings(bc_sandbox_url, **overrides),
                             redis_url=redis_url)


async def test_a_burst_at_a_small_quota_causes_no_429(bc_sandbox, bc_sandbox_url):
    remote = await _store(bc_sandbox, quota=10, window_ms=1000)
    client = _client(bc_sandbox_url, remote, quota_share=1.0, max_concurrency=3)
    try:
        started = time.monotonic()
        results = await asyncio.gather(*(client.get("/v3/catalog/products", {"limit": 1}) for _ in range(25)))
        elapsed = time.monotonic() - started
    finally:
        await client.aclose()
    assert all(r["data"] for r in results)
    state = await bc_sandbox.state(remote["store_hash"])
    assert state["throttled"] == 0 and state["requests"] == 25
    assert elapsed >= 2.0  # 25 requests at 10 a second need three windows


async def test_the_quota_share_is_respected(bc_sandbox, bc_sandbox_url):
    remote = await _store(bc_sandbox, quota=20, window_ms=1000)
    client = _client(bc_sandbox_url, remote, quota_share=0.5)
    try:
        await asyncio.gather(*(client.get("/v2/store") for _ in range(25)))
    finally:
        await client.aclose()
    # Arrival times jitter on a busy machine, so the share is checked over a shorter window.
    assert _max_in_window(await _arrivals(bc_sandbox, remote), 0.7) <= 10
    assert (await bc_sandbox.state(remote["store_hash"]))["throttled"] == 0


async def test_a_503_burst_is_retried_and_a_post_is_not_repeated_blindly(bc_sandbox, bc_sandbox_url):
    remote = await _store(bc_sandbox)
    h = remote["store_hash"]
    client = _client(bc_sandbox_url, remote)
    try:
        await bc_sandbox.call("PUT", f"{h}/faults", json={"fail_next": {"count": 4, "status": 503}})
        assert (await client.get("/v3/catalog/products/1"))["data"]["id"] == 1
        assert (await bc_sandbox.state(h))["requests"] == 5

        await bc_sandbox.call("PUT", f"{h}/faults", json={"fail_next": {"count": 1, "status": 503}})
        with pytest.raises(ConnectorError) as failed:
            await client.post("/v3/hooks", {"scope": "store/product/updated", "destination": "https://x.test/h"})
        assert failed.value.code == ConnectorErrorCode.TRANSIENT
        assert (await bc_sandbox.state(h))["requests"] == 6  # sent once: the caller reconciles

        await bc_sandbox.call("PUT", f"{h}/faults", json={"fail_next": {"count": 50, "status": 500}})
        with pytest.raises(ConnectorError) as gave_up:
            await client.get("/v3/catalog/products/1")
        assert gave_up.value.code == ConnectorErrorCode.TRANSIENT and gave_up.value.retryable
        await bc_sandbox.call("DELETE", f"{h}/faults")

        await bc_sandbox.call("PUT", f"{h}/faults", json={"drop_next": 1, "drop_methods": ["PUT"]})
        await client.put("/v3/catalog/products/2", {"name": "Renamed twice safely"})  # a PUT is retried
    finally:
        await client.aclose()


async def test_a_429_storm_from_other_apps_is_waited_out(bc_sandbox, bc_sandbox_url):
    """Another app holds the quota; Pixport's requests are throttled, wait and succeed."""
    remote = await _store(bc_sandbox, quota=6, window_ms=1000)
    h = remote["store_hash"]
    client = _client(bc_sandbox_url, remote)
    other = httpx.AsyncClient(base_url=f"{bc_sandbox_url}/stores/{h}",
                              headers={"X-Auth-Token": remote["access_token"], "Accept": "application/json"})
    try:
        for _ in range(6):
            await other.get("/v2/time")
        results = await asyncio.gather(*(client.get("/v2/time") for _ in range(6)))
    finally:
        await client.aclose()
        await other.aclose()
    assert len(results) == 6
    state = await bc_sandbox.state(h)
    # at most one refused request per request in flight: after the first 429 the reset time is known
    assert state["throttled"] <= 3


async def test_a_429_without_headers_is_backed_off_longer(bc_sandbox, bc_sandbox_url):
    remote = await _store(bc_sandbox, quota=3, window_ms=400)
    h = remote["store_hash"]
    await bc_sandbox.call("PUT", f"{h}/faults", json={"throttle_without_headers_rate": 1.0})
    client = _client(bc_sandbox_url, remote, throttled_backoff_seconds=0.25, max_concurrency=1)
    other = httpx.AsyncClient(base_url=f"{bc_sandbox_url}/stores/{h}", headers={"X-Auth-Token": remote["access_token"]})
    try:
        for _ in range(3):
            await other.get("/v2/time")
        started = time.monotonic()
        await client.get("/v2/time")  # refused without headers, then let through after a backoff
        elapsed = time.monotonic() - started
    finally:
        await client.aclose()
        await other.aclose()
    state = await bc_sandbox.state(h)
    assert state["throttled"] >= 1 and elapsed >= 0.25


async def test_errors_map_to_connector_codes_and_never_show_the_token(bc_sandbox, bc_sandbox_url):
    remote = await _store(bc_sandbox)
    client = _client(bc_sandbox_url, remote)
    bad = BigCommerceClient(remote["store_hash"], "not-the-token", plugin_settings(bc_sandbox_url), redis_url=None)
    try:
        with pytest.raises(ConnectorError) as missing:
            await client.get("/v3/catalog/products/987654")
        assert missing.value.code == ConnectorErrorCode.NOT_FOUND
        with pytest.raises(ConnectorError) as invalid:
            await client.get("/v3/catalog/products", {"limit": 0})
        assert invalid.value.code == ConnectorErrorCode.INVALID
        with pytest.raises(ConnectorError) as refused:
            await bad.get("/v3/catalog/products")
        assert refused.value.code == ConnectorErrorCode.UNAUTHORIZED
        for error in (missing.value, invalid.value, refused.value):
            assert remote["access_token"] not in str(error)
        assert remote["access_token"] not in repr(client)
    finally:
        await client.aclose()
        await bad.aclose()


@pytest.mark.postgres_only  # the scale column: Redis
async def test_two_processes_share_one_quota_share_through_redis(bc_sandbox, bc_sandbox_url, redis_url):
    """Two workers (each its own event loop, connections and header state, as two
    processes have) sync one store: together they stay within the share."""
    remote = await _store(bc_sandbox, quota=20, window_ms=1000)

    async def worker(n: int) -> None:
        client = _client(bc_sandbox_url, remote, redis_url=redis_url, quota_share=0.5)
        try:
            await asyncio.gather(*(client.get("/v2/time") for _ in range(n)))
        finally:
            await client.aclose()

    errors: list[BaseException] = []

    def in_thread() -> None:
        try:
            asyncio.run(worker(12))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    thread = threading.Thread(target=in_thread)
    thread.start()
    await worker(12)
    await asyncio.to_thread(thread.join, 30)
    assert not errors, errors
    arrivals = await _arrivals(bc_sandbox, remote)
    assert len(arrivals) == 24
    assert _max_in_window(arrivals, 0.9) <= 10  # alone, each would have used 10 a second
    assert (await bc_sandbox.state(remote["store_hash"]))["throttled"] == 0


async def _arrivals(bc_sandbox, remote) -> list[float]:
    r = await bc_sandbox.call("GET", f"{remote['store_hash']}/requests", params={"last": 1000})
    return sorted(e["at"] for e in r.json()["log"])


def _max_in_window(times: list[float], width: float) -> int:
    best, j = 0, 0
    for i, t in enumerate(times):
        while times[j] < t - width:
            j += 1
        best = max(best, i - j + 1)
    return best
