"""The front-end contract: the schema as SDL, and the operations front ends send."""

from __future__ import annotations

from strawberry.printer import print_schema

from core.settings import Settings
from schema import build_schema


def schema_sdl() -> str:
    return print_schema(build_schema(Settings())) + "\n"
