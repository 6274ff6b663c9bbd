"""The EventBus port: announces that something changed ("job 42 moved").

Subscribers re-read the row, which is the truth; a lost message only delays an
update (subscriptions also re-check on a timer). Two implementations:
``MemoryEventBus`` for one process, ``RedisEventBus`` so that a subscription on
API process A sees a job run on worker B.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Protocol

log = logging.getLogger(__name__)


class EventBus(Protocol):
    async def publish(self, channel: str, message: dict) -> None: ...

    def subscribe(self, channel: str) -> contextlib.AbstractAsyncContextManager[asyncio.Queue]:
        """A queue that receives every message published on ``channel`` from now on."""
        ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class _LocalFanout:
    """Delivers a message to the queues of this process that listen on its channel."""

    def __init__(self) -> None:
        self._queues: dict[str, set[asyncio.Queue]] = defaultdict(set)

    def deliver(self, channel: str, message: dict) -> None:
        for queue in self._queues.get(channel, ()):
            if queue.full():  # a slow subscriber loses old news, never blocks the bus
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait(message)

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[asyncio.Queue]:
        queue: asyncio.Queue = asyncio.Queue(maxsize=100)
        self._queues[channel].add(queue)
        try:
            yield queue
        finally:
            self._queues[channel].discard(queue)
            if not self._queues[channel]:
                del self._queues[channel]


class MemoryEventBus:
    def __init__(self) -> None:
        self._fanout = _LocalFanout()

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def publish(self, channel: str, message: dict) -> None:
        self._fanout.deliver(channel, message)

    def subscribe(self, channel: str):
        return self._fanout.subscribe(channel)


class RedisEventBus:
    """Redis pub/sub with one connection per process: a single pattern subscription
    fans out to the local subscribers, however many there are."""

    def __init__(self, redis_url: str, namespace: str = "pixport") -> None:
        import redis.asyncio as redis

        self.prefix = f"{namespace}:events:"
        self._redis = redis.from_url(redis_url)
        self._fanout = _LocalFanout()
        self._reader: asyncio.Task | None = None
        self._ready = asyncio.Event()

    async def start(self) -> None:
        self._reader = asyncio.create_task(self._read(), name="redis-event-bus")
        await asyncio.wait_for(self._ready.wait(), timeout=10)

    async def stop(self) -> None:
        if self._reader:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        await self._redis.aclose()

    async def publish(self, channel: str, message: dict) -> None:
        await self._redis.publish(self.prefix + channel, json.dumps(message))

    def subscribe(self, channel: str):
        return self._fanout.subscribe(channel)

    async def _read(self) -> None:
        while True:  # reconnects after a Redis restart
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.psubscribe(self.prefix + "*")
                    self._ready.set()
                    async for item in pubsub.listen():
                        if item["type"] != "pmessage":
                            continue
                        channel = item["channel"].decode()[len(self.prefix):]
                        self._fanout.deliver(channel, json.loads(item["data"]))
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - keep the bus alive, say why
                log.exception("event bus lost its Redis connection; reconnecting")
                await asyncio.sleep(1)
