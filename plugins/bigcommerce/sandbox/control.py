"""The control API under ``/_sandbox/`` (JSON in and out): what the developer portal,
the merchant's control panel and a test's assertions need.  Not part of BigCommerce.
"""

from __future__ import annotations

import base64
import io
import json
import random

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import oauth, render, uploads
from .catalog import CatalogSpec, Picture
from .http import json_response
from .rest import base_url, image_json, product_json, variants_json
from .state import App, new_token


def _err(status: int, message: str) -> Response:
    return json_response({"error": message}, status)


async def _body(request: Request) -> dict:
    raw = await request.body()
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _store(request: Request):
    return request.app.state.sandbox.stores.get(request.path_params["store_hash"])


# ---- apps -------------------------------------------------------------------------------

async def create_app_(request: Request):
    sb = request.app.state.sandbox
    b = await _body(request)
    if b is None or not b.get("auth_callback"):
        return _err(422, "auth_callback is required")
    app = App(client_id=b.get("client_id") or new_token(31), client_secret=b.get("client_secret") or new_token(40),
              auth_callback=b["auth_callback"], load_callback=b.get("load_callback"),
              uninstall_callback=b.get("uninstall_callback"), remove_user_callback=b.get("remove_user_callback"))
    if b.get("scopes"):
        app.scopes = list(b["scopes"])
    if b.get("account_uuid"):
        app.account_uuid = b["account_uuid"]
    if b.get("name"):
        app.name = b["name"]
    sb.apps[app.client_id] = app
    return json_response(app.public())


async def list_apps(request: Request):
    return json_response([a.public() for a in request.app.state.sandbox.apps.values()])


# ---- stores -----------------------------------------------------------------------------

async def create_store(request: Request):
    sb = request.app.state.sandbox
    b = await _body(request)
    if b is None:
        return _err(400, "body must be a JSON object")
    try:
        spec = CatalogSpec(seed=int(b.get("seed", 1)), products=int(b.get("products", 20)),
                           images_per_product=int(b.get("images_per_product", 3)),
                           variant_share=float(b.get("variant_share", 0.3)),
                           duplicate_share=float(b.get("duplicate_share", 0.1)),
                           max_image_size=int(b.get("max_image_size", 4000)))
    except (TypeError, ValueError):
        return _err(422, "seed/products/images_per_product must be integers, shares numbers")
    if b.get("store_hash") and b["store_hash"] in sb.stores:
        return _err(409, "store_hash already exists")
    store, token = sb.create_store(
        store_hash=b.get("store_hash"), spec=spec, plan=str(b.get("plan", "standard")),
        quota=b.get("quota"), window_ms=b.get("window_ms"), owner_email=b.get("owner_email"),
        fault_seed=b.get("fault_seed"), concurrency=b.get("concurrency"))
    if b.get("webhook_retry_scale") is not None:
        request.app.state.hooks_for(store).retry_scale = float(b["webhook_retry_scale"])
    out = store.summary()
    out.update({"access_token": token.token, "client_id": store.api_account["client_id"],
                "client_secret": store.api_account["client_secret"], "scopes": token.scopes,
                "api_url": f"{base_url(request)}/stores/{store.hash}/v3"})
    return json_response(out)


async def list_stores(request: Request):
    return json_response([s.summary() for s in request.app.state.sandbox.stores.values()])


async def get_store(request: Request):
    store = _store(request)
    if store is None:
        return _err(404, "unknown store")
    out = store.summary()
    out["faults"] = store.faults.public()
    return json_response(out)


async def delete_store(request: Request):
    sb = request.app.state.sandbox
    store = _store(request)
    if store is None:
        return _err(404, "unknown store")
    await request.app.state.close_hooks(store)
    del sb.stores[store.hash]
    for t in [t for t, tok in sb.tokens.items() if tok.store_hash == store.hash]:
        del sb.tokens[t]
    return json_response({"deleted": store.hash})


async def set_limits(request: Request):
    store = _store(request)
    if store is None:
        return _err(404, "unknown store")
    b = await _body(request) or {}
    if "quota" in b:
        store.window.quota = int(b["quota"])
    if "window_ms" in b:
        store.window.window_ms = int(b["window_ms"])
    if "concurrency" in b:
        store.concurrency = b["concurrency"]
    if b.get("reset", True):
        store.window.reset()
    return json_response({"quota": store.window.quota, "window_ms": store.window.window_ms,
                          "concurrency": store.concurrency})


async def requests_log(request: Request):
    store = _store(request)
    if store is None:
        return _err(404, "unknown store")
    return json_response({"requests": store.requests, "throttled": store.throttled,
                          "by_status": {str(k): v for k, v in store.requests_by_status.items()},
                          "log": store.request_log[-int(request.query_params.get("last", 200)):]})


async def cdn_hits(request: Request):
    store = _store(request)
    if store is None:
        return _err(404, "unknown store")
    return json_response({"hits": dict(store.cdn_hits)})


async def add_user(request: Request):
    sb = request.app.state.sandbox
    store = _store(request)
    if store is None:
        return _err(404, "unknown store")
    b = await _body(request) or {}
    user = sb.new_user(b.get("email") or f"user{sb.next_user_id}@{store.hash}.example.com",
                       b.get("username"), b.get("locale", "en-US"))
    store.users[user["id"]] = user
    return json_response(user)


# ---- faults -----------------------------------------------------------------------------

async def faults(request: Request):
    store = _store(request)
    if store is None:
        return _err(404, "unknown store")
    if request.method == "GET":
        return json_response(store.faults.public())
    if request.method == "DELETE":
        store.faults.reset()
        return json_response(store.faults.public())
    b = await _body(request)
    if b is None:
        return _err(400, "body must be a JSON object")
    try:
        store.faults.update(b)
    except ValueError as e:
        return _err(422, str(e))
    return json_response(store.faults.public())


# ---- catalog as the merchant sees it ----------------------------------------------------

def _facts(store, rec) -> dict:
    pic = store.picture_of(rec)
    out = {"image_id": rec.id, "product_id": rec.product_id, "generated": pic is not None}
    if pic is not None:
        out.update(pic.facts())
        if pic.duplicate_of is not None:
            out["duplicate_of_product"] = store.catalog.product_of_image(pic.duplicate_of)
    else:
        out.update(store.upload_facts.get(rec.upload, {}))
    return out


async def store_products(request: Request):
    store = _store(request)
    if store is None:
        return _err(404, "unknown store")
    q = request.query_params
    page, limit = int(q.get("page", 1)), min(int(q.get("limit", 50)), 1000)
    ids = store.live_ids()
    chunk = ids[(page - 1) * limit: page * limit]
    base = base_url(request)
    return json_response({"total": len(ids), "page": page, "limit": limit,
                          "data": [product_json(base, store, pid, {"images", "variants"}, None, set())
                                   for pid in chunk]})


async def store_product(request: Request):
    store = _store(request)
    if store is None:
        return _err(404, "unknown store")
    pid = int(request.path_params["product_id"])
    hooks = request.app.state.hooks_for(store)
    if not store.exists(pid):
        return _err(404, "unknown product")
    if request.method == "DELETE":
        store.delete_product(pid)
        hooks.emit("store/product/deleted", {"type": "product", "id": pid})
        return json_response({"deleted": pid})
    if request.method == "PUT":
        b = await _body(request) or {}
        store.touch(pid, **b)
        hooks.emit("store/product/updated", {"type": "product", "id": pid})
    base = base_url(request)
    d = product_json(base, store, pid, {"images", "variants"}, None, set())
    for img in d["images"]:
        img["facts"] = _facts(store, store.find_image(img["id"]))
    return json_response(d)


def _generated_picture(store, pid: int, b: dict) -> Picture:
    """A new picture for a merchant-added image, deterministic from the store seed."""
    store.next_gen = getattr(store, "next_gen", 0) + 1
    r = random.Random(store.spec.seed * 7 + store.next_gen * 1_000_003)
    shape, colour = store.catalog.shape_of(pid) if pid <= store.spec.products else ("box", (120, 90, 60))
    fmt = b.get("format", "JPEG").upper()
    fmt = {"JPG": "JPEG"}.get(fmt, fmt)
    w = int(b.get("width", 800))
    h = int(b.get("height", w))
    background = b.get("background") or r.choice(["white", "sweep", "colored", "textured"])
    return Picture(-(10_000_000 + store.next_gen), shape, colour, background, w, h, fmt,
                   int(b.get("quality", 88)), int(b.get("exif_orientation", 1)))


async def add_image(request: Request):
    """Add an image as a merchant would: ``{"generate": true, ...}`` (a new rendered picture),
    ``{"data_base64": ...}`` or ``{"image_url": ...}``; plus ``is_thumbnail``, ``sort_order``,
    ``description``."""
    store = _store(request)
    if store is None:
        return _err(404, "unknown store")
    pid = int(request.path_params["product_id"])
    if not store.exists(pid):
        return _err(404, "unknown product")
    b = await _body(request) or {}
    rec, first = await _add(store, pid, b)
    if isinstance(rec, Response):
        return rec
    if first:
        request.app.state.hooks_for(store).emit("store/product/updated", {"type": "product", "id": pid})
    d = image_json(base_url(request), store, rec)
    d["facts"] = _facts(store, rec)
    return json_response(d)


async def _add(store, pid: int, b: dict, sort_order=None, is_thumbnail=None):
    kw = {"is_thumbnail": b.get("is_thumbnail", is_thumbnail), "sort_order": b.get("sort_order", sort_order),
          "description": b.get("description", ""), "name_hint": store.core(pid)["name"]}
    try:
        if b.get("data_base64"):
            data = base64.b64decode(b["data_base64"])
            fmt = uploads.check(data)
            return store.add_image(pid, data=data, facts={"source": "control", "format": fmt.lower()},
                                   ext=uploads.ALLOWED[fmt], **kw)
        if b.get("image_url"):
            data = await uploads.download(b["image_url"])
            fmt = uploads.check(data)
            return store.add_image(pid, data=data, facts={"source": "control", "format": fmt.lower()},
                                   ext=uploads.ALLOWED[fmt], **kw)
    except uploads.ImageError as e:
        return _err(e.status, e.title), False
    pic = _generated_picture(store, pid, b)
    return store.add_image(pid, picture=pic, ext=pic.ext, **kw)


async def image_op(request: Request):
    """DELETE removes the image; PUT ``{"replace": true, ...}`` replaces it with a new picture
    (a new image id at the same position, as re-uploading in the control panel does), other PUT
    fields (sort_order, is_thumbnail, description) edit it."""
    store = _store(request)
    if store is None:
        return _err(404, "unknown store")
    pid = int(request.path_params["product_id"])
    rec = store.find_image(int(request.path_params["image_id"]))
    if rec is None or rec.product_id != pid:
        return _err(404, "unknown image")
    if request.method == "DELETE":
        store.delete_image(rec)
        return json_response({"deleted": rec.id})
    b = await _body(request) or {}
    if b.get("replace"):
        so, thumb = rec.sort_order, rec.is_thumbnail
        store.delete_image(rec)
        new, _ = await _add(store, pid, b, sort_order=so, is_thumbnail=thumb)
        if isinstance(new, Response):
            return new
        d = image_json(base_url(request), store, new)
        d["facts"] = _facts(store, new)
        d["replaced"] = rec.id
        return json_response(d)
    store.update_image(rec, b)
    return json_response(image_json(base_url(request), store, store.find_image(rec.id)))


async def create_product(request: Request):
    store = _store(request)
    if store is None:
        return _err(404, "unknown store")
    b = await _body(request) or {}
    n_images = int(b.pop("images", 0))
    pid = store.create_product(b.pop("name", None), b.pop("sku", None),
                               **{k: v for k, v in b.items() if k in ("price", "brand_id", "categories",
                                                                      "is_visible", "description", "weight")})
    hooks = request.app.state.hooks_for(store)
    hooks.emit("store/product/created", {"type": "product", "id": pid})
    for _ in range(n_images):
        await _add(store, pid, {})
    return json_response(product_json(base_url(request), store, pid, {"images", "variants"}, None, set()))


async def image_mask(request: Request):
    store = _store(request)
    if store is None:
        return _err(404, "unknown store")
    rec = store.find_image(int(request.path_params["image_id"]))
    if rec is None:
        return _err(404, "unknown image")
    pic = store.picture_of(rec)
    if pic is None:
        return _err(404, "no true mask: this image was uploaded, not generated")
    buf = io.BytesIO()
    render.mask_of(pic).save(buf, "PNG")
    return Response(buf.getvalue(), media_type="image/png")


async def image_facts(request: Request):
    store = _store(request)
    if store is None:
        return _err(404, "unknown store")
    rec = store.find_image(int(request.path_params["image_id"]))
    if rec is None:
        return _err(404, "unknown image")
    return json_response(_facts(store, rec))


# ---- app lifecycle ----------------------------------------------------------------------

def _app_and_user(request: Request, store, b: dict):
    sb = request.app.state.sandbox
    app = sb.apps.get(b.get("client_id", ""))
    if app is None and len(sb.apps) == 1 and "client_id" not in b:
        app = next(iter(sb.apps.values()))
    user_id = int(b.get("user_id", store.owner["id"]))
    return app, store.users.get(user_id)


async def install(request: Request):
    store = _store(request)
    if store is None:
        return _err(404, "unknown store")
    b = await _body(request) or {}
    app, user = _app_and_user(request, store, b)
    if app is None or user is None:
        return _err(404, "unknown app or user")
    return json_response(await oauth.install(request.app.state.sandbox, store, app, user["id"]))


async def load(request: Request):
    store = _store(request)
    if store is None:
        return _err(404, "unknown store")
    b = await _body(request) or {}
    app, user = _app_and_user(request, store, b)
    if app is None or user is None:
        return _err(404, "unknown app or user")
    if app.client_id not in store.installed:
        return _err(409, "app is not installed on this store")
    token, claims = oauth.signed_payload(app, store, user, b.get("url", "/"), b.get("channel_id"))
    resp = await oauth.call_jwt_callback(app.load_callback, token, bool(b.get("follow", False)), browser=True)
    return json_response({"url": oauth.jwt_url(app.load_callback, token), "signed_payload_jwt": token,
                          "claims": claims, "response": resp})


async def uninstall(request: Request):
    sb = request.app.state.sandbox
    store = _store(request)
    if store is None:
        return _err(404, "unknown store")
    b = await _body(request) or {}
    app, user = _app_and_user(request, store, b)
    if app is None or user is None:
        return _err(404, "unknown app or user")
    inst = store.installed.pop(app.client_id, None)
    if inst is None:
        return _err(409, "app is not installed on this store")
    sb.tokens.pop(inst["token"], None)
    # BigCommerce deletes the app's webhooks on uninstall
    for hid in [hid for hid, h in store.hooks.items() if h["client_id"] == app.client_id]:
        del store.hooks[hid]
    token, claims = oauth.signed_payload(app, store, user)
    resp = await oauth.call_jwt_callback(app.uninstall_callback, token, b.get("follow", True), browser=False)
    return json_response({"url": oauth.jwt_url(app.uninstall_callback, token), "signed_payload_jwt": token,
                          "claims": claims, "response": resp})


async def remove_user(request: Request):
    store = _store(request)
    if store is None:
        return _err(404, "unknown store")
    b = await _body(request) or {}
    app, user = _app_and_user(request, store, b)
    if app is None or user is None:
        return _err(404, "unknown app or user")
    if user["id"] == store.owner["id"]:
        return _err(409, "the owner cannot be removed")
    store.users.pop(user["id"], None)
    token, claims = oauth.signed_payload(app, store, user)
    resp = await oauth.call_jwt_callback(app.remove_user_callback, token, b.get("follow", True), browser=False)
    return json_response({"url": oauth.jwt_url(app.remove_user_callback, token), "signed_payload_jwt": token,
                          "claims": claims, "response": resp})


# ---- webhooks ---------------------------------------------------------------------------

async def webhook_routes(request: Request):
    sb = request.app.state.sandbox
    if request.method == "POST":
        b = await _body(request) or {}
        if not b.get("from") or not b.get("to"):
            return _err(422, "from and to are required")
        sb.webhook_routes[b["from"].rstrip("/")] = b["to"].rstrip("/")
    return json_response(sb.webhook_routes)


async def store_hooks(request: Request):
    store = _store(request)
    if store is None:
        return _err(404, "unknown store")
    return json_response(list(store.hooks.values()))


async def deliveries(request: Request):
    store = _store(request)
    if store is None:
        return _err(404, "unknown store")
    return json_response(request.app.state.hooks_for(store).log)


async def flush(request: Request):
    store = _store(request)
    if store is None:
        return _err(404, "unknown store")
    d = request.app.state.hooks_for(store)
    await d.drain()
    return json_response({"delivered": len(d.log)})


S = "/_sandbox/stores/{store_hash}"
routes = [
    Route("/_sandbox/apps", create_app_, methods=["POST"]),
    Route("/_sandbox/apps", list_apps, methods=["GET"]),
    Route("/_sandbox/stores", create_store, methods=["POST"]),
    Route("/_sandbox/stores", list_stores, methods=["GET"]),
    Route(S, get_store, methods=["GET"]),
    Route(S, delete_store, methods=["DELETE"]),
    Route(S + "/limits", set_limits, methods=["PUT"]),
    Route(S + "/requests", requests_log, methods=["GET"]),
    Route(S + "/users", add_user, methods=["POST"]),
    Route(S + "/faults", faults, methods=["GET", "PUT", "DELETE"]),
    Route(S + "/products", store_products, methods=["GET"]),
    Route(S + "/products", create_product, methods=["POST"]),
    Route(S + "/products/{product_id:int}", store_product, methods=["GET", "PUT", "DELETE"]),
    Route(S + "/products/{product_id:int}/images", add_image, methods=["POST"]),
    Route(S + "/products/{product_id:int}/images/{image_id:int}", image_op, methods=["PUT", "DELETE"]),
    Route(S + "/images/{image_id:int}/mask", image_mask, methods=["GET"]),
    Route(S + "/images/{image_id:int}/facts", image_facts, methods=["GET"]),
    Route(S + "/cdn", cdn_hits, methods=["GET"]),
    Route(S + "/install", install, methods=["POST"]),
    Route(S + "/load", load, methods=["POST"]),
    Route(S + "/uninstall", uninstall, methods=["POST"]),
    Route(S + "/remove_user", remove_user, methods=["POST"]),
    Route(S + "/hooks", store_hooks, methods=["GET"]),
    Route(S + "/deliveries", deliveries, methods=["GET"]),
    Route(S + "/webhooks/flush", flush, methods=["POST"]),
    Route("/_sandbox/webhook_routes", webhook_routes, methods=["GET", "POST"]),
]

__all__ = ["routes", "variants_json"]
