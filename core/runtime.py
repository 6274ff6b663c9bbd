"""The ports this process runs with, chosen once at start-up from the settings.

``core`` code asks ``current()`` for the queue, bus and mailer and never knows
whether they are in-process or Redis/SMTP. The choice itself is made by
``workers.runtime.build_runtime`` (it alone knows the job functions the embedded
runner needs).
"""

from __future__ import annotations

from dataclasses import dataclass

from core.events.bus import EventBus
from core.jobs.queue import JobQueue
from core.notifications.mailer import Mailer
from core.settings import Settings
from core.storage.blobs import BlobStore


@dataclass
class Runtime:
    settings: Settings
    queue: JobQueue
    bus: EventBus
    mailer: Mailer
    blobs: BlobStore


_current: Runtime | None = None


def install(runtime: Runtime | None) -> None:
    global _current
    _current = runtime


def current() -> Runtime:
    if _current is None:
        raise RuntimeError("Pixport's runtime is not started")
    return _current
