"""Pure ASGI middleware (no buffering, websockets pass through): request ids and
metrics for every request, and a cap on request bodies before anything parses them."""

from __future__ import annotations

import json
import time
import uuid

from api import logs, metrics


class RequestContext:
    """Gives each request an id (``X-Request-ID`` in, or a new one), returns it in the
    response, tags log lines with it, and counts the request for /metrics."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        rid = incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else uuid.uuid4().hex
        token = logs.request_id.set(rid)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if scope["type"] == "http":
                metrics.observe_request(scope["path"], scope["method"], status, time.perf_counter() - started)
            logs.request_id.reset(token)


class BodyLimit:
    """Answers 413 to a body over ``max_bytes`` (``multipart_max_bytes`` for a
    multipart/form-data body: a file upload), by Content-Length or while streaming."""

    def __init__(self, app, max_bytes: int, multipart_max_bytes: int | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.multipart_max_bytes = multipart_max_bytes or max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        multipart = headers.get(b"content-type", b"").lower().startswith(b"multipart/form-data")
        max_bytes = self.multipart_max_bytes if multipart else self.max_bytes
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > max_bytes):
            return await _too_large(send, max_bytes)
        received = 0
        response_started = False

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    raise _TooLarge
            return message

        async def tracking_send(message):
            nonlocal response_started
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not response_started:
                await _too_large(send, max_bytes)


class _TooLarge(Exception):
    pass


async def _too_large(send, max_bytes: int) -> None:
    body = json.dumps({"errors": [{"message": f"Request body larger than {max_bytes} bytes.",
                                   "extensions": {"code": "PAYLOAD_TOO_LARGE"}}]}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
