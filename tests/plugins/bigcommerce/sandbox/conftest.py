"""Fixtures for the BigCommerce sandbox tests.

- ``sandbox_url``: a real uvicorn server running ``create_app()`` on 127.0.0.1 (a thread, its
  own event loop), for the whole session.
- ``api``: an ``httpx.AsyncClient`` on that server whose every response to the emulated API is
  validated against the BigCommerce OpenAPI files (and every request the sandbox accepted, too).
- ``make_store(**options)``: creates a store through the control API, returns its JSON
  (``store_hash``, ``access_token``, ...).
- ``receiver``: a second uvicorn server that records every request (the app's callbacks and
  webhook destinations) and can answer with a configured status/redirect.
"""

from __future__ import annotations

import asyncio
import copy
import socket
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache

import httpx
import pytest
import pytest_asyncio
import uvicorn
import yaml
from openapi_core import OpenAPI
from openapi_core.templating.media_types.exceptions import MediaTypeNotFound
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_schema_validator import OAS30Validator
from starlette.applications import Starlette
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from plugins.bigcommerce.sandbox.app import create_app

from tests.support.openapi import to_openapi
from tests.support.paths import SHARED

SPECS = SHARED / "specs" / "bigcommerce"
SPEC_HOST = "https://api.bigcommerce.com"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(app) -> tuple[str, uvicorn.Server, threading.Thread]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical",
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 10
    while not server.started:
        if time.time() > deadline:
            raise RuntimeError("server did not start")
        time.sleep(0.02)
    return f"http://127.0.0.1:{port}", server, thread


# ---- OpenAPI validation -----------------------------------------------------------------

def _open_oneof_to_anyof(node) -> None:
    """Spec flaw: image responses (create/update product image) are a ``oneOf`` of two open objects
    (the "application/json" and "multipart/form-data" shapes, neither with required fields nor
    additionalProperties: false), so every image matches both and ``oneOf`` can never succeed.
    Within responses, such a ``oneOf`` of open objects is read as ``anyOf``."""
    if isinstance(node, dict):
        alts = node.get("oneOf")
        if isinstance(alts, list) and all(isinstance(a, dict) and "$ref" not in a and not a.get("required")
                                          and a.get("additionalProperties") is not False for a in alts):
            node["anyOf"] = node.pop("oneOf")
        for v in node.values():
            _open_oneof_to_anyof(v)
    elif isinstance(node, list):
        for v in node:
            _open_oneof_to_anyof(v)


def _patched(name: str) -> dict:
    spec = yaml.safe_load((SPECS / name).read_text())
    # openapi-core reads `content: {}` (how these specs write "no body", e.g. every 204) as "a body
    # is required" and reports MissingData for the empty 204; drop the empty maps.
    for item in spec["paths"].values():
        for op in item.values():
            if isinstance(op, dict):
                for resp in op.get("responses", {}).values():
                    if isinstance(resp, dict) and resp.get("content") == {}:
                        del resp["content"]
                    elif isinstance(resp, dict):
                        _open_oneof_to_anyof(resp)
    if name == "products_catalog.v3.yml":
        # Spec flaw: product_Full.base_variant_id is "null for complex products" (its own
        # description) but is typed as a non-nullable integer.
        for part in spec["components"]["schemas"]["product_Full"]["allOf"]:
            if "base_variant_id" in part.get("properties", {}):
                part["properties"]["base_variant_id"]["nullable"] = True
    if name in ("products_catalog.v3.yml", "product-variants_catalog.v3.yml"):
        # Spec flaw: a base variant (the only variant of a simple product) has no SKU record of
        # its own, so BigCommerce returns sku_id null; the spec types it as a non-nullable integer.
        for sname in ("productVariant_Full",):
            s = spec["components"]["schemas"].get(sname)
            for part in (s or {}).get("allOf", []):
                if "sku_id" in part.get("properties", {}):
                    part["properties"]["sku_id"]["nullable"] = True
    return spec


@lru_cache(maxsize=None)
def openapi(name: str) -> tuple[OpenAPI, dict]:
    spec = _patched(name)
    return OpenAPI.from_dict(spec), spec


def spec_for(path: str) -> str | None:
    parts = path.split("/")
    if len(parts) < 4 or parts[1] != "stores":
        return None
    rest = "/" + "/".join(parts[4:])
    if parts[3] == "v2":
        return "store_information.v2.yml"
    if rest.startswith("/hooks"):
        return "webhooks.v3.yml"
    if rest.startswith("/catalog/variants") or "/variants" in rest:
        return "product-variants_catalog.v3.yml"
    if rest.startswith("/catalog/products"):
        return "products_catalog.v3.yml"
    return None


class SpecViolation(AssertionError):
    pass


def validate_exchange(request: httpx.Request, response: httpx.Response) -> bool:
    """Validate one exchange with the emulated API; returns False when no spec covers it."""
    name = spec_for(request.url.path)
    if name is None:
        return False
    oa, raw = openapi(name)
    req, resp = to_openapi(request, response, SPEC_HOST)
    try:
        oa.validate_response(req, resp)
    except (ResponseNotFound, MediaTypeNotFound):
        # A status the operation does not list (429, 5xx, 413, ...) or a 401, which the catalog
        # spec declares as "plain/text" while the webhooks spec and the platform answer JSON: the
        # body must still be BigCommerce's error object.
        if response.status_code < 400:
            raise
        schema = copy.deepcopy(raw["components"]["schemas"].get("GeneralError")) or {
            "type": "object", "required": ["status", "title", "type"]}
        OAS30Validator(schema).validate(response.json())
        assert response.json()["status"] == response.status_code
    except Exception as e:
        raise SpecViolation(f"{request.method} {request.url} -> {response.status_code}: {e!r}\n"
                            f"{getattr(e, '__cause__', '')!r}\n{response.text[:2000]}") from e
    if 200 <= response.status_code < 300 and request.method in ("POST", "PUT") and request.content:
        try:
            oa.validate_request(req)
        except Exception as e:
            raise SpecViolation(f"request accepted by the sandbox is invalid: {request.method} {request.url}: "
                                f"{e!r} {getattr(e, '__cause__', '')!r}") from e
    return True


class ValidatingClient(httpx.AsyncClient):
    """An AsyncClient whose exchanges with the emulated API are checked against the specs."""

    validated = 0

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("timeout", 30.0)
        super().__init__(*args, **kwargs)

    async def send(self, request, **kwargs):
        await request.aread()  # keep the body (multipart too) for request validation
        response = await super().send(request, **kwargs)
        await response.aread()
        if validate_exchange(request, response):
            ValidatingClient.validated += 1
        return response


# ---- servers ----------------------------------------------------------------------------

@pytest.fixture(scope="session")
def sandbox_url():
    url, server, thread = serve(create_app())
    yield url
    server.should_exit = True
    thread.join(5)


@pytest.fixture(scope="session")
def _specs_loaded():
    for name in ("products_catalog.v3.yml", "product-variants_catalog.v3.yml", "webhooks.v3.yml",
                 "store_information.v2.yml"):
        openapi(name)


@pytest_asyncio.fixture
async def api(sandbox_url, _specs_loaded):
    async with ValidatingClient(base_url=sandbox_url, headers={"Accept": "application/json"}) as client:
        yield client


@pytest_asyncio.fixture
async def make_store(api):
    async def make(**options):
        options.setdefault("products", 12)
        options.setdefault("seed", 7)
        r = await api.post("/_sandbox/stores", json=options)
        assert r.status_code == 200, r.text
        return r.json()
    return make


@pytest_asyncio.fixture
async def store(make_store):
    return await make_store()


def auth(store: dict) -> dict:
    return {"X-Auth-Token": store["access_token"], "Accept": "application/json"}


def v3(store: dict, path: str) -> str:
    return f"/stores/{store['store_hash']}/v3{path}"


@dataclass
class Recorded:
    method: str
    path: str
    query: dict
    headers: dict
    body: bytes


@dataclass
class Receiver:
    url: str
    requests: list = field(default_factory=list)
    answers: dict = field(default_factory=dict)  # path -> (status, headers, body)
    handlers: dict = field(default_factory=dict)  # path -> async callable(request) -> Response

    def clear(self) -> None:
        self.requests.clear()
        self.answers.clear()
        self.handlers.clear()

    def at(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.path == path]

    async def wait_for(self, path: str, n: int = 1, timeout: float = 5.0) -> list[Recorded]:
        deadline = time.time() + timeout
        while len(self.at(path)) < n:
            if time.time() > deadline:
                raise AssertionError(f"expected {n} requests at {path}, got {len(self.at(path))}")
            await asyncio.sleep(0.02)
        return self.at(path)


@pytest.fixture(scope="session")
def _receiver():
    rec = Receiver(url="")

    async def anything(request):
        body = await request.body()
        rec.requests.append(Recorded(request.method, request.url.path, dict(request.query_params),
                                     dict(request.headers), body))
        h = rec.handlers.get(request.url.path)
        if h is not None:
            return await h(request)
        status, headers, content = rec.answers.get(request.url.path, (200, {}, b"ok"))
        return Response(content, status_code=status, headers=headers)

    app = Starlette(routes=[Route("/{path:path}", anything, methods=["GET", "POST", "PUT", "DELETE"])])
    url, server, thread = serve(app)
    rec.url = url
    yield rec
    server.should_exit = True
    thread.join(5)


@pytest.fixture
def receiver(_receiver):
    _receiver.clear()
    yield _receiver
    _receiver.clear()


__all__ = ["auth", "v3", "JSONResponse", "ValidatingClient"]
