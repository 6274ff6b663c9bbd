"""An order ready to publish, made the normal way against the BigCommerce sandbox:
a sandbox store synced into Pixport, a cart, a specification, orderCreate and
orderApprove through GraphQL; then, as production would, an edited file per image
in the BlobStore (result_key/result_format) and the order moved to READY_FOR_REVIEW
with core.orders transition(). Plus readers of the sandbox's state for assertions."""

from __future__ import annotations

import hashlib
import io
import random
from dataclasses import dataclass, field

import httpx
from PIL import Image as PILImage
from strawberry import relay

from core import runtime
from core.accounts.models import User
from core.catalog import sync
from core.catalog.models import AnalysisStatus, Image
from core.orders import services as orders
from core.orders.models import Order, OrderImage
from core.orders.states import OrderStatus
from core.stores import services as stores
from core.stores.models import Store
from core.timeutil import utcnow
from tests.support.factories import make_store

ERR = "errors { code field message }"


def gid(kind: str, pk: int) -> str:
    return str(relay.GlobalID(kind, str(pk)))


def edited_picture(n: int, fmt: str = "JPEG", size: tuple[int, int] = (120, 90)) -> bytes:
    """A small picture, different for each ``n``."""
    rng = random.Random(n)
    im = PILImage.new("RGB", size, (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    im.putpixel((n % size[0], 0), (255, 255, 255))
    out = io.BytesIO()
    im.save(out, fmt)
    return out.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class ReadyOrder:
    token: str
    user: User
    store: Store
    remote: dict
    order_pk: int
    edited: dict[int, bytes] = field(default_factory=dict)  # order image id -> edited file

    @property
    def order_id(self) -> str:
        return gid("Order", self.order_pk)

    @property
    def store_id(self) -> str:
        return gid("Store", self.store.id)

    @property
    def store_hash(self) -> str:
        return self.remote["store_hash"]

    @property
    def edited_shas(self) -> set[str]:
        return {sha(d) for d in self.edited.values()}


async def linked_store(account_id: int, bc_sandbox, **options) -> tuple[Store, dict]:
    """A sandbox store connected to the account and synced into Pixport's catalog (the
    sync's own upsert; no analysis job: the facts duplicates need are set here)."""
    options.setdefault("max_image_size", 300)
    options.setdefault("duplicate_share", 0)
    remote = await bc_sandbox.create_store(**options)
    store = await make_store(account_id, external_id=remote["store_hash"])
    store.access_token_sealed = stores.secret_box().seal(remote["access_token"])
    await store.save()
    connector = stores.connector_for(store)
    try:
        cursor = None
        while True:
            page = await connector.list_products(cursor)
            await sync.upsert_products(store, page.products, utcnow())
            cursor = page.next_cursor
            if cursor is None:
                break
    finally:
        await connector.close()
    rng = random.Random(store.id)
    images = await Image.filter(store=store).order_by("id")
    for image in images:
        image.analysis_status = AnalysisStatus.DONE
        image.sha256 = f"{image.id:064x}"
        image.phash = rng.getrandbits(63)
        image.colour_grid = bytes(rng.randrange(256) for _ in range(48)).hex()
        image.width = image.height = 300
        image.format = "JPEG"
    await Image.bulk_update(images, fields=["analysis_status", "sha256", "phash", "colour_grid", "width", "height",
                                            "format"])
    return store, remote


async def ready_order(gql, bc_sandbox, *, email: str = "ann@example.com", duplicates: int = 1, images=None,
                      **store_options) -> ReadyOrder:
    """``duplicates``: how many images share the bytes of the first image of the first
    product (one duplicate group, several locations). ``images``: a filter over the
    store's Image rows (default: all of them)."""
    owner = await gql.sign_up(email)
    user = await User.get(email=email)
    store_options.setdefault("products", 4)
    store_options.setdefault("images_per_product", 2)
    store_options.setdefault("variant_share", 0)
    store_options.setdefault("seed", 3)
    store, remote = await linked_store(user.account_id, bc_sandbox, **store_options)
    rows = await Image.filter(store=store).order_by("id").prefetch_related("product")
    chosen = [r for r in rows if images is None or images(r)]
    if duplicates:
        first = next(r for r in chosen if not r.variant_external_id)
        others = [r for r in chosen if r.product_id != first.product_id and not r.variant_external_id][:duplicates]
        for other in others:
            other.sha256 = first.sha256
            await other.save(update_fields=["sha256"])
    token = owner["token"]
    added = await gql(f"""mutation($s: ID!, $ids: [ID!]!) {{ cartAddImages(storeId: $s, imageIds: $ids) {{ {ERR} }} }}""",
                      {"s": gid("Store", store.id), "ids": [gid("Image", r.id) for r in chosen]}, token=token)
    assert added["cartAddImages"]["errors"] == [], added
    spec = (await gql(f"""mutation($i: SpecificationInput!) {{ specificationCreate(input: $i) {{
        specification {{ id }} {ERR} }} }}""", {"i": {"name": "White"}}, token=token))["specificationCreate"]
    created = (await gql(f"""mutation($i: OrderCreateInput!) {{ orderCreate(input: $i) {{ order {{ id }} {ERR} }} }}""",
                         {"i": {"storeId": gid("Store", store.id), "specificationId": spec["specification"]["id"]}},
                         token=token))["orderCreate"]
    assert created["errors"] == [], created
    order_gid = created["order"]["id"]
    approved = (await gql(f"""mutation($id: ID!) {{ orderApprove(id: $id) {{ {ERR} }} }}""", {"id": order_gid},
                          token=token))["orderApprove"]
    assert approved["errors"] == []
    order_pk = int(relay.GlobalID.from_id(order_gid).node_id)
    ready = ReadyOrder(token=token, user=user, store=store, remote=remote, order_pk=order_pk)
    await finish_production(ready)
    return ready


async def finish_production(ready: ReadyOrder, fmt: str = "JPEG") -> None:
    """What production does (issue 7): a validated edited file per image, then READY_FOR_REVIEW."""
    blobs = runtime.current().blobs
    for image in await OrderImage.filter(order_id=ready.order_pk).order_by("id"):
        data = edited_picture(image.id, fmt)
        image.result_key = await blobs.put(data, "jpg" if fmt == "JPEG" else fmt.lower())
        image.result_format = fmt
        await image.save(update_fields=["result_key", "result_format"])
        ready.edited[image.id] = data
    order = await Order.get(id=ready.order_pk)
    for to in (OrderStatus.IN_PRODUCTION, OrderStatus.READY_FOR_REVIEW):
        order = await orders.transition(order, to)


# ---- the sandbox's state -------------------------------------------------------------------

async def remote_product(bc_sandbox, store_hash: str, product_id: str) -> dict | None:
    """The product as the sandbox has it (control API), each image with ``sha`` of its file."""
    r = await bc_sandbox.call("GET", f"{store_hash}/products/{product_id}")
    if r.status_code == 404:
        return None
    assert r.status_code == 200, r.text
    product = r.json()
    async with httpx.AsyncClient(base_url=bc_sandbox.url, timeout=30) as cdn:
        for image in product["images"]:
            got = await cdn.get(f"/s-{store_hash}/product_images/{image['image_file']}")
            assert got.status_code == 200, image
            image["sha"] = sha(got.content)
        for variant in product.get("variants") or []:
            if variant.get("image_url"):
                got = await cdn.get(variant["image_url"])
                variant["sha"] = sha(got.content) if got.status_code == 200 else None
    return product


def ordered(product: dict) -> list[dict]:
    return sorted(product["images"], key=lambda i: (i["sort_order"], i["id"]))
