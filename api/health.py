from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import JSONResponse

from core import db, runtime


async def healthz(request: Request) -> JSONResponse:
    """The process is up."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """The process can serve: its database (and Redis, when configured) answer."""
    checks: dict[str, str] = {}
    try:
        await asyncio.wait_for(db.ping(), timeout=2)
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - a readiness probe reports, never raises
        checks["database"] = f"error: {type(exc).__name__}"
    redis_url = runtime.current().settings.redis
    if redis_url:
        import redis.asyncio as redis

        client = redis.from_url(redis_url)
        try:
            await asyncio.wait_for(client.ping(), timeout=2)
            checks["redis"] = "ok"
        except Exception as exc:  # noqa: BLE001
            checks["redis"] = f"error: {type(exc).__name__}"
        finally:
            await client.aclose()
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse({"status": "ok" if ready else "unavailable", "checks": checks}, status_code=200 if ready else 503)
