"""The BigCommerce sandbox as a real server on loopback (its own thread and event
loop), and a small client for its control API (/_sandbox/...)."""

from __future__ import annotations

import threading
import time

import httpx
import uvicorn

from tests.support.servers import free_port


def serve_in_thread(app) -> tuple[str, uvicorn.Server]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical", lifespan="on"))
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.time() + 10
    while not server.started:
        if time.time() > deadline:
            raise RuntimeError("sandbox did not start")
        time.sleep(0.02)
    return f"http://127.0.0.1:{port}", server


class SandboxControl:
    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.AsyncClient(base_url=url, timeout=30)

    async def create_store(self, **options) -> dict:
        response = await self.http.post("/_sandbox/stores", json=options)
        response.raise_for_status()
        return response.json()

    async def state(self, store_hash: str) -> dict:
        return (await self.http.get(f"/_sandbox/stores/{store_hash}")).raise_for_status().json()

    async def call(self, method: str, path: str, **kwargs) -> httpx.Response:
        return await self.http.request(method, f"/_sandbox/stores/{path}", **kwargs)
