"""The app in the control panel, end to end: the sandbox drives Pixport's callbacks
(install, load, uninstall, remove_user) and delivers webhooks to it."""

from __future__ import annotations

import json
import logging
import time
import uuid
from datetime import timedelta

import jwt
import pytest

from core import runtime, security
from core.accounts.models import Session, User
from core.jobs import services as jobs
from core.jobs.models import Job, JobStatus
from core.stores import services as stores
from core.stores.models import Store, StoreStatus, StoreUser
from plugins.bigcommerce.routes import WEBHOOK_SECRET_HEADER
from tests.support.servers import wait_until

ME = "query { me { email account { id } } }"
SIGN_UP = """mutation($input: AccountCreateInput!) { accountCreate(input: $input) {
  token user { email account { id } } errors { code field message } } }"""
LOG_IN = """mutation($input: SessionCreateInput!) { sessionCreate(input: $input) {
  token user { email } errors { code field message } } }"""
PASSWORD = "a long passphrase 1"
FORGED_KEY = "k" * 64  # the right length, the wrong key


def fragment(response: dict) -> tuple[str, str]:
    assert response["status"] == 302, response
    location = response["headers"]["location"]
    assert location.startswith("/app#"), location
    kind, _, token = location.split("#", 1)[1].partition("=")
    return kind, token


async def installed(bc_app, **options) -> tuple[dict, Store, dict]:
    remote = await bc_app.store(**options)
    out = await bc_app.install(remote["store_hash"])
    store = await Store.get(platform="bigcommerce", external_id=remote["store_hash"])
    return remote, store, out


async def sign_up(gql, email: str, link: str | None = None) -> dict:
    data = await gql(SIGN_UP, {"input": {"email": email, "password": PASSWORD, "name": "Merchant",
                                         "storeLinkToken": link}})
    return data["accountCreate"]


# ---- install -----------------------------------------------------------------------------

async def test_install_saves_the_store_sealed_registers_hooks_and_starts_the_first_sync(bc_app, caplog):
    caplog.set_level(logging.DEBUG)
    remote, store, out = await installed(bc_app)
    h = remote["store_hash"]
    page = out["response"]
    assert page["status"] == 200 and "Pixport" in page["body"] and "Open Pixport" in page["body"]
    assert page["headers"]["content-security-policy"] == f"frame-ancestors https://store-{h}.mybigcommerce.com"
    assert "set-cookie" not in page["headers"]

    assert store.status == StoreStatus.INSTALLED and store.name == f"Sandbox store {h}"
    token = stores.access(store).access_token
    assert token and token not in (store.access_token_sealed or "") and token not in caplog.text
    assert stores.webhook_secret(store) not in (store.webhook_secret_sealed or "")
    users = {u.external_user_id: u for u in await StoreUser.filter(store=store)}
    assert users[str(remote["owner"]["id"])].is_owner
    state = await bc_app.sandbox.state(h)
    assert state["hooks"] == 3 and state["installed_apps"] == [bc_app.client_id]
    hooks = (await bc_app.sandbox.call("GET", f"{h}/hooks")).json()
    assert {x["scope"] for x in hooks} == {"store/product/created", "store/product/updated", "store/product/deleted"}
    assert all(x["headers"] == {WEBHOOK_SECRET_HEADER: stores.webhook_secret(store)} for x in hooks)
    assert store.sync_job_id is not None


async def test_a_used_or_bad_code_changes_nothing(bc_app, server):
    remote, store, out = await installed(bc_app)
    import httpx

    async with httpx.AsyncClient(base_url=server) as http:
        again = await http.get(out["url"].replace(bc_app.server, ""))  # the same code, replayed
        bad = await http.get("/bigcommerce/auth", params={"code": "forged", "context": f"stores/{remote['store_hash']}",
                                                         "scope": "store_v2_products"})
        other = await http.get("/bigcommerce/auth", params={"code": "forged", "context": "stores/nosuchstore",
                                                           "scope": "store_v2_products"})
    for r in (again, bad, other):
        assert r.status_code == 400 and "Install Pixport again" in r.text
    after = await Store.get(id=store.id)
    assert after.access_token_sealed == store.access_token_sealed
    assert await Store.filter(external_id="nosuchstore").count() == 0


# ---- load, sign up, log in -----------------------------------------------------------------

async def test_load_links_the_store_through_sign_up_then_opens_a_session(bc_app, gql):
    remote, store, _ = await installed(bc_app)
    h = remote["store_hash"]
    response = await bc_app.load(h)
    assert response["headers"]["content-security-policy"] == f"frame-ancestors https://store-{h}.mybigcommerce.com"
    kind, link = fragment(response)
    assert kind == "storeLinkToken"

    payload = await sign_up(gql, "merchant@example.com", link)
    assert payload["errors"] == []
    store = await Store.get(id=store.id)
    account_id = (await User.get(email="merchant@example.com")).account_id
    assert store.account_id == account_id
    assert (await Job.get(id=store.sync_job_id)).account_id == account_id  # the first sync is theirs now

    kind, session = fragment(await bc_app.load(h))
    assert kind == "session"
    assert (await gql(ME, token=session))["me"]["email"] == "merchant@example.com"

    again = await sign_up(gql, "second@example.com", link)  # a link is used once
    assert [(e["code"], e["field"]) for e in again["errors"]] == [("EXPIRED", "storeLinkToken")]
    assert not await User.exists(email="second@example.com")


async def test_log_in_with_a_link_token_links_the_store(bc_app, gql):
    await sign_up(gql, "existing@example.com")
    remote, store, _ = await installed(bc_app)
    _, link = fragment(await bc_app.load(remote["store_hash"]))
    data = await gql(LOG_IN, {"input": {"email": "existing@example.com", "password": PASSWORD, "storeLinkToken": link}})
    assert data["sessionCreate"]["errors"] == []
    user = await User.get(email="existing@example.com")
    assert (await Store.get(id=store.id)).account_id == user.account_id
    su = await StoreUser.get(store_id=store.id, external_user_id=str(remote["owner"]["id"]))
    assert su.user_id == user.id


async def test_another_accounts_store_is_refused_and_nothing_changes(bc_app, gql):
    remote, store, _ = await installed(bc_app)
    h = remote["store_hash"]
    _, link = fragment(await bc_app.load(h))
    assert (await sign_up(gql, "first@example.com", link))["errors"] == []
    await sign_up(gql, "stranger@example.com")

    staff = await bc_app.add_user(h, "staff@example.com")
    _, staff_link = fragment(await bc_app.load(h, user_id=staff["id"]))
    users, sessions = await User.all().count(), await Session.all().count()
    created = await sign_up(gql, "newcomer@example.com", staff_link)
    assert [(e["code"], e["field"]) for e in created["errors"]] == [("PERMISSION_DENIED", "storeLinkToken")]
    assert "another Pixport account" in created["errors"][0]["message"] and created["token"] is None
    logged = (await gql(LOG_IN, {"input": {"email": "stranger@example.com", "password": PASSWORD,
                                           "storeLinkToken": staff_link}}))["sessionCreate"]
    assert [(e["code"], e["field"]) for e in logged["errors"]] == [("PERMISSION_DENIED", "storeLinkToken")]
    assert logged["token"] is None
    assert (await User.all().count(), await Session.all().count()) == (users, sessions)
    first = await User.get(email="first@example.com")
    assert (await Store.get(id=store.id)).account_id == first.account_id

    # the staff user logs in to the store's account instead: linked, and the next load signs in
    await gql(LOG_IN, {"input": {"email": "first@example.com", "password": PASSWORD, "storeLinkToken": staff_link}})
    assert fragment(await bc_app.load(h, user_id=staff["id"]))[0] == "session"


async def test_forged_or_expired_link_tokens_are_refused(bc_app, gql):
    remote, store, _ = await installed(bc_app)
    key = runtime.current().settings.signing_key
    expired = security.sign(key, stores.STORE_LINK_PURPOSE, str(store.id), timedelta(seconds=-60), xu="1", jti="x")
    forged = security.sign(FORGED_KEY.encode(), stores.STORE_LINK_PURPOSE, str(store.id), timedelta(minutes=5), jti="y")
    wrong_purpose = security.sign(key, "verify-email", str(store.id), timedelta(minutes=5), jti="z")
    for token in (expired, forged, wrong_purpose, "garbage"):
        payload = await sign_up(gql, "someone@example.com", token)
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [("EXPIRED", "storeLinkToken")], token
    assert not await User.exists(email="someone@example.com")
    assert (await Store.get(id=store.id)).account_id is None


# ---- load JWTs ---------------------------------------------------------------------------

def claims_for(bc_app, remote, **changes) -> dict:
    now = int(time.time())
    claims = {"aud": bc_app.client_id, "iss": "bc", "iat": now, "nbf": now - 5, "exp": now + 86400,
              "jti": str(uuid.uuid4()), "sub": f"stores/{remote['store_hash']}",
              "user": {"id": remote["owner"]["id"], "email": remote["owner"]["email"], "locale": "en-US"},
              "owner": {"id": remote["owner"]["id"], "email": remote["owner"]["email"]}, "url": "/", "channel_id": None}
    claims.update(changes)
    return claims


async def test_bad_load_jwts_are_refused_and_reveal_nothing(bc_app, gql):
    remote, store, _ = await installed(bc_app)
    secret = bc_app.client_secret
    good = await bc_app.drive("load", remote["store_hash"])  # issued, not yet followed
    now = int(time.time())
    bad = {
        "forged": jwt.encode(claims_for(bc_app, remote), FORGED_KEY, algorithm="HS256"),
        "other app": jwt.encode(claims_for(bc_app, remote, aud="another-client-id"), secret, algorithm="HS256"),
        "expired": jwt.encode(claims_for(bc_app, remote, iat=now - 90000, nbf=now - 90000, exp=now - 3600), secret,
                              algorithm="HS256"),
        "not yet valid": jwt.encode(claims_for(bc_app, remote, nbf=now + 3600), secret, algorithm="HS256"),
        "wrong issuer": jwt.encode(claims_for(bc_app, remote, iss="evil"), secret, algorithm="HS256"),
        "HS384": jwt.encode(claims_for(bc_app, remote), secret, algorithm="HS384"),
        "no jti": jwt.encode({k: v for k, v in claims_for(bc_app, remote).items() if k != "jti"}, secret,
                             algorithm="HS256"),
        "unsigned": jwt.encode(claims_for(bc_app, remote), None, algorithm="none"),
        "garbage": "a.b.c",
    }
    users = await StoreUser.filter(store=store).count()
    for name, token in bad.items():
        r = await gql.http.get("/bigcommerce/load", params={"signed_payload_jwt": token})
        assert r.status_code == 401, name
        assert "location" not in r.headers and "storeLinkToken" not in r.text and "session" not in r.text, name
    assert await StoreUser.filter(store=store).count() == users

    first = await gql.http.get("/bigcommerce/load", params={"signed_payload_jwt": good["signed_payload_jwt"]})
    replay = await gql.http.get("/bigcommerce/load", params={"signed_payload_jwt": good["signed_payload_jwt"]})
    assert first.status_code == 302 and replay.status_code == 401
    hs512 = jwt.encode(claims_for(bc_app, remote), secret, algorithm="HS512")
    assert (await gql.http.get("/bigcommerce/load", params={"signed_payload_jwt": hs512})).status_code == 302


# ---- webhooks ----------------------------------------------------------------------------

async def test_product_webhooks_refresh_that_product_once(bc_app, gql):
    remote, store, _ = await installed(bc_app)
    h = remote["store_hash"]
    r = await bc_app.sandbox.http.put(f"/stores/{h}/v3/catalog/products/3", json={"name": "Renamed"},
                                      headers={"X-Auth-Token": remote["access_token"]})
    assert r.status_code == 200
    await bc_app.sandbox.call("POST", f"{h}/webhooks/flush")
    await bc_app.sandbox.call("PUT", f"{h}/faults", json={"webhook_duplicate_rate": 1.0})
    r = await bc_app.sandbox.http.put(f"/stores/{h}/v3/catalog/products/4", json={"name": "Renamed too"},
                                      headers={"X-Auth-Token": remote["access_token"]})
    await bc_app.sandbox.call("POST", f"{h}/webhooks/flush")
    deliveries = (await bc_app.sandbox.call("GET", f"{h}/deliveries")).json()
    assert len(deliveries) == 3 and all(d["status"] == 200 for d in deliveries)  # one sent twice

    async def refreshes():
        found = [j for j in await Job.filter(kind="catalog.refresh_product") if j.payload.get("store_id") == store.id]
        return found if len(found) >= 2 else None

    found = await wait_until(refreshes)
    assert sorted(j.payload["product"] for j in found) == ["3", "4"]


async def test_a_webhook_without_the_stores_secret_is_refused(bc_app, gql):
    remote, store, _ = await installed(bc_app)
    body = json.dumps({"scope": "store/product/updated", "store_id": "1", "data": {"type": "product", "id": 5},
                       "hash": "abc", "created_at": 1, "producer": f"stores/{remote['store_hash']}"})
    other, _, _ = await installed(bc_app, seed=9)
    other_secret = stores.webhook_secret(await Store.get(platform="bigcommerce", external_id=other["store_hash"]))
    for headers in ({}, {WEBHOOK_SECRET_HEADER: "wrong"}, {WEBHOOK_SECRET_HEADER: other_secret}):
        r = await gql.http.post("/bigcommerce/webhooks", content=body,
                                headers={"content-type": "application/json", **headers})
        assert r.status_code == 401 and r.json() == {"error": "unauthorized"}
    assert not [j for j in await Job.filter(kind="catalog.refresh_product") if j.payload.get("store_id") == store.id]
    r = await gql.http.post("/bigcommerce/webhooks", content=body, headers={
        "content-type": "application/json", WEBHOOK_SECRET_HEADER: stores.webhook_secret(store)})
    assert r.status_code == 200


# ---- uninstall and remove_user -------------------------------------------------------------

async def test_uninstall_stops_jobs_and_forgets_the_token_and_hooks(bc_app, gql):
    remote, store, _ = await installed(bc_app)
    h = remote["store_hash"]
    secret = stores.webhook_secret(store)
    waiting = await jobs.create("catalog.sync", {"store_id": store.id, "full": True})
    unrelated = await jobs.create("catalog.sync", {"store_id": store.id + 1000, "full": True})
    out = await bc_app.drive("uninstall", h)
    assert out["response"]["status"] == 200
    store = await Store.get(id=store.id)
    assert store.status == StoreStatus.UNINSTALLED and store.uninstalled_at is not None
    assert store.access_token_sealed is None and store.webhook_secret_sealed is None
    assert (await Job.get(id=waiting.id)).status == JobStatus.CANCELLED
    assert (await Job.get(id=unrelated.id)).status == JobStatus.QUEUED
    assert (await bc_app.sandbox.state(h))["hooks"] == 0
    body = json.dumps({"scope": "store/product/updated", "data": {"type": "product", "id": 1}, "hash": "h2",
                       "producer": f"stores/{h}"})
    r = await gql.http.post("/bigcommerce/webhooks", content=body, headers={WEBHOOK_SECRET_HEADER: secret})
    assert r.status_code == 401
    await Job.filter(id=unrelated.id).delete()

    await bc_app.install(h)  # a reinstall brings the store back
    store = await Store.get(id=store.id)
    assert store.status == StoreStatus.INSTALLED and stores.access(store).access_token


async def test_remove_user_ends_that_users_link(bc_app, gql):
    remote, store, _ = await installed(bc_app)
    h = remote["store_hash"]
    _, link = fragment(await bc_app.load(h))
    await sign_up(gql, "owner@example.com", link)
    staff = await bc_app.add_user(h, "staff@example.com")
    _, staff_link = fragment(await bc_app.load(h, user_id=staff["id"]))
    await gql(LOG_IN, {"input": {"email": "owner@example.com", "password": PASSWORD, "storeLinkToken": staff_link}})
    sessions = await Session.all().count()
    out = await bc_app.drive("remove_user", h, user_id=staff["id"])
    assert out["response"]["status"] == 200
    su = await StoreUser.get(store_id=store.id, external_user_id=str(staff["id"]))
    assert su.removed_at is not None and su.user_id is None
    # the Pixport user is the account's owner: their own sessions stay
    assert await Session.all().count() == sessions


@pytest.mark.parametrize("path", ["/bigcommerce/uninstall", "/bigcommerce/remove_user"])
async def test_server_callbacks_refuse_bad_jwts(bc_app, gql, path):
    remote, store, _ = await installed(bc_app)
    token = jwt.encode(claims_for(bc_app, remote), FORGED_KEY, algorithm="HS256")
    r = await gql.http.get(path, params={"signed_payload_jwt": token})
    assert r.status_code == 401
    assert (await Store.get(id=store.id)).status == StoreStatus.INSTALLED
