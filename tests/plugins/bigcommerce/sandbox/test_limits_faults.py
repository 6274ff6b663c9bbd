"""Rate limits shared per store, and injected faults."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from .conftest import ValidatingClient, auth, v3


async def test_window_is_shared_by_all_clients_of_a_store(api, make_store, sandbox_url):
    store = await make_store(products=3, quota=4, window_ms=400)
    other = await make_store(products=3, quota=4, window_ms=400)
    h = auth(store)
    async with ValidatingClient(base_url=sandbox_url) as second:
        lefts = []
        for client in (api, second, api, second):
            r = await client.get(v3(store, "/catalog/products"), headers=h)
            assert r.status_code == 200
            lefts.append(int(r.headers["x-rate-limit-requests-left"]))
        assert lefts == [3, 2, 1, 0]
        r = await second.get(v3(store, "/catalog/products"), headers=h)
    assert r.status_code == 429
    assert r.headers["x-rate-limit-requests-quota"] == "4"
    assert r.headers["x-rate-limit-time-window-ms"] == "400"
    assert 0 < int(r.headers["x-rate-limit-time-reset-ms"]) <= 400
    # another store has its own window
    assert (await api.get(v3(other, "/catalog/products"), headers=auth(other))).status_code == 200
    await asyncio.sleep(int(r.headers["x-rate-limit-time-reset-ms"]) / 1000 + 0.05)
    r = await api.get(v3(store, "/catalog/products"), headers=h)
    assert r.status_code == 200 and r.headers["x-rate-limit-requests-left"] == "3"
    state = (await api.get(f"/_sandbox/stores/{store['store_hash']}")).json()
    assert state["throttled"] == 1 and state["requests"] == 6


async def test_429_without_headers_when_asked(api, make_store):
    store = await make_store(products=1, quota=1, window_ms=10000)
    await api.put(f"/_sandbox/stores/{store['store_hash']}/faults", json={"throttle_without_headers_rate": 1.0})
    assert (await api.get(v3(store, "/catalog/products"), headers=auth(store))).status_code == 200
    r = await api.get(v3(store, "/catalog/products"), headers=auth(store))
    assert r.status_code == 429 and "x-rate-limit-requests-left" not in r.headers


async def test_concurrency_cap(api, make_store):
    store = await make_store(products=1, quota=1000, concurrency=2)
    await api.put(f"/_sandbox/stores/{store['store_hash']}/faults", json={"latency_ms": 150})
    rs = await asyncio.gather(*[api.get(v3(store, "/catalog/products"), headers=auth(store)) for _ in range(5)])
    codes = sorted(r.status_code for r in rs)
    assert codes.count(200) == 2 and codes.count(429) == 3


async def test_latency_and_503_burst(api, make_store):
    store = await make_store(products=1)
    base = f"/_sandbox/stores/{store['store_hash']}/faults"
    await api.put(base, json={"latency_ms": 120})
    t = time.monotonic()
    assert (await api.get(v3(store, "/catalog/products"), headers=auth(store))).status_code == 200
    assert time.monotonic() - t >= 0.12
    await api.put(base, json={"latency_ms": 0, "fail_next": {"count": 3, "status": 503}})
    codes = [(await api.get(v3(store, "/catalog/products"), headers=auth(store))).status_code for _ in range(4)]
    assert codes == [503, 503, 503, 200]


async def test_error_rate_is_deterministic_for_a_seed(api, make_store):
    async def run() -> list[int]:
        store = await make_store(products=1, quota=1000)
        await api.put(f"/_sandbox/stores/{store['store_hash']}/faults", json={"seed": 42, "error_rate": 0.3})
        return [(await api.get(v3(store, "/catalog/products/1"), headers=auth(store))).status_code
                for _ in range(30)]
    a, b = await run(), await run()
    assert a == b and 500 in a and 200 in a


async def test_dropped_connection_after_applying_a_write(api, store):
    await api.put(f"/_sandbox/stores/{store['store_hash']}/faults", json={"drop_next": 1})
    h = auth(store)
    before = len((await api.get(v3(store, "/catalog/products/4/images"), headers=h)).json()["data"])
    with pytest.raises(httpx.RemoteProtocolError):
        await api.post(v3(store, "/catalog/products/4/images"), headers=h,
                       files={"image_file": ("a.png", _png(), "image/png")})
    after = (await api.get(v3(store, "/catalog/products/4/images"), headers=h)).json()["data"]
    assert len(after) == before + 1, "the write happened although the client got no answer"
    faults = (await api.get(f"/_sandbox/stores/{store['store_hash']}/faults")).json()
    assert faults["injected"]["dropped"] == 1


def _png() -> bytes:
    import io

    from PIL import Image
    buf = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buf, "PNG")
    return buf.getvalue()
