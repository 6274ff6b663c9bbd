"""The Mailer port: SMTP at scale, ``.eml`` files in a folder by default."""

from __future__ import annotations

import asyncio
import uuid
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from core.timeutil import utcnow


class Mailer(Protocol):
    async def send(self, message: EmailMessage) -> None: ...


class EmlFolderMailer:
    """Writes each message to ``<folder>/<time>-<id>.eml`` (open it with any mail client)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{utcnow():%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.eml"
        data = bytes(message)
        tmp = self.folder / (name + ".tmp")
        await asyncio.to_thread(tmp.write_bytes, data)
        tmp.rename(self.folder / name)  # readers never see half a message


class SmtpMailer:
    """``smtp://user:pass@host:587`` (STARTTLS when offered) or ``smtps://host:465``."""

    def __init__(self, url: str, timeout: float = 30) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError("PIXPORT_SMTP_URL must start with smtp:// or smtps://")
        self._options = {
            "hostname": parts.hostname or "localhost",
            "port": parts.port or (465 if parts.scheme == "smtps" else 25),
            "username": unquote(parts.username) if parts.username else None,
            "password": unquote(parts.password) if parts.password else None,
            "use_tls": parts.scheme == "smtps",
            "timeout": timeout,
        }

    async def send(self, message: EmailMessage) -> None:
        import aiosmtplib

        await aiosmtplib.send(message, **self._options)
