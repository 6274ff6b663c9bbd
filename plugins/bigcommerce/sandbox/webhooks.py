"""Webhook delivery as BigCommerce does it.

An event becomes one POST per matching active hook, with a JSON body
``{scope, store_id, data, hash, created_at, producer}``, the hook's custom headers,
and the Standard Webhooks headers (``webhook-id``, ``webhook-timestamp``,
``webhook-signature: v1,<base64 HMAC-SHA256(client_secret, id.ts.body)>``).

Destinations must be ``https`` on port 443.  Tests cannot listen there, so the
sandbox has a route table (``POST /_sandbox/webhook_routes``) that maps a
destination origin such as ``https://app.example.com`` to a local one; the
request still carries the original path and query.

Failed deliveries are retried on BigCommerce's schedule multiplied by the
store's ``webhook_retry_scale`` (default 1.0; tests use a small scale).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
import uuid
from urllib.parse import urlsplit

import httpx

RETRY_SCHEDULE_S = [60, 180, 300, 600, 900, 1800, 3600, 7200, 21600, 50400, 86400]


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def scope_matches(hook_scope: str, event_scope: str) -> bool:
    if hook_scope == event_scope:
        return True
    if hook_scope.endswith("/*"):
        return event_scope.startswith(hook_scope[:-1])
    return False


class Dispatcher:
    def __init__(self, sandbox, store):
        self.sandbox = sandbox
        self.store = store
        self.queue: asyncio.Queue | None = None
        self.worker: asyncio.Task | None = None
        self.buffer: list[tuple] = []
        self.flush_handle: asyncio.TimerHandle | None = None
        self.pending: set[asyncio.Task] = set()
        self.log: list[dict] = []
        self.retry_scale = 1.0
        self.client: httpx.AsyncClient | None = None

    def _ensure(self) -> None:
        if self.queue is None:
            self.queue = asyncio.Queue()
            self.client = httpx.AsyncClient(timeout=10.0)
            self.worker = asyncio.get_running_loop().create_task(self._run())

    def emit(self, scope: str, data: dict) -> int:
        """Queue an event for every active hook of the store whose scope matches."""
        store = self.store
        hooks = [h for h in store.hooks.values() if h["is_active"] and scope_matches(h["scope"], scope)]
        if not hooks:
            return 0
        self._ensure()
        created_at = int(time.time())
        for h in hooks:
            payload = {"scope": scope, "store_id": str(store.store_id), "data": data,
                       "created_at": created_at, "producer": f"stores/{store.hash}"}
            payload["hash"] = hashlib.sha1(json.dumps(payload, sort_keys=True).encode()).hexdigest()
            item = (h["id"], payload, "msg_" + uuid.uuid4().hex)
            window = int(store.faults.settings.get("webhook_reorder_window") or 0)
            if window > 1:
                self.buffer.append(item)
                if len(self.buffer) >= window:
                    self._flush_buffer()
                elif self.flush_handle is None:
                    self.flush_handle = asyncio.get_running_loop().call_later(0.5, self._flush_buffer)
            else:
                self.queue.put_nowait(item)
        return len(hooks)

    def _flush_buffer(self) -> None:
        if self.flush_handle is not None:
            self.flush_handle.cancel()
            self.flush_handle = None
        batch, self.buffer = self.buffer, []
        if len(batch) > 1:
            shuffled = list(batch)
            self.store.faults.hook_rng.shuffle(shuffled)
            if shuffled == batch:
                shuffled.reverse()
            batch = shuffled
            self.store.faults.injected["webhook_reordered_batches"] += 1
        for item in batch:
            self.queue.put_nowait(item)

    async def _run(self) -> None:
        while True:
            item = await self.queue.get()
            try:
                await self._deliver(*item, attempt=1)
                if self.store.faults.duplicate_delivery():
                    await self._deliver(*item, attempt=1, duplicate=True)
            except Exception:  # pragma: no cover - never let the worker die
                pass
            finally:
                self.queue.task_done()

    def route(self, destination: str) -> str:
        parts = urlsplit(destination)
        origin = f"{parts.scheme}://{parts.netloc}"
        for src, dst in self.sandbox.webhook_routes.items():
            if origin == src or (parts.port is None and origin + ":443" == src):
                rest = destination[len(origin):]
                return dst.rstrip("/") + rest
        return destination

    async def _deliver(self, hook_id: int, payload: dict, msg_id: str, attempt: int, duplicate: bool = False) -> None:
        hook = self.store.hooks.get(hook_id)
        if hook is None:
            return
        body = json.dumps(payload).encode()
        ts = int(time.time())
        secret = self.sandbox.client_secret_of(self.store, hook["client_id"]) or ""
        headers = {"content-type": "application/json", "user-agent": "BigCommerce-Webhooks (sandbox)"}
        headers.update(hook.get("headers") or {})
        headers["webhook-id"] = msg_id
        headers["webhook-timestamp"] = str(ts)
        headers["webhook-signature"] = sign(secret, msg_id, ts, body)
        entry = {"hook_id": hook_id, "webhook_id": msg_id, "scope": payload["scope"], "data": payload["data"],
                 "hash": payload["hash"], "destination": hook["destination"], "attempt": attempt,
                 "duplicate": duplicate, "status": None, "error": None, "at": time.time()}
        try:
            resp = await self.client.post(self.route(hook["destination"]), content=body, headers=headers)
            entry["status"] = resp.status_code
            ok = 200 <= resp.status_code < 300
        except httpx.HTTPError as e:
            entry["error"] = type(e).__name__
            ok = False
        self.log.append(entry)
        if not ok and attempt <= len(RETRY_SCHEDULE_S) and self.retry_scale > 0:
            delay = RETRY_SCHEDULE_S[attempt - 1] * self.retry_scale
            task = asyncio.get_running_loop().create_task(self._retry(delay, hook_id, payload, msg_id, attempt + 1))
            self.pending.add(task)
            task.add_done_callback(self.pending.discard)

    async def _retry(self, delay: float, *args) -> None:
        await asyncio.sleep(delay)
        await self._deliver(*args[:3], attempt=args[3])

    async def drain(self, timeout: float = 10.0) -> None:
        """Deliver everything queued (including a reorder buffer) and wait for it."""
        if self.queue is None:
            return
        if self.buffer:
            self._flush_buffer()
        await asyncio.wait_for(self.queue.join(), timeout)

    async def close(self) -> None:
        for t in list(self.pending):
            t.cancel()
        if self.worker is not None:
            self.worker.cancel()
        if self.client is not None:
            await self.client.aclose()
