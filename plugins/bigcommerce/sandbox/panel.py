"""The store's control panel, as HTML pages a merchant's browser uses (``/manage/...``).

What BigCommerce's control panel does for an app, and no more:

- **Apps**: the store's installed apps and the marketplace (every app registered in the
  sandbox). *Install* shows the permissions; *Confirm* grants a single-use code and
  loads the app's auth callback in the panel's iframe (the real OAuth redirect).
- **An installed app** opens in the panel's iframe through its load callback with a
  signed payload (a JWT signed with the app's client secret), as BigCommerce does.
- **Products**: the store's products and their images, so a merchant sees what an app
  changed.

Everything happens as the store owner (the sandbox has no control-panel login).
"""

from __future__ import annotations

from jinja2 import DictLoader, Environment, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from . import oauth
from .rest import base_url, product_json

_LAYOUT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }} · {{ store.hash }} · Control panel</title>
<style>
body { margin: 0; font-family: system-ui, sans-serif; color: #313440; background: #f6f7f9; }
header { background: #34313f; color: #fff; padding: .6rem 1.2rem; display: flex; gap: 2rem; align-items: center; }
header a { color: #fff; text-decoration: none; } header strong { font-size: 1.1rem; }
nav a { margin-right: 1.2rem; } nav a[aria-current=page] { text-decoration: underline; }
main { padding: 1.2rem; } h1 { font-size: 1.4rem; margin: 0 0 1rem; }
.card { background: #fff; border-radius: 6px; padding: 1rem; margin-bottom: 1rem; box-shadow: 0 1px 3px #0002; }
.button { background: #3c64f4; color: #fff; border: 0; border-radius: 4px; padding: .5rem 1rem; font-size: 1rem;
          text-decoration: none; cursor: pointer; display: inline-block; }
iframe.app { width: 100%; height: 860px; border: 0; background: #fff; border-radius: 6px; }
table { border-collapse: collapse; width: 100%; background: #fff; } td, th { padding: .4rem; text-align: left;
        border-bottom: 1px solid #e5e7eb; vertical-align: top; } img.thumb { width: 64px; height: 64px; object-fit: contain; }
</style></head>
<body><header><strong>{{ store.name or store.hash }}</strong>
<nav aria-label="Control panel"><a href="/manage/{{ store.hash }}/products"
 {% if section == 'products' %}aria-current="page"{% endif %}>Products</a><a href="/manage/{{ store.hash }}/apps"
 {% if section == 'apps' %}aria-current="page"{% endif %}>Apps</a></nav></header>
<main>{% block main %}{% endblock %}</main></body></html>"""

_TEMPLATES = {
    "layout.html": _LAYOUT,
    "stores.html": """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sandbox stores</title></head>
<body><h1>Sandbox stores</h1><ul>{% for s in stores %}<li><a href="/manage/{{ s.hash }}/apps">{{ s.hash }}</a>
</li>{% else %}<li>No store yet: POST /_sandbox/stores.</li>{% endfor %}</ul></body></html>""",
    "apps.html": """{% extends "layout.html" %}{% block main %}<h1>Apps</h1>
<section class="card" aria-labelledby="my-apps"><h2 id="my-apps">My apps</h2>
{% for app in installed %}<p><a class="button" href="/manage/{{ store.hash }}/apps/{{ app.client_id }}">Open {{ app.name }}</a></p>
{% else %}<p>No app installed yet.</p>{% endfor %}</section>
<section class="card" aria-labelledby="marketplace"><h2 id="marketplace">Marketplace</h2>
{% for app in available %}<p><strong>{{ app.name }}</strong>
<a class="button" href="/manage/{{ store.hash }}/apps/{{ app.client_id }}/install">Install {{ app.name }}</a></p>
{% else %}<p>No other app to install.</p>{% endfor %}</section>{% endblock %}""",
    "confirm.html": """{% extends "layout.html" %}{% block main %}<h1>Install {{ app.name }}</h1>
<div class="card"><p>{{ app.name }} asks for these permissions:</p><ul>{% for s in app.scopes %}<li>{{ s }}</li>
{% endfor %}</ul><form method="post" action="/manage/{{ store.hash }}/apps/{{ app.client_id }}/install">
<button class="button" type="submit">Confirm</button></form></div>{% endblock %}""",
    "frame.html": """{% extends "layout.html" %}{% block main %}<h1>{{ app.name }}</h1>
<iframe class="app" title="{{ app.name }}" name="app" src="{{ src }}"></iframe>{% endblock %}""",
    "products.html": """{% extends "layout.html" %}{% block main %}<h1>Products ({{ total }})</h1>
<table><thead><tr><th>Product</th><th>SKU</th><th>Images</th></tr></thead><tbody>
{% for p in products %}<tr><td>#{{ p.id }} {{ p.name }}</td><td>{{ p.sku }}</td><td>{% for i in p.images %}
<img class="thumb" src="{{ i.url_thumbnail }}" alt="image {{ i.id }}" title="image {{ i.id }}">{% endfor %}</td></tr>
{% endfor %}</tbody></table><p>{% if page > 1 %}<a href="?page={{ page - 1 }}">Previous</a>{% endif %}
{% if page * limit < total %}<a href="?page={{ page + 1 }}">Next</a>{% endif %}</p>{% endblock %}""",
}
_env = Environment(loader=DictLoader(_TEMPLATES), autoescape=select_autoescape(default=True))


def _render(name: str, status: int = 200, **context) -> HTMLResponse:
    return HTMLResponse(_env.get_template(name).render(**context), status_code=status)


def _store_and_app(request: Request):
    sb = request.app.state.sandbox
    store = sb.stores.get(request.path_params["store_hash"])
    app = sb.apps.get(request.path_params.get("client_id", ""))
    return store, app


def _not_found(what: str) -> Response:
    return HTMLResponse(f"<!doctype html><title>Not found</title><p>Unknown {what}.</p>", status_code=404)


async def stores(request: Request):
    return _render("stores.html", stores=list(request.app.state.sandbox.stores.values()))


async def store_home(request: Request):
    return RedirectResponse(f"/manage/{request.path_params['store_hash']}/apps", status_code=302)


async def apps(request: Request):
    store, _ = _store_and_app(request)
    if store is None:
        return _not_found("store")
    all_apps = list(request.app.state.sandbox.apps.values())
    installed = [a for a in all_apps if a.client_id in store.installed]
    available = [a for a in all_apps if a.client_id not in store.installed]
    return _render("apps.html", store=store, section="apps", title="Apps", installed=installed, available=available)


async def install(request: Request):
    """GET: the permissions to accept; POST: the code is granted and the app's auth callback
    is loaded in the panel's iframe."""
    store, app = _store_and_app(request)
    if store is None or app is None:
        return _not_found("store or app")
    if request.method == "GET":
        return _render("confirm.html", store=store, app=app, section="apps", title=f"Install {app.name}")
    url, _code = oauth.grant(request.app.state.sandbox, store, app, store.owner["id"])
    return _render("frame.html", store=store, app=app, section="apps", title=f"Installing {app.name}", src=url)


async def open_app(request: Request):
    store, app = _store_and_app(request)
    if store is None or app is None:
        return _not_found("store or app")
    if app.client_id not in store.installed or not app.load_callback:
        return RedirectResponse(f"/manage/{store.hash}/apps", status_code=302)
    token, _claims = oauth.signed_payload(app, store, store.owner)
    return _render("frame.html", store=store, app=app, section="apps", title=app.name,
                   src=oauth.jwt_url(app.load_callback, token))


async def products(request: Request):
    store, _ = _store_and_app(request)
    if store is None:
        return _not_found("store")
    limit = 50
    try:
        page = max(1, int(request.query_params.get("page", 1)))
    except ValueError:
        page = 1
    ids = store.live_ids()
    base = base_url(request)
    rows = [product_json(base, store, pid, {"images"}, None, set()) for pid in ids[(page - 1) * limit: page * limit]]
    return _render("products.html", store=store, section="products", title="Products", products=rows,
                   total=len(ids), page=page, limit=limit)


routes = [
    Route("/manage", stores, methods=["GET"]),
    Route("/manage/{store_hash}", store_home, methods=["GET"]),
    Route("/manage/{store_hash}/apps", apps, methods=["GET"]),
    Route("/manage/{store_hash}/apps/{client_id}", open_app, methods=["GET"]),
    Route("/manage/{store_hash}/apps/{client_id}/install", install, methods=["GET", "POST"]),
    Route("/manage/{store_hash}/products", products, methods=["GET"]),
]
