"""The login service: token endpoint, and the control panel's app install/load/uninstall/remove_user.

- ``POST /oauth2/token`` (JSON or form body) exchanges a single-use, short-lived code.
- The drivers (called from the control API) play the merchant's browser or BigCommerce's
  servers: they call the app's callback URLs and return what the app answered.
"""

from __future__ import annotations

import json
import time
import uuid
from urllib.parse import urlencode

import httpx
import jwt
from starlette.requests import Request

from .http import json_response
from .state import App, Sandbox, Store, Token, new_token

LOGIN_REFERER = "https://login.bigcommerce.com/"


def _oauth_error(status: int, message: str):
    # The docs do not give the token endpoint's error body; this is OAuth2's usual shape.
    return json_response({"error": message, "error_description": message}, status)


async def token_endpoint(request: Request):
    sb: Sandbox = request.app.state.sandbox
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("application/json"):
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            return _oauth_error(400, "invalid_request")
        if not isinstance(body, dict):
            return _oauth_error(400, "invalid_request")
    else:
        form = await request.form()
        body = {k: form.get(k) for k in form.keys()}
    for k in ("client_id", "client_secret", "code", "context", "scope", "grant_type", "redirect_uri"):
        if not body.get(k):
            return _oauth_error(400, f"The field '{k}' is required.")
    app = sb.apps.get(body["client_id"])
    if app is None or app.client_secret != body["client_secret"]:
        return _oauth_error(401, "Invalid client id or secret.")
    if body["grant_type"] != "authorization_code":
        return _oauth_error(400, "Invalid grant type.")
    grant = sb.codes.get(body["code"])
    if grant is None or grant["expires"] < time.time() or grant["client_id"] != app.client_id:
        sb.codes.pop(body["code"], None)
        return _oauth_error(400, "Invalid authorization code.")
    if body["redirect_uri"] != app.auth_callback:
        return _oauth_error(400, "Invalid redirect_uri.")
    if body["context"] != f"stores/{grant['store_hash']}":
        return _oauth_error(400, "Invalid context.")
    if set(body["scope"].split()) != set(grant["scope"].split()):
        return _oauth_error(400, "Invalid scope.")
    del sb.codes[body["code"]]  # single use
    store = sb.stores.get(grant["store_hash"])
    if store is None:
        return _oauth_error(400, "Invalid context.")
    # one token per store and app: a reinstall replaces the old token
    old = store.installed.get(app.client_id)
    if old:
        sb.tokens.pop(old["token"], None)
    tok = Token(new_token(31), store.hash, app.client_id, list(app.scopes))
    sb.tokens[tok.token] = tok
    store.installed[app.client_id] = {"token": tok.token, "user_id": grant["user_id"], "installed_at": time.time()}
    user = store.users[grant["user_id"]]
    owner = store.owner
    return json_response({
        "access_token": tok.token,
        "scope": " ".join(app.scopes),
        "user": {"id": user["id"], "username": user["username"], "email": user["email"]},
        "owner": {"id": owner["id"], "username": owner["username"], "email": owner["email"]},
        "context": f"stores/{store.hash}",
        "account_uuid": app.account_uuid,
    })


def _answer(resp: httpx.Response) -> dict:
    return {"status": resp.status_code, "headers": dict(resp.headers), "body": resp.text}


def grant(sb: Sandbox, store: Store, app: App, user_id: int) -> tuple[str, str]:
    """A single-use code for the app, and the auth callback URL the merchant's browser is sent to."""
    code = new_token(16)
    scope = " ".join(app.scopes)
    sb.codes[code] = {"client_id": app.client_id, "store_hash": store.hash, "scope": scope, "user_id": user_id,
                      "expires": time.time() + sb.code_ttl_s}
    query = urlencode({"account_uuid": app.account_uuid, "code": code, "context": f"stores/{store.hash}",
                       "scope": scope})
    return f"{app.auth_callback}{'&' if '?' in app.auth_callback else '?'}{query}", code


async def install(sb: Sandbox, store: Store, app: App, user_id: int) -> dict:
    url, code = grant(sb, store, app, user_id)
    async with httpx.AsyncClient(timeout=30.0, follow_redirects=False) as client:
        try:
            resp = await client.get(url, headers={"Referer": LOGIN_REFERER, "Accept": "text/html"})
        except httpx.HTTPError as e:
            return {"url": url, "code": code, "error": type(e).__name__, "response": None}
    return {"url": url, "code": code, "response": _answer(resp)}


def signed_payload(app: App, store: Store, user: dict, url: str = "/", channel_id: int | None = None) -> tuple[str, dict]:
    iat = int(time.time())
    claims = {
        "aud": app.client_id,
        "iss": "bc",
        "iat": iat,
        "nbf": iat - 5,
        "exp": iat + 86400,
        "jti": str(uuid.uuid4()),
        "sub": f"stores/{store.hash}",
        "user": {"id": user["id"], "email": user["email"], "locale": user.get("locale", "en-US")},
        "owner": {"id": store.owner["id"], "email": store.owner["email"]},
        "url": url,
        "channel_id": channel_id,
    }
    token = jwt.encode(claims, app.client_secret, algorithm="HS256", headers={"alg": "HS256", "typ": "JWT"})
    return token, claims


async def call_jwt_callback(callback: str | None, token: str, follow: bool, browser: bool) -> dict | None:
    if not callback or not follow:
        return None
    url = f"{callback}{'&' if '?' in callback else '?'}{urlencode({'signed_payload_jwt': token})}"
    headers = {"Accept": "application/json"}
    if browser:
        headers["Referer"] = "https://store.mybigcommerce.com/manage/app"
    async with httpx.AsyncClient(timeout=30.0, follow_redirects=False) as client:
        try:
            resp = await client.get(url, headers=headers)
        except httpx.HTTPError as e:
            return {"error": type(e).__name__}
    return _answer(resp)


def jwt_url(callback: str | None, token: str) -> str | None:
    if not callback:
        return None
    return f"{callback}{'&' if '?' in callback else '?'}{urlencode({'signed_payload_jwt': token})}"
