"""An httpx exchange in the shape openapi-core validates (request and response)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl

import httpx
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict


@dataclass
class OARequest:
    host_url: str
    path: str
    method: str
    parameters: RequestParameters
    body: bytes | None
    content_type: str


@dataclass
class OAResponse:
    status_code: int
    headers: Headers
    content_type: str
    data: bytes


def to_openapi(request: httpx.Request, response: httpx.Response, host_url: str) -> tuple[OARequest, OAResponse]:
    """``host_url`` is the server the spec names (the exchange itself ran on loopback)."""
    query = request.url.query.decode() if isinstance(request.url.query, bytes) else request.url.query
    req = OARequest(
        host_url=host_url, path=request.url.path, method=request.method.lower(),
        parameters=RequestParameters(query=ImmutableMultiDict(parse_qsl(query)),
                                     header=Headers(dict(request.headers)), cookie=ImmutableMultiDict()),
        body=request.content or None, content_type=request.headers.get("content-type", ""),
    )
    resp = OAResponse(response.status_code, Headers(dict(response.headers)),
                      response.headers.get("content-type", ""), response.content)
    return req, resp
