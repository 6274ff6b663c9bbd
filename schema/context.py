"""The per-request context every resolver gets: who asks, and their loaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import strawberry
from starlette.requests import Request
from starlette.websockets import WebSocket

from core.accounts.models import User


@dataclass
class Context:
    request: Request | WebSocket
    response: Any = None
    user: User | None = None
    token: str | None = None
    connection_params: dict | None = None  # set by the websocket handshake
    # Per-request DataLoaders, created on first use (see schema.loaders).
    loaders: dict[str, Any] = field(default_factory=dict)


Info = strawberry.Info[Context, None]
