"""Products, variants and the v2 store: what a client developer checks against BigCommerce."""

from __future__ import annotations

from urllib.parse import parse_qsl

from .conftest import ValidatingClient, auth, v3

RATE_HEADERS = ("x-rate-limit-time-window-ms", "x-rate-limit-time-reset-ms", "x-rate-limit-requests-quota",
                "x-rate-limit-requests-left")


async def test_product_list_envelope_and_relative_links(api, make_store):
    store = await make_store(products=120)
    r = await api.get(v3(store, "/catalog/products"), headers=auth(store))
    assert r.status_code == 200
    body = r.json()
    p = body["meta"]["pagination"]
    assert p == {"total": 120, "count": 50, "per_page": 50, "current_page": 1, "total_pages": 3,
                 "links": {"current": "?page=1&limit=50", "next": "?page=2&limit=50"}}
    assert [d["id"] for d in body["data"]] == list(range(1, 51))
    for h in RATE_HEADERS:
        assert h in r.headers
    # follow the relative links to the end, as a client does
    seen, query = [], "?page=1&limit=50"
    while True:
        r = await api.get(v3(store, "/catalog/products"), params=dict(parse_qsl(query[1:])), headers=auth(store))
        page = r.json()
        seen += [d["id"] for d in page["data"]]
        links = page["meta"]["pagination"]["links"]
        if "next" not in links:
            assert page["meta"]["pagination"]["current_page"] == page["meta"]["pagination"]["total_pages"]
            assert links["previous"] == "?page=2&limit=50"
            break
        query = links["next"]
    assert seen == list(range(1, 121))


async def test_product_fields_images_and_variants(api, store):
    r = await api.get(v3(store, "/catalog/products"),
                      params={"limit": 250, "include": "images,variants,primary_image"}, headers=auth(store))
    assert r.status_code == 200
    products = r.json()["data"]
    assert len(products) == 12
    for p in products:
        for k in ("id", "name", "sku", "brand_id", "categories", "is_visible", "date_modified", "date_created",
                  "base_variant_id", "custom_url", "type", "price"):
            assert k in p
        assert p["variants"], "every product has at least its base variant"
        for v in p["variants"]:
            assert "image_url" in v and v["product_id"] == p["id"]
        if p["base_variant_id"] is None:
            assert len(p["variants"]) >= 2 and all(v["option_values"] for v in p["variants"])
        else:
            assert [v["id"] for v in p["variants"]] == [p["base_variant_id"]]
        thumbs = [i for i in p["images"] if i["is_thumbnail"]]
        assert len(thumbs) == (1 if p["images"] else 0)
        if p["images"]:
            assert p["primary_image"]["id"] == thumbs[0]["id"]
        for img in p["images"]:
            assert set(img) == {"id", "product_id", "is_thumbnail", "sort_order", "description", "image_file",
                                "url_zoom", "url_standard", "url_thumbnail", "url_tiny", "date_modified"}
            assert f"/s-{store['store_hash']}/products/{p['id']}/images/{img['id']}/" in img["url_zoom"]
            assert ".1280.1280." in img["url_zoom"]
    ids = [i["id"] for p in products for i in p["images"]]
    assert ids == sorted(ids) and ids[0] == 1, "image ids increment sequentially"
    assert any(v["image_url"] for p in products for v in p["variants"])


async def test_limits_and_not_found(api, store):
    r = await api.get(v3(store, "/catalog/products"), params={"limit": 251}, headers=auth(store))
    assert r.status_code == 413
    assert r.json()["title"] == "The specified limit exceeds the maximum allowed."
    r = await api.get(v3(store, "/catalog/products"), params={"limit": 250}, headers=auth(store))
    assert r.json()["meta"]["pagination"]["per_page"] == 250
    r = await api.get(v3(store, "/catalog/products/999999"), headers=auth(store))
    assert r.status_code == 404 and r.json()["status"] == 404
    r = await api.get(v3(store, "/catalog/products/999999/images"), headers=auth(store))
    assert r.status_code == 404
    r = await api.get(v3(store, "/catalog/products"), params={"include": "options"}, headers=auth(store))
    assert r.json()["meta"]["pagination"]["per_page"] == 10


async def test_filters_sort_and_field_selection(api, make_store):
    store = await make_store(products=60, seed=3)
    h = auth(store)
    r = await api.get(v3(store, "/catalog/products"), params={"id:in": "5,3,9,1000"}, headers=h)
    assert [p["id"] for p in r.json()["data"]] == [3, 5, 9]
    r = await api.get(v3(store, "/catalog/products"), params={"id:greater": 55}, headers=h)
    assert [p["id"] for p in r.json()["data"]] == [56, 57, 58, 59, 60]
    r = await api.get(v3(store, "/catalog/products"), params={"sort": "id", "direction": "desc", "limit": 3},
                      headers=h)
    assert [p["id"] for p in r.json()["data"]] == [60, 59, 58]
    r = await api.get(v3(store, "/catalog/products"), params={"sort": "name", "limit": 250}, headers=h)
    names = [p["name"] for p in r.json()["data"]]
    assert names == sorted(names)
    one = (await api.get(v3(store, "/catalog/products/7"), headers=h)).json()["data"]
    r = await api.get(v3(store, "/catalog/products"), params={"keyword": one["sku"]}, headers=h)
    assert [p["id"] for p in r.json()["data"]] == [7]
    r = await api.get(v3(store, "/catalog/products"), params={"date_modified:min": one["date_modified"],
                                                               "limit": 250}, headers=h)
    assert all(p["date_modified"] >= one["date_modified"] for p in r.json()["data"])
    assert 7 in [p["id"] for p in r.json()["data"]]
    r = await api.get(v3(store, "/catalog/products"), params={"include_fields": "name,sku", "limit": 2}, headers=h)
    assert all(set(p) == {"id", "name", "sku"} for p in r.json()["data"])
    r = await api.get(v3(store, "/catalog/products/7"), params={"exclude_fields": "id,description"}, headers=h)
    assert "id" in r.json()["data"] and "description" not in r.json()["data"]


async def test_auth_errors_and_scopes(api, store, make_store):
    other = await make_store(products=1)
    r = await api.get(v3(store, "/catalog/products"), headers={"X-Auth-Token": "nope", "Accept": "application/json"})
    assert r.status_code == 401
    for h in RATE_HEADERS:
        assert h in r.headers
    # a token of another store does not open this one
    r = await api.get(v3(store, "/catalog/products"), headers=auth(other))
    assert r.status_code == 401
    # an app with only read-only product scope: GET ok, writes 403; store info needs its own scope
    app = (await api.post("/_sandbox/apps", json={"auth_callback": "https://app.example.com/auth",
                                                  "scopes": ["store_v2_products_read_only"]})).json()
    code = await _install_code(api, store, app)
    tok = (await api.post("/oauth2/token", json={
        "client_id": app["client_id"], "client_secret": app["client_secret"], "code": code,
        "context": f"stores/{store['store_hash']}", "scope": "store_v2_products_read_only",
        "grant_type": "authorization_code", "redirect_uri": app["auth_callback"]})).json()
    h = {"X-Auth-Token": tok["access_token"], "Accept": "application/json"}
    assert (await api.get(v3(store, "/catalog/products/1"), headers=h)).status_code == 200
    r = await api.put(v3(store, "/catalog/products/1/images/1"), json={"description": "x"}, headers=h)
    assert r.status_code == 403
    assert r.json() == {"status": 403, "title": "You don't have a required scope to access the endpoint",
                        "type": "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes",
                        "errors": {}}
    r = await api.get(f"/stores/{store['store_hash']}/v2/store", headers=h)
    assert r.status_code == 403


async def _install_code(api, store, app) -> str:
    """Drive an install whose auth callback is unreachable; the code is in the URL it tried."""
    r = await api.post(f"/_sandbox/stores/{store['store_hash']}/install", json={"client_id": app["client_id"]})
    return r.json()["code"]


async def test_store_information_v2(api, make_store):
    store = await make_store(products=1, plan="pro")
    r = await api.get(f"/stores/{store['store_hash']}/v2/store", headers=auth(store))
    assert r.status_code == 200
    info = r.json()
    assert info["id"] == store["store_hash"] and info["plan_name"] == "Pro" and info["plan_is_trial"] is False
    assert r.headers["x-rate-limit-requests-quota"] == "450"


async def test_variants_and_variant_image(api, make_store, sandbox_url):
    store = await make_store(products=20, variant_share=1.0)
    h = auth(store)
    r = await api.get(v3(store, "/catalog/products/2/variants"), headers=h)
    assert r.status_code == 200
    variants = r.json()["data"]
    assert len(variants) >= 2 and r.json()["meta"]["pagination"]["total"] == len(variants)
    vid = variants[0]["id"]
    src = (await api.get(v3(store, "/catalog/products/1/images"), headers=h)).json()["data"][0]["url_thumbnail"]
    r = await api.post(v3(store, f"/catalog/products/2/variants/{vid}/image"), json={"image_url": src}, headers=h)
    assert r.status_code == 200, r.text
    url = r.json()["data"]["image_url"]
    assert "/product_images/attribute_rule_images/" in url
    got = await api.get(url)
    assert got.status_code == 200 and got.headers["content-type"].startswith("image/")
    r = await api.get(v3(store, "/catalog/products/2/variants"), headers=h)
    assert r.json()["data"][0]["image_url"] == url
    # multipart over 1 MB is refused, as the variants spec says
    big = b"\xff\xd8\xff" + b"0" * (1024 * 1024 + 10)
    r = await api.post(v3(store, f"/catalog/products/2/variants/{vid}/image"), headers=h,
                       files={"image_file": ("big.jpg", big, "image/jpeg")})
    assert r.status_code == 500
    assert ValidatingClient.validated > 0
