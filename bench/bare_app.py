"""The baseline for bench/api.py: a bare starlette endpoint doing the same database
read as the GraphQL ``me`` query (bearer token -> session -> user), no GraphQL."""

from __future__ import annotations

import contextlib

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from core import db
from core.accounts import services as accounts
from core.settings import Settings


async def me(request: Request) -> JSONResponse:
    header = request.headers.get("authorization", "")
    user = await accounts.user_for_token(header[7:] if header.lower().startswith("bearer ") else None)
    return JSONResponse({"data": {"me": {"email": user.email, "name": user.name} if user else None}})


def create_app() -> Starlette:
    settings = Settings()

    @contextlib.asynccontextmanager
    async def lifespan(app):
        await db.open_db(settings.db_url)
        yield
        await db.close_db()

    return Starlette(routes=[Route("/me", me, methods=["POST"])], lifespan=lifespan)
