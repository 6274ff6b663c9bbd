"""/graphql over HTTP (POST, JSON) and websockets (graphql-transport-ws)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from core.accounts import services as accounts
from core.settings import Settings
from schema import build_schema
from schema.context import Context


def bearer(value: str | None) -> str | None:
    if value and value[:7].lower() == "bearer ":
        return value[7:].strip()
    return None


class PixportGraphQL(GraphQL):
    def __init__(self, settings: Settings) -> None:
        super().__init__(
            build_schema(settings),
            graphql_ide="graphiql" if settings.debug else None,
            allow_queries_via_get=False,  # no mutations (or anything) over GET
            subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
            allowed_origins=settings.allowed_origins,
            multipart_uploads_enabled=True,
        )

    async def get_context(self, request: Request | WebSocket, response=None) -> Context:
        if isinstance(request, WebSocket):
            return Context(request=request, response=response)  # authenticated in on_ws_connect
        token = bearer(request.headers.get("authorization"))
        return Context(request=request, response=response, token=token, user=await accounts.user_for_token(token))

    async def on_ws_connect(self, context: Context):
        params = context.connection_params or {}
        token = bearer(params.get("authorization") or params.get("Authorization"))
        user = await accounts.user_for_token(token)
        if user is None:
            raise ConnectionRejectionError({"message": "Sign in first: send a valid bearer token in connection_init."})
        context.user, context.token = user, token
