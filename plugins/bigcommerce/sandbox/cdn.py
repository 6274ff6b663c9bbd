"""The CDN: image files and their resized renditions, on the sandbox's own port.

Paths (as BigCommerce's CDN shapes them):

- ``/s-{hash}/products/{pid}/images/{iid}/{stem}.{ts}.{w}.{h}.{ext}`` - REST ``url_zoom`` etc.
- ``/s-{hash}/images/stencil/{W}x{H}|original/products/{pid}/{iid}/{file}`` - stencil/GraphQL style
- ``/s-{hash}/product_images/{image_file}`` - the original upload
- ``/s-{hash}/product_images/attribute_rule_images/{vid}_source_{ts}.{ext}`` - variant images

Generated pictures are rendered on first download, in a worker thread, and kept in
a size-bounded LRU.  CDN downloads do not count against the API quota.
"""

from __future__ import annotations

import re
from dataclasses import replace

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import render
from .render import MIME

_REST_NAME = re.compile(r"^(?P<stem>.+)\.(?P<ts>\d+)\.(?P<w>\d+)\.(?P<h>\d+)\.(?P<ext>[a-z]+)$")
_VARIANT = re.compile(r"^(?P<vid>\d+)_source_\d+\.(?P<ext>[a-z]+)$")


def _not_found() -> Response:
    return Response(b"Not Found", status_code=404, media_type="text/plain")


def _mime(data: bytes) -> str:
    if data[:3] == b"\xff\xd8\xff":
        return MIME["JPEG"]
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return MIME["PNG"]
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return MIME["WEBP"]
    if data[:3] == b"GIF":
        return MIME["GIF"]
    if data[:2] == b"BM":
        return MIME["BMP"]
    return "application/octet-stream"


async def original_bytes(request: Request, store, rec) -> bytes | None:
    if rec.upload is not None:
        return store.uploads.get(rec.upload)
    pic = store.picture_of(rec)
    if pic is None:
        return None
    return await picture_bytes(request, store, pic)


async def picture_bytes(request: Request, store, pic) -> bytes:
    cache = request.app.state.render_cache
    if pic.duplicate_kind == "same_file":  # the very file of its original: one cache entry for both
        pic = replace(pic, duplicate_of=None, duplicate_kind=None)
    key = ("orig", store.spec.seed, pic)
    data = cache.get(key)
    if data is None:
        data = await run_in_threadpool(render.encode, pic)
        cache.put(key, data)
    return data


async def _rendition(request: Request, store, rec, w: int | None, h: int | None) -> Response:
    data = await original_bytes(request, store, rec)
    if data is None:
        return _not_found()
    if w is None:
        return Response(data, media_type=_mime(data), headers={"cache-control": "public, max-age=31536000"})
    cache = request.app.state.render_cache
    key = ("fit", store.hash, rec.id, rec.upload, rec.gen, w, h)
    hit = cache.get(key)
    if hit is None:
        out, _fmt = await run_in_threadpool(render.resize_to_fit, data, w, h)
        cache.put(key, out)
        hit = out
    return Response(hit, media_type=_mime(hit), headers={"cache-control": "public, max-age=31536000"})


def _store_image(request: Request, pid: str, iid: str):
    sb = request.app.state.sandbox
    store = sb.stores.get(request.path_params["store_hash"])
    if store is None:
        return None, None
    try:
        rec = store.find_image(int(iid))
    except ValueError:
        return store, None
    if rec is None or str(rec.product_id) != pid:
        return store, None
    return store, rec


async def rest_rendition(request: Request) -> Response:
    p = request.path_params
    m = _REST_NAME.match(p["name"])
    store, rec = _store_image(request, p["pid"], p["iid"])
    if m is None or rec is None:
        return _not_found()
    return await _rendition(request, store, rec, int(m["w"]), int(m["h"]))


async def stencil(request: Request) -> Response:
    p = request.path_params
    store, rec = _store_image(request, p["pid"], p["iid"])
    if rec is None:
        return _not_found()
    size = p["size"]
    if size == "original":
        return await _rendition(request, store, rec, None, None)
    m = re.fullmatch(r"(\d+)x(\d+)", size)
    if not m:
        return _not_found()
    return await _rendition(request, store, rec, min(int(m[1]), 4096), min(int(m[2]), 4096))


async def product_images(request: Request) -> Response:
    sb = request.app.state.sandbox
    store = sb.stores.get(request.path_params["store_hash"])
    if store is None:
        return _not_found()
    path = request.path_params["path"]
    if path.startswith("attribute_rule_images/"):
        m = _VARIANT.match(path.split("/", 1)[1])
        if not m:
            return _not_found()
        vid = int(m["vid"])
        pid = store.find_variant(vid)
        if pid is None:
            return _not_found()
        key = next((v["_image_key"] for v in store.variants(pid) if v["id"] == vid), "")
        if key.startswith("up:"):
            data = store.uploads.get(int(key.split(":")[1]))
        elif key.startswith("gen:"):
            data = await picture_bytes(request, store, store.catalog.variant_picture(vid))
        else:
            data = None
        if data is None:
            return _not_found()
        return Response(data, media_type=_mime(data))
    # an original: find the image whose image_file is this path (the image id is in the name)
    m = re.search(r"__(\d+)\.[a-z]+$", path)
    if not m:
        return _not_found()
    rec = store.find_image(int(m[1]))
    if rec is None or rec.image_file != path:
        return _not_found()
    return await _rendition(request, store, rec, None, None)


def _cdn(handler):
    """Each CDN request counted per path (GET /_sandbox/stores/{hash}/cdn tells), and the
    ``cdn_fail_paths`` fault applied."""

    async def serve(request: Request) -> Response:
        store = request.app.state.sandbox.stores.get(request.path_params["store_hash"])
        if store is not None:
            path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            store.cdn_hits[path] += 1
            if path in store.faults.settings["cdn_fail_paths"]:
                return Response("Service Unavailable", status_code=503, headers={"retry-after": "1"})
        return await handler(request)

    return serve


routes = [
    Route("/s-{store_hash}/products/{pid}/images/{iid}/{name}", _cdn(rest_rendition), methods=["GET", "HEAD"]),
    Route("/s-{store_hash}/images/stencil/{size}/products/{pid}/{iid}/{file}", _cdn(stencil), methods=["GET", "HEAD"]),
    Route("/s-{store_hash}/product_images/{path:path}", _cdn(product_images), methods=["GET", "HEAD"]),
]
