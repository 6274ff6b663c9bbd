"""Orders of real sandbox pictures: a BigCommerce sandbox store, Pixport rows for its
images (as a sync makes them: the largest rendition as source_url), and an order made
the way a merchant makes one (cart, specification, orderCreate, orderApprove)."""

from __future__ import annotations

import base64
import io

import pytest_asyncio
from PIL import Image as PILImage
from strawberry import relay

from core.accounts.models import Role, User
from core.catalog.models import Image, Product
from core.stores.services import secret_box
from core.timeutil import utcnow
from tests.support.factories import make_store
# the payment providers' sandboxes (a PayPal capture starts production)
from tests.schema.payments.conftest import localstripe_url, payment_config, paypal, paypal_sandbox  # noqa: F401

ERR = "errors { code field message }"


def gid(kind: str, pk: int) -> str:
    return str(relay.GlobalID(kind, str(pk)))


def pk_of(global_id: str) -> int:
    return int(relay.GlobalID.from_id(global_id).node_id)


def jpeg(width: int = 320, height: int = 240, colour=(200, 40, 40), quality: int = 90) -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", (width, height), colour).save(out, "JPEG", quality=quality, dpi=(72, 72))  # the spec's default DPI
    return out.getvalue()


async def sandbox_order(gql, bc_sandbox, token: str, *, products: int = 4, spec: dict | None = None,
                        truncated: bool = False, gone: bool = False, approve: bool = True) -> dict:
    """An order of the sandbox store's images (one per product). ``truncated``: one more
    image, a truncated JPEG the merchant uploaded; ``gone``: one image deleted from the
    store after the order was made."""
    user = await User.get(id=pk_of((await gql("{ me { id } }", token=token))["me"]["id"]))
    remote = await bc_sandbox.create_store(products=products, images_per_product=1, seed=11, duplicate_share=0.0,
                                           max_image_size=400)
    h = remote["store_hash"]
    store = await make_store(user.account_id, external_id=h)
    store.access_token_sealed = secret_box().seal(remote["access_token"])
    await store.save()
    listed = (await bc_sandbox.call("GET", f"{h}/products", params={"limit": 250})).json()["data"]
    uploaded = set()
    if truncated:
        r = await bc_sandbox.call("POST", f"{h}/products/{listed[0]['id']}/images",
                                  json={"data_base64": base64.b64encode(jpeg(400, 400)[:700]).decode()})
        assert r.status_code == 200, r.text
        uploaded.add(r.json()["id"])
        listed = (await bc_sandbox.call("GET", f"{h}/products", params={"limit": 250})).json()["data"]
    now = utcnow()
    rows = []
    for p in listed:
        product = await Product.create(store=store, external_id=str(p["id"]), name=p["name"], synced_at=now,
                                       modified_at=now)
        for n, picture in enumerate(p["images"]):
            # a merchant's upload is served as it is (the CDN renders no zoom rendition of a broken file)
            url = (f"{bc_sandbox.url}/s-{h}/product_images/{picture['image_file']}" if picture["id"] in uploaded
                   else picture["url_zoom"])
            rows.append(Image(store=store, product=product, external_id=str(picture["id"]),
                              source_url=url, modified_at=now, synced_at=now, position=n,
                              product_name=p["name"], file_name=f"{picture['id']}.jpg"))
    await Image.bulk_create(rows)
    images = await Image.filter(store=store).order_by("id")
    for start in range(0, len(images), 100):  # at most 100 a request
        added = await gql(f"mutation($s: ID!, $ids: [ID!]!) {{ cartAddImages(storeId: $s, imageIds: $ids) {{ {ERR} }} }}",
                          {"s": gid("Store", store.id), "ids": [gid("Image", i.id) for i in images[start:start + 100]]},
                          token=token)
        assert added["cartAddImages"]["errors"] == []
    made = (await gql(f"mutation($i: SpecificationInput!) {{ specificationCreate(input: $i) {{ specification {{ id }} {ERR} }} }}",
                      {"i": {"name": "Studio", **(spec or {"background": {"kind": "KEEP"}})}},
                      token=token))["specificationCreate"]
    assert made["errors"] == [], made["errors"]
    created = (await gql(f"mutation($i: OrderCreateInput!) {{ orderCreate(input: $i) {{ order {{ id }} {ERR} }} }}",
                         {"i": {"storeId": gid("Store", store.id),
                                "specificationId": made["specification"]["id"]}}, token=token))["orderCreate"]
    assert created["errors"] == [], created["errors"]
    order_id = created["order"]["id"]
    if approve:
        approved = await gql(f"mutation($id: ID!) {{ orderApprove(id: $id) {{ {ERR} }} }}", {"id": order_id},
                             token=token)
        assert approved["orderApprove"]["errors"] == []
    if gone:
        victim = listed[-1]
        r = await bc_sandbox.call("DELETE", f"{h}/products/{victim['id']}/images/{victim['images'][0]['id']}")
        assert r.status_code == 200, r.text
    return {"id": order_id, "pk": pk_of(order_id), "store": store, "hash": h, "images": len(images)}


@pytest_asyncio.fixture
async def ann(gql):
    return await gql.sign_up("ann@example.com", "Ann")


@pytest_asyncio.fixture
async def retoucher(gql):
    """A production staff member (a retoucher)."""
    signed = await gql.sign_up("rita@studio.example", "Rita")
    await User.filter(email="rita@studio.example").update(role=Role.STAFF)
    return signed
