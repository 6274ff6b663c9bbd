"""App install/load/uninstall like the control panel, the token endpoint, webhooks, and
BigCommerce's own Python client against the sandbox."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import io
import json

import bigcommerce
import jwt
from bigcommerce.connection import OAuthConnection
from PIL import Image
from starlette.responses import HTMLResponse

from .conftest import auth, v3


async def _register(api, receiver, **extra):
    body = {"auth_callback": receiver.url + "/auth", "load_callback": receiver.url + "/load",
            "uninstall_callback": receiver.url + "/uninstall", "remove_user_callback": receiver.url + "/remove_user"}
    body.update(extra)
    r = await api.post("/_sandbox/apps", json=body)
    assert r.status_code == 200
    return r.json()


async def test_install_token_exchange_load_and_uninstall(api, store, receiver, sandbox_url):
    app = await _register(api, receiver)
    got = {}

    async def on_auth(request):
        # what a Python app does: the official client's fetch_token (a form-encoded POST)
        q = request.query_params
        conn = OAuthConnection(app["client_id"], q["context"].split("/")[1])
        token = await asyncio.to_thread(conn.fetch_token, app["client_secret"], q["code"], q["context"], q["scope"],
                                        app["auth_callback"], token_url=sandbox_url + "/oauth2/token")
        got.update(token)
        return HTMLResponse("<h1>Welcome to Pixport</h1>")

    receiver.handlers["/auth"] = on_auth
    r = await api.post(f"/_sandbox/stores/{store['store_hash']}/install", json={"client_id": app["client_id"]})
    out = r.json()
    assert out["response"]["status"] == 200 and "Welcome to Pixport" in out["response"]["body"]
    call = receiver.at("/auth")[0]
    assert call.query["context"] == f"stores/{store['store_hash']}"
    assert call.query["scope"] == "store_v2_products store_v2_information_read_only"
    assert call.query["account_uuid"] == app["account_uuid"] and call.query["code"]
    assert set(got) == {"access_token", "scope", "user", "owner", "context", "account_uuid"}
    assert set(got["user"]) == {"id", "username", "email"} and got["context"] == f"stores/{store['store_hash']}"
    # the code is single-use (JSON body this time, as the node client sends it)
    r = await api.post("/oauth2/token", json={
        "client_id": app["client_id"], "client_secret": app["client_secret"], "code": call.query["code"],
        "context": call.query["context"], "scope": call.query["scope"], "grant_type": "authorization_code",
        "redirect_uri": app["auth_callback"]})
    assert r.status_code == 400
    # the token works on the API
    h = {"X-Auth-Token": got["access_token"], "Accept": "application/json"}
    assert (await api.get(v3(store, "/catalog/products/1"), headers=h)).status_code == 200

    # load: a browser GET with signed_payload_jwt; the app's redirect is returned, not followed
    receiver.answers["/load"] = (302, {"location": "/app/home"}, b"")
    r = await api.post(f"/_sandbox/stores/{store['store_hash']}/load",
                       json={"client_id": app["client_id"], "follow": True})
    out = r.json()
    assert out["response"]["status"] == 302 and out["response"]["headers"]["location"] == "/app/home"
    claims = OAuthConnection.verify_payload_jwt(out["signed_payload_jwt"], app["client_secret"], app["client_id"])
    assert jwt.get_unverified_header(out["signed_payload_jwt"]) == {"alg": "HS256", "typ": "JWT"}
    assert claims["iss"] == "bc" and claims["sub"] == f"stores/{store['store_hash']}"
    assert claims["nbf"] == claims["iat"] - 5 and claims["exp"] == claims["iat"] + 86400
    assert set(claims["user"]) == {"id", "email", "locale"} and set(claims["owner"]) == {"id", "email"}
    assert claims["url"] == "/" and claims["channel_id"] is None and len(claims["jti"]) == 36
    assert receiver.at("/load")[0].query["signed_payload_jwt"] == out["signed_payload_jwt"]

    # a hook made with the app's token is deleted on uninstall, and the token stops working
    r = await api.post(v3(store, "/hooks"), headers=h,
                       json={"scope": "store/product/updated", "destination": "https://app.example.com/hooks"})
    assert r.status_code == 200
    r = await api.post(f"/_sandbox/stores/{store['store_hash']}/uninstall", json={"client_id": app["client_id"]})
    assert r.json()["response"]["status"] == 200
    assert receiver.at("/uninstall")[0].headers["accept"] == "application/json"
    hooks = (await api.get(f"/_sandbox/stores/{store['store_hash']}/hooks")).json()
    assert not [x for x in hooks if x["client_id"] == app["client_id"]]
    assert (await api.get(v3(store, "/catalog/products/1"), headers=h)).status_code == 401


async def test_token_endpoint_checks(api, store, receiver):
    app = await _register(api, receiver)
    r = await api.post(f"/_sandbox/stores/{store['store_hash']}/install", json={"client_id": app["client_id"]})
    code = r.json()["code"]
    form = {"client_id": app["client_id"], "client_secret": app["client_secret"], "code": code,
            "context": f"stores/{store['store_hash']}", "scope": "store_v2_products store_v2_information_read_only",
            "grant_type": "authorization_code", "redirect_uri": "https://elsewhere.example.com/auth"}
    assert (await api.post("/oauth2/token", data=form)).status_code == 400  # redirect_uri must match
    assert (await api.post("/oauth2/token", data={**form, "client_secret": "x"})).status_code == 401
    r = await api.post("/oauth2/token", data={**form, "redirect_uri": app["auth_callback"]})
    assert r.status_code == 200 and r.json()["scope"] == form["scope"]


async def test_remove_user(api, store, receiver):
    app = await _register(api, receiver)
    user = (await api.post(f"/_sandbox/stores/{store['store_hash']}/users", json={"email": "clerk@example.com"})).json()
    r = await api.post(f"/_sandbox/stores/{store['store_hash']}/remove_user",
                       json={"client_id": app["client_id"], "user_id": user["id"]})
    claims = jwt.decode(r.json()["signed_payload_jwt"], app["client_secret"], algorithms=["HS256"],
                        audience=app["client_id"])
    assert claims["user"]["email"] == "clerk@example.com"
    assert len(receiver.at("/remove_user")) == 1


def _verify_standard_webhook(secret: str, headers: dict, body: bytes) -> None:
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest()).decode()
    assert f"v1,{expected}" in headers["webhook-signature"].split(" ")


async def test_webhooks_delivery_signature_and_image_rule(api, make_store, receiver):
    store = await make_store(products=5, webhook_retry_scale=0.001)
    h = auth(store)
    sh = store["store_hash"]
    r = await api.post(v3(store, "/hooks"), headers=h,
                       json={"scope": "store/product/*", "destination": "https://app.example.com:8443/hooks"})
    assert r.status_code == 422 and "destination" in r.json()["errors"]
    r = await api.post(v3(store, "/hooks"), headers=h, json={
        "scope": "store/product/*", "destination": "https://app.example.com/hooks",
        "headers": {"username": "Hello", "password": "Goodbye"}, "is_active": True})
    assert r.status_code == 200
    hook = r.json()["data"]
    assert hook["client_id"] == store["client_id"] and hook["store_hash"] == sh
    assert (await api.post(v3(store, "/hooks"), headers=h, json={
        "scope": "store/product/*", "destination": "https://app.example.com/hooks"})).status_code == 422
    await api.post("/_sandbox/webhook_routes", json={"from": "https://app.example.com", "to": receiver.url})

    # image changes do not fire product/updated (the product already has a thumbnail)
    await api.post(f"/_sandbox/stores/{sh}/products/1/images", json={"generate": True})
    await api.delete(f"/_sandbox/stores/{sh}/products/1/images/1")
    await api.put(f"/_sandbox/stores/{sh}/products/2", json={"name": "Renamed by merchant"})
    await api.post("/_sandbox/webhooks/flush".replace("/_sandbox/", f"/_sandbox/stores/{sh}/"))
    calls = await receiver.wait_for("/hooks", 1)
    assert len(calls) == 1
    call = calls[0]
    body = json.loads(call.body)
    assert body["scope"] == "store/product/updated" and body["data"] == {"type": "product", "id": 2}
    assert body["producer"] == f"stores/{sh}" and isinstance(body["store_id"], str)
    assert isinstance(body["created_at"], int) and len(body["hash"]) == 40
    assert call.headers["username"] == "Hello" and call.headers["password"] == "Goodbye"
    _verify_standard_webhook(store["client_secret"], call.headers, call.body)

    # a failing destination is retried (on a scaled-down schedule)
    receiver.answers["/hooks"] = (500, {}, b"")
    await api.delete(f"/_sandbox/stores/{sh}/products/3")
    await receiver.wait_for("/hooks", 3)
    deliveries = (await api.get(f"/_sandbox/stores/{sh}/deliveries")).json()
    assert [d["attempt"] for d in deliveries if d["data"]["id"] == 3][:2] == [1, 2]

    r = await api.delete(v3(store, f"/hooks/{hook['id']}"), headers=h)
    assert r.status_code == 200 and r.json()["data"]["id"] == hook["id"]
    r = await api.get(v3(store, f"/hooks/{hook['id']}"), headers=h)
    assert r.status_code == 404 and r.json()["title"] == f"Webhook with id [{hook['id']}] not found"


async def test_webhook_duplicates_and_reordering(api, make_store, receiver):
    store = await make_store(products=8)
    sh = store["store_hash"]
    await api.post(v3(store, "/hooks"), headers=auth(store),
                   json={"scope": "store/product/updated", "destination": "https://dup.example.com/in"})
    await api.post("/_sandbox/webhook_routes", json={"from": "https://dup.example.com", "to": receiver.url})
    await api.put(f"/_sandbox/stores/{sh}/faults",
                  json={"seed": 3, "webhook_duplicate_rate": 1.0, "webhook_reorder_window": 4})
    for pid in (1, 2, 3, 4):
        await api.put(f"/_sandbox/stores/{sh}/products/{pid}", json={"is_visible": False})
    await api.post(f"/_sandbox/stores/{sh}/webhooks/flush")
    calls = await receiver.wait_for("/in", 8)
    ids = [json.loads(c.body)["data"]["id"] for c in calls]
    assert sorted(ids) == [1, 1, 2, 2, 3, 3, 4, 4]
    firsts = list(dict.fromkeys(ids))
    assert firsts != [1, 2, 3, 4], "delivered out of order"
    by_id = {}
    for c in calls:
        by_id.setdefault(c.headers["webhook-id"], []).append(json.loads(c.body)["hash"])
    assert all(len(v) == 2 and v[0] == v[1] for v in by_id.values()), "duplicates carry the same id and hash"


async def test_official_python_client(api, store, receiver, sandbox_url):
    """BigCommerce's own client: list products with images, read the rate-limit headers, create and
    delete an image.  It always builds https://{host}/stores/{hash}/v3 URLs, but its connection
    takes absolute URLs as given, so it is pointed at the sandbox with full http:// URLs."""
    client = bigcommerce.api.BigcommerceApi(client_id=store["client_id"], store_hash=store["store_hash"],
                                            access_token=store["access_token"])
    conn = client.connection
    base = f"{sandbox_url}/stores/{store['store_hash']}/v3"
    buf = io.BytesIO()
    Image.new("RGB", (50, 50), (0, 90, 200)).save(buf, "JPEG")
    receiver.answers["/blue.jpg"] = (200, {"content-type": "image/jpeg"}, buf.getvalue())

    def work():
        page = conn.get(base + "/catalog/products", include="images", limit=5)
        rate = dict(conn.rate_limit)
        created = conn.make_request("POST", base + "/catalog/products/1/images",
                                    data={"image_url": receiver.url + "/blue.jpg"})
        conn.delete(base + "/catalog/products/1/images", created["data"]["id"])
        status = conn._last_response.status_code
        return page, rate, created, status

    page, rate, created, status = await asyncio.to_thread(work)
    assert len(page["data"]) == 5 and "images" in page["data"][0]
    assert rate["requests_quota"] == 150 and rate["window_size_ms"] == 30000
    assert rate["requests_remaining"] < 150
    assert created["data"]["product_id"] == 1
    assert status == 204
