"""Rows for tests that need a catalog without syncing one."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from core.catalog.models import AnalysisStatus, BackgroundKind, Image, Product
from core.stores.models import Store
from core.stores.services import secret_box

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


async def make_store(account_id: int | None, external_id: str = "abc123", **fields) -> Store:
    return await Store.create(
        account_id=account_id, platform="bigcommerce", external_id=external_id, name=f"Store {external_id}",
        domain=f"{external_id}.example.com", access_token_sealed=secret_box().seal("token-" + external_id), **fields
    )


async def make_catalog(store: Store, products: int = 5, images_per_product: int = 2) -> list[Image]:
    """Products named "Product 000".. with brands A/B, categories, sizes and backgrounds that vary."""
    kinds = list(BackgroundKind)
    rows = []
    for p in range(products):
        product = await Product.create(
            store=store, external_id=str(p + 1), name=f"Product {p:03d}", sku=f"SKU-{p:03d}",
            brand="Acme" if p % 2 == 0 else "Bolt", categories=[str(10 + p % 3)], is_visible=p % 4 != 3,
            modified_at=T0 + timedelta(days=p), synced_at=T0,
        )
        for i in range(images_per_product):
            n = p * images_per_product + i
            rows.append(Image(
                store=store, product=product, external_id=f"{p + 1}-{i}", position=i, is_thumbnail=i == 0,
                file_name=f"photo-{n:03d}.jpg", source_url=f"https://cdn.example.com/{n}.jpg",
                modified_at=T0 + timedelta(hours=n), synced_at=T0, product_name=product.name, sku=product.sku,
                brand=product.brand, category_ids=f",{10 + p % 3},", is_visible=product.is_visible,
                analysis_status=AnalysisStatus.DONE, width=400 + 300 * (n % 7), height=400 + 300 * (n % 7),
                format="JPEG" if n % 3 else "PNG", file_bytes=10_000 + n * 1000, background=kinds[n % len(kinds)],
            ))
    await Image.bulk_create(rows)
    return await Image.filter(store=store).order_by("id")


async def make_duplicates(images: list[Image]) -> None:
    """Give ``images`` analysis facts with duplicates: images[1] has the bytes of images[0];
    images[3] is a re-encoding of images[2] (pHash 2 bits off, colour grid 2 levels off);
    images[4] has images[2]'s pHash but other colours (another product, same silhouette).
    Every other image gets a distinct pHash and colour."""
    import random

    rng = random.Random(7)
    for n, image in enumerate(images):
        image.sha256 = f"{n:064x}"
        image.phash = rng.getrandbits(63)
        image.colour_grid = bytes(rng.randrange(256) for _ in range(48)).hex()
        image.width = image.height = 1000
    a, b, c, d, e = images[:5]
    b.sha256, b.phash, b.colour_grid = a.sha256, a.phash, a.colour_grid
    d.phash = c.phash ^ 0b101
    d.colour_grid = bytes(min(255, x + 2) for x in bytes.fromhex(c.colour_grid)).hex()
    e.phash = c.phash
    e.colour_grid = bytes((x + 128) % 256 for x in bytes.fromhex(c.colour_grid)).hex()
    await Image.bulk_update(images, fields=["sha256", "phash", "colour_grid", "width", "height"])


def _gid(kind: str, pk: int) -> str:
    from strawberry import relay

    return str(relay.GlobalID(kind, str(pk)))


async def make_order(gql, token: str, account_id: int, *, approve: bool = True, images: int = 3,
                     external_id: str | None = None) -> dict:
    """An order made the way a merchant makes one (cart, specification, orderCreate,
    orderApprove): AWAITING_PAYMENT, or DRAFT with ``approve=False``. Returns
    ``{"id", "pk", "total", "currency"}``."""
    store = await make_store(account_id, external_id=external_id or f"shop{account_id}")
    catalog = await make_catalog(store, products=images, images_per_product=1)
    err = "errors { code field message }"
    added = await gql(f"""mutation($s: ID!, $ids: [ID!]!) {{ cartAddImages(storeId: $s, imageIds: $ids) {{ {err} }} }}""",
                      {"s": _gid("Store", store.id), "ids": [_gid("Image", i.id) for i in catalog]}, token=token)
    assert added["cartAddImages"]["errors"] == []
    spec = (await gql(f"""mutation($i: SpecificationInput!) {{ specificationCreate(input: $i) {{
        specification {{ id }} {err} }} }}""", {"i": {"name": "White"}}, token=token))["specificationCreate"]
    created = (await gql(f"""mutation($i: OrderCreateInput!) {{ orderCreate(input: $i) {{
        order {{ id quote {{ total {{ amount currency }} }} }} {err} }} }}""",
                         {"i": {"storeId": _gid("Store", store.id), "specificationId": spec["specification"]["id"]}},
                         token=token))["orderCreate"]
    assert created["errors"] == [], created["errors"]
    order = created["order"]
    if approve:
        approved = (await gql(f"""mutation($id: ID!) {{ orderApprove(id: $id) {{ {err} }} }}""",
                              {"id": order["id"]}, token=token))["orderApprove"]
        assert approved["errors"] == []
    from strawberry import relay

    return {"id": order["id"], "pk": int(relay.GlobalID.from_id(order["id"]).node_id),
            "total": order["quote"]["total"]["amount"], "currency": order["quote"]["total"]["currency"]}
