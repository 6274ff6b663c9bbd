"""Reading what Pixport mailed: from a real SMTP server (aiosmtpd) or the .eml folder."""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller

from tests.support.servers import free_port


@dataclass
class Mailbox:
    data_dir: Path
    folder: Path | None = None  # the .eml folder of the embedded default
    received: list[EmailMessage] = field(default_factory=list)  # via SMTP
    smtp_url: str | None = None

    def messages(self) -> list[EmailMessage]:
        if self.folder is None:
            return list(self.received)
        if not self.folder.exists():
            return []
        return [
            email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in sorted(self.folder.glob("*.eml"))
        ]

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages() if m["To"] == address]

    def clear(self) -> None:
        self.received.clear()
        if self.folder is not None and self.folder.exists():
            for p in self.folder.glob("*.eml"):
                p.unlink()


class _Handler:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_DATA(self, server, session, envelope):
        self.box.received.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


def start_smtp_server(box: Mailbox) -> Controller:
    port = free_port()
    controller = Controller(_Handler(box), hostname="127.0.0.1", port=port)
    controller.start()
    box.smtp_url = f"smtp://127.0.0.1:{port}"
    return controller


def body_text(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def body_html(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()
