"""arq speaks JSON here, never pickle: only ids cross Redis."""

from __future__ import annotations

import json

from arq.connections import RedisSettings


def serialize(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def deserialize(data: bytes):
    return json.loads(data)


def arq_redis_settings(redis_url: str) -> RedisSettings:
    return RedisSettings.from_dsn(redis_url)
