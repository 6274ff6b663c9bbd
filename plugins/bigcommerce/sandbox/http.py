"""Response helpers shared by the emulated API and the control API."""

from __future__ import annotations

import json

import orjson
from starlette.responses import Response

ERROR_TYPE = "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes"


def dumps(obj) -> bytes:
    """Compact UTF-8 JSON (orjson: a page of 250 products with images and variants is ~1 MB).

    orjson writes what ``json.dumps(obj, separators=(",", ":"), ensure_ascii=False)`` writes for
    the values the sandbox answers with; for anything it refuses (an int beyond 64 bits, a key
    that is not a str/int/float/bool/None...) the standard library decides, as before."""
    try:
        return orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def json_response(obj, status: int = 200, headers: dict | None = None) -> Response:
    return Response(dumps(obj), status_code=status, headers=headers, media_type="application/json")


def error(status: int, title: str, errors: dict | None = None, headers: dict | None = None, **extra) -> Response:
    """A v3 error body: ``{status, title, type[, errors]}``."""
    body = {"status": status, "title": title, "type": ERROR_TYPE}
    if errors is not None:
        body["errors"] = errors
    body.update(extra)
    return json_response(body, status, headers)


def empty(status: int = 204, headers: dict | None = None) -> Response:
    return Response(b"", status_code=status, headers=headers)
