"""Product images: create by URL or multipart, validation errors, thumbnail and sort_order rules, CDN."""

from __future__ import annotations

import io

from PIL import Image

from .conftest import auth, v3


def png(size=(40, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 10, 10)).save(buf, "PNG")
    return buf.getvalue()


async def test_create_by_url_and_multipart_then_delete(api, store, receiver):
    h = auth(store)
    receiver.answers["/files/red.png"] = (200, {"content-type": "image/png"}, png())
    r = await api.post(v3(store, "/catalog/products/3/images"), headers=h,
                       json={"image_url": receiver.url + "/files/red.png", "description": "by url"})
    assert r.status_code == 200, r.text
    by_url = r.json()["data"]
    assert r.json()["meta"] == {}
    assert by_url["product_id"] == 3 and by_url["description"] == "by url"
    assert by_url["id"] > max(i["id"] for p in [] for i in p) if False else by_url["id"] > 0
    r = await api.post(v3(store, "/catalog/products/3/images"), headers=h,
                       data={"description": "multipart", "sort_order": "0"},
                       files={"image_file": ("x.png", png((64, 64)), "image/png")})
    assert r.status_code == 200, r.text
    mp = r.json()["data"]
    assert mp["id"] == by_url["id"] + 1, "image ids increment sequentially"
    assert mp["sort_order"] == 0
    imgs = (await api.get(v3(store, "/catalog/products/3/images"), headers=h)).json()["data"]
    assert imgs[0]["id"] == mp["id"], "sort_order 0 moved the others down"
    assert sorted(i["sort_order"] for i in imgs) == [i["sort_order"] for i in imgs]
    # the CDN serves it, at most 1280 px for url_zoom, without touching the quota
    before = (await api.get(f"/_sandbox/stores/{store['store_hash']}")).json()["requests"]
    got = await api.get(mp["url_zoom"])
    assert got.status_code == 200 and Image.open(io.BytesIO(got.content)).size == (64, 64)
    after = (await api.get(f"/_sandbox/stores/{store['store_hash']}")).json()["requests"]
    assert after == before
    r = await api.delete(v3(store, f"/catalog/products/3/images/{mp['id']}"), headers=h)
    assert r.status_code == 204 and r.content == b""
    r = await api.get(v3(store, f"/catalog/products/3/images/{mp['id']}"), headers=h)
    assert r.status_code == 404


async def test_image_validation_errors(api, store, receiver):
    h = auth(store)
    url = v3(store, "/catalog/products/2/images")
    r = await api.post(url, headers=h, data={"description": "no file"},
                       files={"other": ("x.txt", b"hello", "text/plain")})
    assert r.status_code == 422
    assert r.json()["title"] == "image_url must be present if uploading by url"
    r = await api.post(url, headers=h, json={"image_url": "https://example.com/" + "a" * 250 + ".jpg"})
    assert r.status_code == 422 and "image_url" in r.json()["errors"]
    r = await api.post(url, headers=h, files={"image_file": ("x.txt", b"not an image at all", "text/plain")})
    assert r.status_code == 422
    big = io.BytesIO()
    Image.effect_noise((2200, 2200), 90).convert("RGB").save(big, "BMP")
    assert len(big.getvalue()) > 8 * 1024 * 1024
    r = await api.post(url, headers=h, files={"image_file": ("big.bmp", big.getvalue(), "image/bmp")})
    assert r.status_code == 422
    receiver.answers["/missing.jpg"] = (404, {}, b"nope")
    r = await api.post(url, headers=h, json={"image_url": receiver.url + "/missing.jpg"})
    assert r.status_code == 400
    r = await api.post(v3(store, "/catalog/products/424242/images"), headers=h,
                       files={"image_file": ("x.png", png(), "image/png")})
    assert r.status_code == 404
    # nothing was added
    state = (await api.get(f"/_sandbox/stores/{store['store_hash']}/products/2")).json()
    assert all(i["facts"]["generated"] for i in state["images"])


async def test_thumbnail_is_unique_and_update_renumbers(api, make_store):
    store = await make_store(products=2, images_per_product=3, seed=11)
    h = auth(store)
    imgs = (await api.get(v3(store, "/catalog/products/1/images"), headers=h)).json()["data"]
    assert len(imgs) >= 1
    r = await api.post(v3(store, "/catalog/products/1/images"), headers=h, data={"is_thumbnail": "true"},
                       files={"image_file": ("t.png", png(), "image/png")})
    new = r.json()["data"]
    assert new["is_thumbnail"] is True
    imgs = (await api.get(v3(store, "/catalog/products/1/images"), headers=h)).json()["data"]
    assert [i["id"] for i in imgs if i["is_thumbnail"]] == [new["id"]]
    first = imgs[0]
    r = await api.put(v3(store, f"/catalog/products/1/images/{first['id']}"), headers=h,
                      json={"sort_order": 1, "description": "moved"})
    assert r.status_code == 200 and r.json()["data"]["sort_order"] == 1
    imgs = (await api.get(v3(store, "/catalog/products/1/images"), headers=h)).json()["data"]
    orders = {i["id"]: i["sort_order"] for i in imgs}
    assert orders[first["id"]] == 1
    assert all(o >= 2 for i, o in orders.items() if i != first["id"] and o >= 1)


async def test_image_limit_per_product(api, make_store):
    store = await make_store(products=1, images_per_product=0)
    h = auth(store)
    # fill the product to the platform limit through the merchant's control panel
    for _ in range(1000):
        r = await api.post(f"/_sandbox/stores/{store['store_hash']}/products/1/images",
                           json={"generate": True, "width": 300})
        assert r.status_code == 200
    r = await api.post(v3(store, "/catalog/products/1/images"), headers=h,
                       files={"image_file": ("x.png", png(), "image/png")})
    assert r.status_code == 403
    r = await api.get(v3(store, "/catalog/products/1/images"), params={"limit": 250, "page": 4}, headers=h)
    assert r.json()["meta"]["pagination"]["total"] == 1000
