"""Cart, duplicate groups, orders and quotes on a store of 100 000 images (PostgreSQL).

    .venv/bin/python bench/cart.py [--images 100000]

Fills a fresh database with one store of ``--images`` analysed images with SQL
(every tenth image has the bytes of the one before it; pHashes and colour grids
otherwise random), then runs Pixport's GraphQL app in this process (httpx over
ASGI, so each figure is a whole request: parsing, permissions, SQL, JSON) and
prints: ``cartAddMatching`` of every image, the cart's duplicate groups
(``imageCount``), ``orderCreate`` from that cart, a quote, and SQL statements per
request for two page sizes (they must not grow with the page).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import database_env, fresh_database  # noqa: E402


async def fill(db_url: str, images: int) -> None:
    import asyncpg

    conn = await asyncpg.connect(db_url.replace("postgres://", "postgresql://"))
    products = images // 4
    await conn.execute(f"""
        INSERT INTO product (id, store_id, external_id, name, sku, brand, categories, is_visible, modified_at, synced_at)
        SELECT g, 1, g::text, 'Product ' || g, 'SKU-' || g, 'Brand ' || (g % 40), '[]'::jsonb, true, now(), now()
        FROM generate_series(1, {products}) g;
        INSERT INTO image (store_id, product_id, external_id, position, is_thumbnail, alt_text, file_name, source_url,
                           modified_at, synced_at, product_name, sku, brand, category_ids, is_visible, analysis_status,
                           unreadable_reason, sha256, phash, colour_grid, width, height, format, file_bytes, background,
                           edited)
        SELECT 1, p, (p * 4 + k)::text, k, k = 0, '', 'photo-' || (p * 4 + k) || '.jpg',
               'https://cdn.example.com/' || (p * 4 + k) || '.jpg', now(), now(), 'Product ' || p, 'SKU-' || p,
               'Brand ' || (p % 40), ',', true, 'DONE', '',
               encode(sha256(((p * 4 + k) - CASE WHEN (p * 4 + k) % 10 = 0 THEN 1 ELSE 0 END)::text::bytea), 'hex'),
               ('x' || substr(md5((p * 4 + k)::text), 1, 16))::bit(64)::bigint,
               md5('a' || (p * 4 + k)) || md5('b' || (p * 4 + k)) || md5('c' || (p * 4 + k)),
               1000, 1000, 'JPEG', 100000, 'WHITE', false
        FROM generate_series(1, {products}) p, generate_series(0, 3) k;
        SELECT setval(pg_get_serial_sequence('product', 'id'), {products});
        ANALYZE product; ANALYZE image;
    """)
    await conn.close()


class Statements(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[str] = []

    def emit(self, record) -> None:
        self.records.append(record.getMessage())


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=100_000)
    args = ap.parse_args()

    async with fresh_database() as db_url:
        database_env(db_url, PIXPORT_GRAPHQL_MAX_TOKENS="5000")

        from strawberry import relay

        from api.app import create_app
        from core.accounts import services as accounts
        from core.settings import Settings
        from core.stores.models import Store
        from workers import runtime

        settings = Settings()
        rt = await runtime.start(settings)
        user, token = await accounts.create_account("owner@example.com", "a load test passphrase", "Owner")
        await Store.create(id=1, account_id=user.account_id, platform="bigcommerce", external_id="bench", name="Bench")
        t = time.perf_counter()
        await fill(db_url, args.images)
        print(f"filled {args.images} images in {time.perf_counter() - t:.0f} s")
        store = str(relay.GlobalID("Store", "1"))

        app = create_app(settings, manage_runtime=False)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://pixport", timeout=120,
                                     headers={"Authorization": f"Bearer {token}"}) as client:

            async def gql(query: str, variables: dict | None = None) -> tuple[dict, float]:
                t = time.perf_counter()
                response = await client.post("/graphql", json={"query": query, "variables": variables or {}})
                elapsed = time.perf_counter() - t
                body = response.json()
                assert not body.get("errors"), body["errors"]
                return body["data"], elapsed

            spec, _ = await gql("""mutation { specificationCreate(input: {name: "Bench", shadow: DROP, retouch: BASIC})
                                   { specification { id } errors { message } } }""")
            spec_id = spec["specificationCreate"]["specification"]["id"]

            data, add_s = await gql("""mutation($s: ID!) { cartAddMatching(storeId: $s) { added duplicatesRemoved
                                       cart { id } errors { message } } }""", {"s": store})
            r = data["cartAddMatching"]
            print(f"cartAddMatching of {args.images} images: {add_s:.2f} s (goal < 2 s; includes grouping) "
                  f"-> added {r['added']}, duplicatesRemoved {r['duplicatesRemoved']}")

            samples = []
            for _ in range(3):
                data, s = await gql("query($s: ID!) { cart(storeId: $s) { imageCount } }", {"s": store})
                samples.append(s)
            print(f"duplicate grouping of a {args.images}-image cart (cart.imageCount request): "
                  f"{statistics.median(samples):.2f} s median of 3 (goal < 2 s) -> {data['cart']['imageCount']} groups")

            from core.carts import services as carts
            from core.carts.models import Cart

            cart = await Cart.get(store_id=1)
            t = time.perf_counter()
            groups = await carts.cart_groups(cart.id)
            core_s = time.perf_counter() - t
            t = time.perf_counter()
            list(groups)  # the Group objects themselves (a count builds none)
            print(f"  of which grouping in core (SQL fetch + numpy grouping): {core_s:.2f} s; "
                  f"building all {len(groups)} Group objects: {time.perf_counter() - t:.2f} s more")

            quote_q = "query($p: ID!) { priceQuote(specificationId: $p, imageCount: 90000) { total { amount } } }"
            times = []
            for _ in range(30):
                _, s = await gql(quote_q, {"p": spec_id})
                times.append(s * 1000)
            from core.pricing.services import quote
            from core.specs.options import SpecOptions

            t = time.perf_counter()
            for _ in range(1000):
                quote(SpecOptions(), 90000)
            pure = (time.perf_counter() - t)  # ms per quote = s / 1000 * 1000
            print(f"a quote: priceQuote request p50 {statistics.median(times):.1f} ms (goal < 20 ms); "
                  f"quote() itself {pure:.3f} ms")

            data, create_s = await gql("""mutation($i: OrderCreateInput!) { orderCreate(input: $i) {
                order { id number imageCount quote { total { amount } } } errors { message } } }""",
                                       {"i": {"storeId": store, "specificationId": spec_id, "comment": "bench"}})
            o = data["orderCreate"]["order"]
            print(f"orderCreate from the {args.images}-image cart: {create_s:.2f} s (goal < 5 s) -> {o['number']}, "
                  f"{o['imageCount']} order images, total {o['quote']['total']['amount']} cents")
            order_id = o["id"]

            # queries per request against page size
            await gql("mutation($s: ID!) { cartAddMatching(storeId: $s, filter: {search: \"Product 1\"}) { added } }",
                      {"s": store})
            handler = Statements()
            logger = logging.getLogger("tortoise.db_client")
            logger.addHandler(handler)
            logger.setLevel(logging.DEBUG)
            counts = {}
            for first in (10, 100):
                for name, query, variables in (
                    ("cart.items", f"query($s: ID!) {{ cart(storeId: $s) {{ items(first: {first}) {{ edges {{ node {{ "
                                   "addedAt image { id fileName product { name } } } } } } }", {"s": store}),
                    ("cart.duplicateGroups", f"query($s: ID!) {{ cart(storeId: $s) {{ duplicateGroups(first: {first}, "
                     "duplicatesOnly: false) { edges { node { size representative { id } images { id product { name } } } } } } }",
                     {"s": store}),
                    ("order.images", f"query($o: ID!) {{ order(id: $o) {{ images(first: {first}) {{ edges {{ node {{ "
                                     "image { id product { name } } locations { productId position } } } } } }",
                     {"o": order_id}),
                    ("orders", f"{{ orders(first: {first}) {{ edges {{ node {{ number specification {{ name }} "
                               "specificationVersion { number } store { name } } } } }", None),
                ):
                    handler.records.clear()
                    await gql(query, variables)
                    counts[(name, first)] = len([r for r in handler.records
                                                 if r.lstrip().upper().startswith(("SELECT", "WITH"))])
            logger.removeHandler(handler)
            for name in ("cart.items", "cart.duplicateGroups", "order.images", "orders"):
                print(f"SQL SELECTs per request, {name}: {counts[(name, 10)]} for first: 10, "
                      f"{counts[(name, 100)]} for first: 100")
        await runtime.stop(rt)


if __name__ == "__main__":
    asyncio.run(main())
