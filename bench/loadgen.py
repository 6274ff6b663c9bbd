"""A small HTTP/1.1 keep-alive load generator (run as its own process).

``python bench/loadgen.py URL SECONDS CONCURRENCY BODY_FILE HEADER...`` prints one
JSON line: requests, errors, requests/s, p50 and p99 in ms. Raw asyncio streams,
so the client costs far less CPU than the server it measures.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from urllib.parse import urlsplit


async def worker(host, port, request: bytes, deadline: float, latencies: list, errors: list) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            writer.write(request)
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            if b" 200 " not in status_line:
                errors.append(status_line)
    finally:
        writer.close()


async def main(url: str, seconds: float, concurrency: int, body: bytes, headers: list[str]) -> None:
    parts = urlsplit(url)
    head = [f"{'POST' if body else 'GET'} {parts.path or '/'} HTTP/1.1", f"Host: {parts.netloc}", *headers]
    if body:
        head += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    request = ("\r\n".join(head) + "\r\n\r\n").encode() + body
    latencies: list[float] = []
    errors: list = []
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    await asyncio.gather(*(worker(parts.hostname, parts.port, request, deadline, latencies, errors) for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    pct = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else float("nan")  # noqa: E731
    print(json.dumps({"requests": len(latencies), "errors": len(errors), "rps": len(latencies) / elapsed,
                      "p50_ms": pct(0.50), "p99_ms": pct(0.99)}))


if __name__ == "__main__":
    url, seconds, concurrency, body_file, *headers = sys.argv[1:]
    body = open(body_file, "rb").read() if body_file != "-" else b""
    asyncio.run(main(url, float(seconds), int(concurrency), body, headers))
