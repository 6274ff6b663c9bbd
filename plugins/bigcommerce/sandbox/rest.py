"""The emulated REST API: ``/stores/{hash}/v3/...`` and ``/stores/{hash}/v2/store``.

Every request goes through ``guard``: store lookup, ``X-Auth-Token`` and scope
checks, optional concurrency cap, the store's shared rate-limit window, injected
faults; every response carries the four ``X-Rate-Limit-*`` headers.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from datetime import datetime, timezone
from functools import wraps
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.routing import Route

from . import uploads
from .catalog import EXT, iso
from .http import empty, error, json_response
from .state import MAX_IMAGES_PER_PRODUCT, ImageRec, Store, now_ts

PRODUCTS = ("store_v2_products", "store_v2_products_read_only")
INFORMATION = ("store_v2_information", "store_v2_information_read_only")
DEFAULT = ()

SIZES = {"zoom": (1280, 1280), "standard": (560, 850), "thumbnail": (330, 500), "tiny": (66, 100)}
INCLUDES = {"bulk_pricing_rules", "channels", "custom_fields", "images", "modifiers", "options",
            "parent_relations", "primary_image", "reviews", "variants", "videos"}
SORTS = {"id", "name", "sku", "price", "date_modified", "date_last_imported", "inventory_level", "is_visible",
         "total_sold", "calculated_price"}


def base_url(request: Request) -> str:
    sb = request.app.state.sandbox
    if sb.public_url:
        return sb.public_url.rstrip("/")
    return f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}"


# ---- guard ------------------------------------------------------------------------------

def guard(scopes: tuple[str, ...]):
    def deco(fn):
        @wraps(fn)
        async def handler(request: Request):
            sb = request.app.state.sandbox
            store: Store | None = sb.stores.get(request.path_params["store_hash"])
            if store is None:
                return error(404, "Store not found. The store hash in the URL is unknown.")
            store.requests += 1
            resp = await _guarded(fn, request, sb, store, scopes)
            store.requests_by_status[resp.status_code] = store.requests_by_status.get(resp.status_code, 0) + 1
            if len(store.request_log) < 10000:
                store.request_log.append({"method": request.method, "path": request.url.path,
                                          "status": resp.status_code, "at": time.time()})
            return resp
        return handler
    return deco


async def _guarded(fn, request: Request, sb, store: Store, scopes) -> "Response":  # noqa: F821
    win = store.window
    token = sb.tokens.get(request.headers.get("x-auth-token", ""))
    if token is None or token.store_hash != store.hash:
        return error(401, "Unauthorized - the v3 Auth client ID or token in the request are not a valid "
                          "combination for this store.", headers=win.headers())
    write = request.method not in ("GET", "HEAD")
    if not token.allows(scopes, write):
        return error(403, "You don't have a required scope to access the endpoint", {}, headers=win.headers())
    if store.concurrency and store.in_flight >= store.concurrency:
        store.throttled += 1
        return error(429, "Too many concurrent requests", headers=win.headers())
    if not win.hit():
        store.throttled += 1
        if store.faults.throttle_without_headers():
            return error(429, "Too Many Requests")
        return error(429, "Too Many Requests", headers=win.headers())
    rl = win.headers()
    store.in_flight += 1
    try:
        delay = store.faults.latency()
        if delay:
            await asyncio.sleep(delay)
        status = store.faults.error_status()
        if status is not None:
            title = {503: "Service Unavailable", 502: "Bad Gateway", 504: "Gateway Timeout"}.get(
                status, "Internal Server Error")
            return error(status, title, headers=rl)
        request.state.store = store
        request.state.token = token
        resp = await fn(request, store)
        if resp.status_code < 400 and store.faults.drop(request.method):
            request.scope["sandbox.drop"] = True
        resp.headers.update(rl)
        return resp
    finally:
        store.in_flight -= 1


# ---- parameters -------------------------------------------------------------------------

class BadParam(Exception):
    def __init__(self, status: int, title: str, errors: dict | None = None):
        self.status, self.title, self.errors = status, title, errors


def _int(q, name: str, default: int | None = None) -> int | None:
    v = q.get(name)
    if v is None or v == "":
        return default
    try:
        return int(v)
    except ValueError:
        raise BadParam(422, f"The filter(s): {name} are not valid filter parameter(s).",
                       {name: f"{name} must be an integer"}) from None


def _csv_ints(q, name: str) -> list[int] | None:
    v = q.get(name)
    if v is None:
        return None
    try:
        return [int(x) for x in v.split(",") if x.strip()]
    except ValueError:
        raise BadParam(422, f"The filter(s): {name} are not valid filter parameter(s).",
                       {name: "must be a comma-separated list of integers"}) from None


def page_params(q) -> tuple[int, int]:
    page = _int(q, "page", 1)
    limit = _int(q, "limit", 50)
    if limit > 250:
        raise BadParam(413, "The specified limit exceeds the maximum allowed.", {"limit": "max_limit 250"})
    if limit < 1 or page < 1:
        raise BadParam(422, "The filter(s): page, limit are not valid filter parameter(s).",
                       {"limit" if limit < 1 else "page": "must be a positive integer"})
    return page, limit


def pagination(total: int, count: int, page: int, limit: int) -> dict:
    pages = math.ceil(total / limit) if total else 0
    links = {"current": f"?page={page}&limit={limit}"}
    if page > 1:
        links["previous"] = f"?page={page - 1}&limit={limit}"
    if page < pages:
        links["next"] = f"?page={page + 1}&limit={limit}"
    return {"pagination": {"total": total, "count": count, "per_page": limit, "current_page": page,
                           "total_pages": pages, "links": links}}


def parse_date(v: str) -> str:
    """A ``date_modified`` filter value as a comparable ISO string (UTC)."""
    v = v.strip()
    if v.isdigit():
        return iso(int(v))
    try:
        if len(v) == 10:  # a date without time: BigCommerce adds the current time of the request
            d = datetime.strptime(v, "%Y-%m-%d").replace(tzinfo=timezone.utc)
            now = datetime.now(timezone.utc)
            d = d.replace(hour=now.hour, minute=now.minute, second=now.second)
        else:
            d = datetime.fromisoformat(v.replace("Z", "+00:00"))
            if d.tzinfo is None:
                d = d.replace(tzinfo=timezone.utc)
        return iso(d.timestamp())
    except ValueError:
        raise BadParam(422, "The filter(s): date_modified are not valid filter parameter(s).",
                       {"date_modified": "invalid date"}) from None


def field_filter(q) -> tuple[set | None, set]:
    inc = q.get("include_fields")
    exc = q.get("exclude_fields")
    include = {f.strip() for f in inc.split(",") if f.strip()} if inc else None
    exclude = {f.strip() for f in exc.split(",") if f.strip()} - {"id"} if exc else set()
    return include, exclude


def trim(d: dict, include: set | None, exclude: set, keep: tuple = ("id",)) -> dict:
    if include is not None:
        d = {k: v for k, v in d.items() if k in include or k in keep}
    if exclude:
        d = {k: v for k, v in d.items() if k not in exclude}
    return d


# ---- serializers ------------------------------------------------------------------------

# the renditions' ".{w}.{h}." parts, in the order of image_json's url_zoom, url_standard, url_thumbnail, url_tiny
_SIZE_PARTS = tuple(f".{w}.{h}." for w, h in (SIZES["zoom"], SIZES["standard"], SIZES["thumbnail"], SIZES["tiny"]))


def image_json(base: str, store: Store, rec: ImageRec) -> dict:
    stem, ext = rec.image_file.rsplit("/", 1)[-1].rsplit(".", 1)
    ts = int(datetime.fromisoformat(rec.date_modified).timestamp())
    prefix = f"{base}/s-{store.hash}/products/{rec.product_id}/images/{rec.id}/{stem}.{ts}"
    zoom, standard, thumbnail, tiny = [f"{prefix}{part}{ext}?c=2" for part in _SIZE_PARTS]
    return {
        "id": rec.id,
        "product_id": rec.product_id,
        "is_thumbnail": rec.is_thumbnail,
        "sort_order": rec.sort_order,
        "description": rec.description,
        "image_file": rec.image_file,
        "url_zoom": zoom,
        "url_standard": standard,
        "url_thumbnail": thumbnail,
        "url_tiny": tiny,
        "date_modified": rec.date_modified,
    }


def variant_image_url(base: str, store: Store, vid: int, key: str) -> str:
    if not key:
        return ""
    ext = key.rsplit(":", 1)[-1] if key.startswith("up:") else "jpg"
    return f"{base}/s-{store.hash}/product_images/attribute_rule_images/{vid}_source_{store.created_at}.{ext}"


def variants_json(base: str, store: Store, pid: int, core: dict | None = None) -> list[dict]:
    out = []
    for v in store.variants(pid, core):
        key = v.pop("_image_key")
        v["image_url"] = variant_image_url(base, store, v["id"], key)
        out.append(v)
    return out


def options_json(store: Store, pid: int) -> list[dict]:
    vs = store.variants(pid)
    if not vs or not vs[0]["option_values"]:
        return []
    ov0 = vs[0]["option_values"][0]
    return [{"id": ov0["option_id"], "product_id": pid, "display_name": ov0["option_display_name"],
             "type": "rectangles", "sort_order": 0,
             "option_values": [{"id": v["option_values"][0]["id"], "label": v["option_values"][0]["label"],
                                "sort_order": n, "value_data": None, "is_default": False}
                               for n, v in enumerate(vs)]}]


def product_json(base: str, store: Store, pid: int, includes: set, include_fields, exclude_fields) -> dict:
    d = core = store.core(pid)
    if include_fields is not None or exclude_fields:
        d = trim(d, include_fields, exclude_fields)
    if "images" in includes or "primary_image" in includes:
        imgs = store.sorted_images(pid)
        if "images" in includes:
            d["images"] = [image_json(base, store, r) for r in imgs]
        if "primary_image" in includes:
            thumb = next((r for r in imgs if r.is_thumbnail), None)
            if thumb is not None:
                d["primary_image"] = image_json(base, store, thumb)
    if "variants" in includes:
        d["variants"] = variants_json(base, store, pid, core)
    if "options" in includes:
        d["options"] = options_json(store, pid)
    if "modifiers" in includes:
        d["modifiers"] = []
    for empty_inc in ("custom_fields", "bulk_pricing_rules", "videos", "reviews", "parent_relations"):
        if empty_inc in includes:
            d[empty_inc] = []
    if "channels" in includes:
        d["channels"] = [1]
    return d


# ---- products ---------------------------------------------------------------------------

def _candidate_ids(store: Store, q) -> list[int]:
    lo, hi = 1, 1 << 62
    if (v := _int(q, "id:min")) is not None:
        lo = max(lo, v)
    if (v := _int(q, "id:greater")) is not None:
        lo = max(lo, v + 1)
    if (v := _int(q, "id:max")) is not None:
        hi = min(hi, v)
    if (v := _int(q, "id:less")) is not None:
        hi = min(hi, v - 1)
    ids = store.ids_between(lo, hi) if (lo, hi) != (1, 1 << 62) else store.live_ids()
    if (v := _int(q, "id")) is not None:
        ids = [v] if store.exists(v) and lo <= v <= hi else []
    if (inn := _csv_ints(q, "id:in")) is not None:
        s = set(inn)
        ids = [i for i in ids if i in s] if len(s) < len(ids) else sorted(i for i in s if store.exists(i)
                                                                            and lo <= i <= hi)
    if (notin := _csv_ints(q, "id:not_in")) is not None:
        s = set(notin)
        ids = [i for i in ids if i not in s]
    return ids


def _core_filters(q) -> list:
    preds = []
    if (kw := q.get("keyword")):
        from .catalog import BRANDS
        k = kw.lower()

        def kwp(c, k=k):
            brand = BRANDS[c["brand_id"] - 1].lower() if 1 <= c["brand_id"] <= len(BRANDS) else ""
            return k in c["name"].lower() or k in c["sku"].lower() or k in c["description"].lower() or k in brand
        preds.append(kwp)
    if (v := q.get("name")) is not None:
        preds.append(lambda c, v=v: c["name"] == v)
    if (v := q.get("name:like")) is not None:
        preds.append(lambda c, v=v.lower(): v in c["name"].lower())
    if (v := q.get("sku")) is not None:
        preds.append(lambda c, v=v: c["sku"] == v)
    if (v := q.get("sku:in")) is not None:
        s = set(v.split(","))
        preds.append(lambda c, s=s: c["sku"] in s)
    if (v := q.get("is_visible")) is not None:
        want = v.lower() in ("1", "true")
        preds.append(lambda c, w=want: c["is_visible"] == w)
    if (v := _int(q, "brand_id")) is not None:
        preds.append(lambda c, v=v: c["brand_id"] == v)
    if (v := _csv_ints(q, "categories:in")) is not None:
        s = set(v)
        preds.append(lambda c, s=s: bool(s.intersection(c["categories"])))
    if (v := _int(q, "categories")) is not None:
        preds.append(lambda c, v=v: v in c["categories"])
    if (v := q.get("date_modified:min")) is not None:
        d = parse_date(v)
        preds.append(lambda c, d=d: c["date_modified"] >= d)
    if (v := q.get("date_modified:max")) is not None:
        d = parse_date(v)
        preds.append(lambda c, d=d: c["date_modified"] <= d)
    if (v := q.get("date_modified")) is not None:
        d = parse_date(v)
        preds.append(lambda c, d=d: c["date_modified"] == d)
    return preds


async def list_products(request: Request, store: Store):
    q = request.query_params
    try:
        page, limit = page_params(q)
        includes = {s.strip() for s in q.get("include", "").split(",") if s.strip()}
        bad = includes - INCLUDES
        if bad:
            raise BadParam(422, f"The include(s): {', '.join(sorted(bad))} are not valid.",
                           {"include": "invalid include"})
        if includes & {"options", "modifiers"}:
            limit = min(limit, 10)
        sort = q.get("sort", "id")
        if sort not in SORTS:
            raise BadParam(422, f"The sort: {sort} is not valid.", {"sort": "invalid sort"})
        desc = q.get("direction", "asc").lower() == "desc"
        include_fields, exclude_fields = field_filter(q)
        ids = _candidate_ids(store, q)
        preds = _core_filters(q)
    except BadParam as e:
        return error(e.status, e.title, e.errors)
    if preds or sort != "id":
        rows = []
        for pid in ids:
            c = store.core(pid)
            if all(p(c) for p in preds):
                rows.append((c.get(sort) if sort != "date_last_imported" else "", pid))
        rows.sort(key=lambda r: (r[0], r[1]), reverse=desc)
        ids = [pid for _, pid in rows]
    elif desc:
        ids = ids[::-1]
    total = len(ids)
    chunk = ids[(page - 1) * limit: page * limit]
    base = base_url(request)
    data = [product_json(base, store, pid, includes, include_fields, exclude_fields) for pid in chunk]
    return json_response({"data": data, "meta": pagination(total, len(data), page, limit)})


def _pid(request: Request) -> int | None:
    try:
        return int(request.path_params["product_id"])
    except ValueError:
        return None


def not_found_product():
    return error(404, "The requested product was not found.")


async def get_product(request: Request, store: Store):
    pid = _pid(request)
    if pid is None or not store.exists(pid):
        return not_found_product()
    q = request.query_params
    includes = {s.strip() for s in q.get("include", "").split(",") if s.strip()}
    include_fields, exclude_fields = field_filter(q)
    return json_response({"data": product_json(base_url(request), store, pid, includes & INCLUDES,
                                               include_fields, exclude_fields), "meta": {}})


async def _json_body(request: Request):
    raw = await request.body()
    try:
        return json.loads(raw or b"null")
    except ValueError:
        return None


def _hooks(request: Request):
    return request.app.state.hooks_for(request.state.store)


async def create_product(request: Request, store: Store):
    body = await _json_body(request)
    if not isinstance(body, dict) or not body.get("name") or "type" not in body or "weight" not in body \
            or "price" not in body:
        missing = {k: f"{k} is required" for k in ("name", "type", "weight", "price")
                   if not isinstance(body, dict) or k not in body}
        return error(422, "JSON data is missing or invalid", missing)
    if any(store.core(p)["name"] == body["name"] for p in store.live_ids()[-1000:]):
        return error(409, "The product name is a duplicate", {"name": "The product name is a duplicate"})
    fields = {k: body[k] for k in ("price", "weight", "categories", "brand_id", "is_visible", "description")
              if k in body}
    pid = store.create_product(body["name"], body.get("sku"), **fields)
    _hooks(request).emit("store/product/created", {"type": "product", "id": pid})
    return json_response({"data": product_json(base_url(request), store, pid, set(), None, set()), "meta": {}})


EDITABLE = {"name", "sku", "description", "price", "sale_price", "weight", "categories", "brand_id", "is_visible",
            "is_featured", "inventory_level", "search_keywords", "sort_order"}


async def update_product(request: Request, store: Store):
    pid = _pid(request)
    if pid is None or not store.exists(pid):
        return not_found_product()
    body = await _json_body(request)
    if not isinstance(body, dict):
        return error(422, "JSON data is missing or invalid", {})
    store.touch(pid, **{k: v for k, v in body.items() if k in EDITABLE})
    _hooks(request).emit("store/product/updated", {"type": "product", "id": pid})
    return json_response({"data": product_json(base_url(request), store, pid, set(), None, set()), "meta": {}})


async def delete_product(request: Request, store: Store):
    pid = _pid(request)
    if pid is not None and store.exists(pid):
        store.delete_product(pid)
        _hooks(request).emit("store/product/deleted", {"type": "product", "id": pid})
    return empty(204)


# ---- images -----------------------------------------------------------------------------

def _product_sublist(request: Request, store: Store, rows_of, to_json):
    """A paged list under one product (its images, its variants): the same parameters,
    errors and envelope as BigCommerce gives both."""
    pid = _pid(request)
    if pid is None or not store.exists(pid):
        return not_found_product()
    try:
        page, limit = page_params(request.query_params)
    except BadParam as e:
        return error(e.status, e.title, e.errors)
    include_fields, exclude_fields = field_filter(request.query_params)
    rows = rows_of(pid)
    chunk = rows[(page - 1) * limit: page * limit]
    data = [trim(to_json(r), include_fields, exclude_fields, ("id", "product_id")) for r in chunk]
    return json_response({"data": data, "meta": pagination(len(rows), len(data), page, limit)})


async def list_images(request: Request, store: Store):
    base = base_url(request)
    return _product_sublist(request, store, store.sorted_images, lambda r: image_json(base, store, r))


def _image(request: Request, store: Store) -> ImageRec | None:
    pid = _pid(request)
    try:
        iid = int(request.path_params["image_id"])
    except ValueError:
        return None
    if pid is None or not store.exists(pid):
        return None
    rec = store.find_image(iid)
    return rec if rec is not None and rec.product_id == pid else None


async def get_image(request: Request, store: Store):
    pid = _pid(request)
    if pid is None or not store.exists(pid):
        return not_found_product()
    rec = _image(request, store)
    if rec is None:
        return error(404, "The requested image was not found.")
    include_fields, exclude_fields = field_filter(request.query_params)
    return json_response({"data": trim(image_json(base_url(request), store, rec), include_fields, exclude_fields,
                                       ("id", "product_id")), "meta": {}})


def _bool(v) -> bool | None:
    if v is None or v == "":
        return None
    if isinstance(v, bool):
        return v
    return str(v).lower() in ("1", "true", "yes", "on")


MISSING_FILE = "image_url must be present if uploading by url"


async def read_image_input(request: Request, limit: int = uploads.MAX_IMAGE_BYTES, file_limit_status: int = 422):
    """(bytes, fields) from a JSON ``image_url`` or a multipart ``image_file``; raises ImageError."""
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("multipart/form-data"):
        form = await request.form(max_part_size=64 * 1024 * 1024)
        f = form.get("image_file")
        fields = {k: form.get(k) for k in ("is_thumbnail", "sort_order", "description") if form.get(k) is not None}
        if form.get("image_url"):
            raise uploads.ImageError(422, "image_url and image_file cannot both be present",
                                     {"image_file": "cannot be used with image_url"})
        if f is None or isinstance(f, str):
            raise uploads.ImageError(422, MISSING_FILE)
        data = await f.read()
        if getattr(f, "filename", None):  # BigCommerce keeps the uploaded file's name in image_file
            fields["_filename"] = f.filename
        if len(data) > limit:
            raise uploads.ImageError(file_limit_status, "The image is larger than the maximum allowed size of "
                                     f"{max(1, limit // (1024 * 1024))}MB.", {"image_file": "file too large"})
        return data, fields
    if ctype and not ctype.startswith("application/json"):
        raise uploads.ImageError(415, "Unsupported Media Type")
    body = await _json_body(request)
    if not isinstance(body, dict):
        raise uploads.ImageError(422, "JSON data is missing or invalid", {})
    url = body.get("image_url")
    if not url:
        raise uploads.ImageError(422, MISSING_FILE, {"image_url": "image_url is required"})
    if not isinstance(url, str) or len(url) > 255:
        raise uploads.ImageError(422, "JSON data is missing or invalid",
                                 {"image_url": "image_url must be 255 characters or fewer"})
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise uploads.ImageError(422, "JSON data is missing or invalid",
                                 {"image_url": "image_url must be a fully qualified URL"})
    data = await uploads.download(url, uploads.MAX_IMAGE_BYTES)
    return data, body


async def create_image(request: Request, store: Store):
    pid = _pid(request)
    if pid is None or not store.exists(pid):
        return not_found_product()
    try:
        data, fields = await read_image_input(request)
        fmt = uploads.check(data)
        so = fields.get("sort_order")
        so = int(so) if so not in (None, "") else None
    except uploads.ImageError as e:
        return error(e.status, e.title, e.errors)
    except ValueError:
        return error(422, "JSON data is missing or invalid", {"sort_order": "must be an integer"})
    if len(store.image_list(pid)) >= MAX_IMAGES_PER_PRODUCT:
        return error(403, f"A product can have at most {MAX_IMAGES_PER_PRODUCT} images.")
    name_hint = store.core(pid)["name"]
    url = fields.get("image_url") if isinstance(fields, dict) else None
    source = url and urlsplit(url).path or fields.get("_filename") or ""
    if source:
        name_hint = source.rsplit("/", 1)[-1].rsplit(".", 1)[0] or name_hint
    rec, first_thumb = store.add_image(
        pid, data=data, facts={"source": "api", "format": fmt.lower()}, ext=uploads.ALLOWED[fmt],
        is_thumbnail=_bool(fields.get("is_thumbnail")), sort_order=so,
        description=str(fields.get("description") or ""), name_hint=name_hint)
    if first_thumb:
        # BigCommerce fires product/updated only when a product's first thumbnail is set
        _hooks(request).emit("store/product/updated", {"type": "product", "id": pid})
    return json_response({"data": image_json(base_url(request), store, rec), "meta": {}})


async def update_image(request: Request, store: Store):
    pid = _pid(request)
    if pid is None or not store.exists(pid):
        return not_found_product()
    rec = _image(request, store)
    if rec is None:
        return error(404, "The requested image was not found.")
    body = await _json_body(request)
    if not isinstance(body, dict):
        return error(422, "JSON data is missing or invalid", {})
    if "image_url" in body and (not isinstance(body["image_url"], str) or len(body["image_url"]) > 255):
        return error(422, "JSON data is missing or invalid", {"image_url": "image_url must be 255 characters or fewer"})
    if "sort_order" in body and not isinstance(body["sort_order"], int):
        return error(422, "JSON data is missing or invalid", {"sort_order": "must be an integer"})
    # PUT with a new image_url is accepted but does not replace the picture (bigcommerce/api#102).
    store.update_image(rec, body)
    rec = store.find_image(rec.id)
    return json_response({"data": image_json(base_url(request), store, rec), "meta": {}})


async def delete_image(request: Request, store: Store):
    pid = _pid(request)
    if pid is None or not store.exists(pid):
        return not_found_product()
    rec = _image(request, store)
    if rec is None:
        return error(404, "The requested image was not found.")
    store.delete_image(rec)
    return empty(204)


# ---- variants ---------------------------------------------------------------------------

async def list_variants(request: Request, store: Store):
    base = base_url(request)
    return _product_sublist(request, store, lambda pid: variants_json(base, store, pid), lambda v: v)


async def create_variant_image(request: Request, store: Store):
    pid = _pid(request)
    if pid is None or not store.exists(pid):
        return not_found_product()
    try:
        vid = int(request.path_params["variant_id"])
    except ValueError:
        vid = -1
    if store.find_variant(vid) != pid:
        return error(404, "The requested variant was not found.")
    try:
        # The variants spec rejects multipart files over 1 MB with a 500.
        data, _ = await read_image_input(request, uploads.MAX_VARIANT_UPLOAD_BYTES, file_limit_status=500)
        fmt = uploads.check(data)
    except uploads.ImageError as e:
        return error(e.status, e.title, e.errors)
    key = store.next_upload
    store.next_upload += 1
    store.uploads[key] = data
    store.upload_facts[key] = {"source": "api", "format": fmt.lower()}
    store.variant_images[vid] = f"up:{key}:{uploads.ALLOWED[fmt]}"
    return json_response({"data": {"image_url": variant_image_url(base_url(request), store, vid,
                                                                  store.variant_images[vid])}, "meta": {}})


# ---- webhooks ---------------------------------------------------------------------------

def hook_json(h: dict) -> dict:
    return {k: h[k] for k in ("id", "client_id", "store_hash", "scope", "destination", "headers", "is_active",
                              "created_at", "updated_at")}


def _check_destination(sb, dest) -> dict | None:
    if not isinstance(dest, str) or not dest:
        return {"destination": "error.path.missing."}
    parts = urlsplit(dest)
    if not sb.enforce_webhook_port:
        return None if parts.scheme in ("http", "https") and parts.netloc else {"destination": "error.path.invalid."}
    if parts.scheme != "https" or not parts.hostname or (parts.port not in (None, 443)):
        return {"destination": "The destination must be an HTTPS URL on port 443."}
    return None


async def create_hook(request: Request, store: Store):
    sb = request.app.state.sandbox
    body = await _json_body(request)
    if not isinstance(body, dict):
        return error(400, "Input is invalid", {})
    errs = {}
    if not isinstance(body.get("scope"), str) or not body.get("scope"):
        errs["scope"] = "error.path.missing."
    if (e := _check_destination(sb, body.get("destination"))):
        errs.update(e)
    headers = body.get("headers")
    if headers is not None and (not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values())):
        errs["headers"] = "error.type.invalid."
    if errs:
        return error(422, "JSON data is missing or invalid", errs)
    client_id = request.state.token.client_id
    same = [h for h in store.hooks.values() if h["client_id"] == client_id and h["scope"] == body["scope"]]
    if any(h["destination"] == body["destination"] for h in same):
        return error(422, "JSON data is missing or invalid",
                     {"destination": "A webhook with this scope and destination already exists."})
    if len(same) >= 10:
        return error(422, "JSON data is missing or invalid",
                     {"scope": "At most 10 webhooks per store, client and scope."})
    now = now_ts()
    hid = sb.next_hook_id
    sb.next_hook_id += 1
    h = {"id": hid, "client_id": client_id, "store_hash": store.hash, "scope": body["scope"],
         "destination": body["destination"], "headers": headers, "is_active": _bool(body.get("is_active")) is not False,
         "created_at": now, "updated_at": now}
    store.hooks[hid] = h
    return json_response({"data": hook_json(h), "meta": {}})


async def list_hooks(request: Request, store: Store):
    q = request.query_params
    try:
        page, limit = page_params(q)
    except BadParam as e:
        return error(e.status, e.title, e.errors)
    client_id = request.state.token.client_id
    hooks = [h for h in store.hooks.values() if h["client_id"] == client_id]
    if (v := q.get("is_active")) is not None:
        hooks = [h for h in hooks if h["is_active"] == (v.lower() in ("1", "true"))]
    if (v := q.get("scope")) is not None:
        hooks = [h for h in hooks if h["scope"] == v]
    if (v := q.get("destination")) is not None:
        hooks = [h for h in hooks if h["destination"] == v]
    chunk = hooks[(page - 1) * limit: page * limit]
    return json_response({"data": [hook_json(h) for h in chunk],
                          "meta": pagination(len(hooks), len(chunk), page, limit)})


def _hook(request: Request, store: Store) -> tuple[dict | None, str]:
    raw = request.path_params["webhook_id"]
    try:
        h = store.hooks.get(int(raw))
    except ValueError:
        h = None
    if h is not None and h["client_id"] != request.state.token.client_id:
        h = None
    return h, raw


async def get_hook(request: Request, store: Store):
    h, raw = _hook(request, store)
    if h is None:
        return error(404, f"Webhook with id [{raw}] not found")
    return json_response({"data": hook_json(h), "meta": {}})


async def update_hook(request: Request, store: Store):
    sb = request.app.state.sandbox
    h, raw = _hook(request, store)
    if h is None:
        return error(404, f"Webhook with id [{raw}] not found")
    body = await _json_body(request)
    if not isinstance(body, dict):
        return error(400, "Input is invalid", {})
    if "destination" in body and (e := _check_destination(sb, body["destination"])):
        return error(422, "JSON data is missing or invalid", e)
    for k in ("scope", "destination", "headers"):
        if k in body:
            h[k] = body[k]
    if "is_active" in body:
        h["is_active"] = bool(_bool(body["is_active"]))
    h["updated_at"] = now_ts()
    return json_response({"data": hook_json(h), "meta": {}})


async def delete_hook(request: Request, store: Store):
    h, raw = _hook(request, store)
    if h is None:
        return error(404, f"Webhook with id [{raw}] not found")
    del store.hooks[h["id"]]
    return json_response({"data": hook_json(h), "meta": {}})


# ---- v2 store ---------------------------------------------------------------------------

async def store_info(request: Request, store: Store):
    o = store.owner
    domain = f"store-{store.hash}.mybigcommerce.com"
    return json_response({
        "id": store.hash, "account_uuid": getattr(store, "account_uuid", "00000000-0000-4000-8000-000000000000"),
        "domain": domain, "secure_url": f"https://{domain}",
        "control_panel_base_url": f"https://store-{store.hash}.mybigcommerce.com", "status": "live",
        "name": f"Sandbox store {store.hash}", "first_name": "Sandbox", "last_name": "Owner",
        "address": "", "country": "United States", "country_code": "US", "phone": "",
        "admin_email": o["email"], "order_email": o["email"],
        "favicon_url": "", "timezone": {"name": "Etc/UTC", "raw_offset": 0, "dst_offset": 0,
                                        "dst_correction": False,
                                        "date_format": {"display": "M jS Y", "export": "M jS Y",
                                                        "extended_display": "M jS Y @ g:i A"}},
        "language": "en", "currency": "USD", "currency_symbol": "$", "decimal_separator": ".",
        "thousands_separator": ",", "decimal_places": 2, "currency_symbol_location": "left",
        "weight_units": "Ounces", "dimension_units": "Inches", "dimension_decimal_places": 2,
        "dimension_decimal_token": ".", "dimension_thousands_token": ",",
        "plan_name": store.plan, "plan_level": store.plan, "plan_is_trial": False, "industry": "",
        "logo": {"url": ""}, "is_price_entered_with_tax": False, "store_id": store.store_id, "default_channel_id": 1,
        "default_site_id": 1000, "active_comparison_modules": [],
        "features": {"stencil_enabled": True, "sitewidehttps_enabled": True, "facebook_catalog_id": "",
                     "checkout_type": "optimized", "wishlists_enabled": False,
                     "graphql_storefront_api_enabled": True, "shopper_consent_tracking_enabled": True,
                     "multi_storefront_enabled": False,
                     "storefront_limits": {"active": 1, "total_including_inactive": 1}},
    })


async def store_time(request: Request, store: Store):
    return json_response({"time": now_ts()})


def _m(fn, scopes):
    return guard(scopes)(fn)


V3 = "/stores/{store_hash}/v3"
V2 = "/stores/{store_hash}/v2"

routes = [
    Route(V3 + "/catalog/products", _m(list_products, PRODUCTS), methods=["GET"]),
    Route(V3 + "/catalog/products", _m(create_product, PRODUCTS), methods=["POST"]),
    Route(V3 + "/catalog/products/{product_id}", _m(get_product, PRODUCTS), methods=["GET"]),
    Route(V3 + "/catalog/products/{product_id}", _m(update_product, PRODUCTS), methods=["PUT"]),
    Route(V3 + "/catalog/products/{product_id}", _m(delete_product, PRODUCTS), methods=["DELETE"]),
    Route(V3 + "/catalog/products/{product_id}/images", _m(list_images, PRODUCTS), methods=["GET"]),
    Route(V3 + "/catalog/products/{product_id}/images", _m(create_image, PRODUCTS), methods=["POST"]),
    Route(V3 + "/catalog/products/{product_id}/images/{image_id}", _m(get_image, PRODUCTS), methods=["GET"]),
    Route(V3 + "/catalog/products/{product_id}/images/{image_id}", _m(update_image, PRODUCTS), methods=["PUT"]),
    Route(V3 + "/catalog/products/{product_id}/images/{image_id}", _m(delete_image, PRODUCTS),
          methods=["DELETE"]),
    Route(V3 + "/catalog/products/{product_id}/variants", _m(list_variants, PRODUCTS), methods=["GET"]),
    Route(V3 + "/catalog/products/{product_id}/variants/{variant_id}/image", _m(create_variant_image, PRODUCTS),
          methods=["POST"]),
    Route(V3 + "/hooks", _m(list_hooks, DEFAULT), methods=["GET"]),
    Route(V3 + "/hooks", _m(create_hook, DEFAULT), methods=["POST"]),
    Route(V3 + "/hooks/{webhook_id}", _m(get_hook, DEFAULT), methods=["GET"]),
    Route(V3 + "/hooks/{webhook_id}", _m(update_hook, DEFAULT), methods=["PUT"]),
    Route(V3 + "/hooks/{webhook_id}", _m(delete_hook, DEFAULT), methods=["DELETE"]),
    Route(V2 + "/store", _m(store_info, INFORMATION), methods=["GET"]),
    Route(V2 + "/time", _m(store_time, DEFAULT), methods=["GET"]),
]

__all__ = ["routes", "image_json", "product_json", "EXT"]
