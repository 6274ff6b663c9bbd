"""The `images` query on a store of a million images (PostgreSQL).

    .venv/bin/python bench/images_query.py [--images 1000000] [--repeat 50]

Fills a fresh database with one store of ``--images`` images (4 per product) with
SQL, starts `pixport serve` (one uvicorn process), and times from this process:
the first page of 100 with a filter and a sort, and a page 5 000 pages deep
(the cursor a client holds after 5 000 pages of 100, taken from the database
rather than by walking there). Prints p50/p95 for each, with and without
``totalCount``, and the SQL statements one request runs for a small and a large
selection of fields (counted in-process through tortoise's query log).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import database_env, free_port, fresh_database, pixport_command, wait_http  # noqa: E402

FILTER = {"background": ["WHITE", "LIGHT_UNIFORM", "OTHER"], "minWidth": 500}
SORT = {"field": "PRODUCT_NAME", "direction": "ASC"}
SMALL = "edges { cursor node { id fileName } } pageInfo { hasNextPage endCursor }"
LARGE = ("edges { cursor node { id fileName url thumbnailUrl productName sku brand width height format fileBytes "
         "background analysisStatus modifiedAt location { position isThumbnail productId } "
         "product { id name sku brand categories } } } pageInfo { hasNextPage endCursor }")


def query(fields: str, total: bool) -> str:
    return (f"query($s: ID!, $f: ImageFilter, $o: ImageSort, $a: String) {{ images(storeId: $s, filter: $f, sort: $o, "
            f"first: 100, after: $a) {{ {'totalCount' if total else ''} {fields} }} }}")


async def fill(db_url: str, images: int) -> None:
    import asyncpg

    conn = await asyncpg.connect(db_url.replace("postgres://", "postgresql://"))
    products = images // 4
    await conn.execute(f"""
        INSERT INTO product (id, store_id, external_id, name, sku, brand, categories, is_visible, modified_at, synced_at)
        SELECT g, 1, g::text, 'Product ' || md5(g::text), 'SKU-' || g, 'Brand ' || (g % 40), ('["' || (g % 25) || '"]')::jsonb,
               g % 10 <> 0, now() - (g || ' minutes')::interval, now()
        FROM generate_series(1, {products}) g;
        INSERT INTO image (store_id, product_id, external_id, position, is_thumbnail, alt_text, file_name, source_url,
                           modified_at, synced_at, product_name, sku, brand, category_ids, is_visible, analysis_status,
                           unreadable_reason, width, height, format, file_bytes, background, edited)
        SELECT 1, p, (p * 4 + k)::text, k, k = 0, '', 'photo-' || (p * 4 + k) || '.jpg',
               'https://cdn.example.com/' || (p * 4 + k) || '.jpg', now() - ((p * 4 + k) || ' seconds')::interval, now(),
               'Product ' || md5(p::text), 'SKU-' || p, 'Brand ' || (p % 40), ',' || (p % 25) || ',', p % 10 <> 0, 'DONE', '',
               (ARRAY[300, 640, 1000, 1600, 2000, 4000])[1 + (p + k) % 6], (ARRAY[300, 640, 1000, 1600, 2000, 4000])[1 + (p + k) % 6],
               (ARRAY['JPEG', 'PNG', 'WEBP'])[1 + (p * 4 + k) % 3], 20000 + ((p * 4 + k)::bigint * 7919 % 3000000)::int,
               (ARRAY['WHITE', 'TRANSPARENT', 'LIGHT_UNIFORM', 'OTHER'])[1 + (p * 7 + k) % 4], false
        FROM generate_series(1, {products}) p, generate_series(0, 3) k;
        SELECT setval(pg_get_serial_sequence('product', 'id'), {products});
        ANALYZE product; ANALYZE image;
    """)
    await conn.close()


def timed(client: httpx.Client, body: dict, repeat: int, cold_count: bool = False) -> list[float]:
    samples = []
    for i in range(repeat):
        if cold_count:  # a filter never asked before (same rows): its count is not cached
            body = {**body, "variables": {**body["variables"], "f": {**FILTER, "minWidth": 500 - i - 1}}}
        t = time.perf_counter()
        response = client.post("/graphql", json=body)
        samples.append((time.perf_counter() - t) * 1000)
        data = response.json()
        assert not data.get("errors"), data["errors"]
    return samples


async def count_statements(settings, token: str, store_gid: str, fields: str) -> int:
    from api.app import create_app

    from core.catalog.services import forget_counts

    forget_counts()
    app = create_app(settings, manage_runtime=False)
    records: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: records.append(record.getMessage())
    logger = logging.getLogger("tortoise.db_client")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://pixport") as client:
        await client.post("/graphql", json={"query": query(fields, True), "variables": {"s": store_gid, "f": FILTER, "o": SORT}},
                          headers={"Authorization": f"Bearer {token}"})
    logger.removeHandler(handler)
    return len([r for r in records if r.lstrip().upper().startswith(("SELECT", "WITH"))])


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=50)
    args = ap.parse_args()

    async with fresh_database() as db_url:
        env = database_env(db_url, PIXPORT_GRAPHQL_MAX_TOKENS="5000")
        pixport = pixport_command()

        from strawberry import relay

        from core.accounts import services as accounts
        from core.settings import Settings
        from core.stores.models import Store
        from schema.pagination import encode_cursor
        from workers import runtime

        settings = Settings()
        rt = await runtime.start(settings)
        user, token = await accounts.create_account("owner@example.com", "a load test passphrase", "Owner")
        await Store.create(id=1, account_id=user.account_id, platform="bigcommerce", external_id="bench", name="Bench")
        t = time.perf_counter()
        await fill(db_url, args.images)
        print(f"filled {args.images} images in {time.perf_counter() - t:.0f} s")

        # The cursor a client would hold after 5 000 pages of 100 in this filter and sort.
        from core.catalog import services

        deep = services.filtered_images(1, services.ImageFilter(backgrounds=FILTER["background"], min_width=500))
        row = await deep.order_by("product_name", "id").offset(5000 * 100 - 1).first()
        if row is None:
            raise SystemExit("fewer than 500 000 images match the filter: use more --images")
        deep_cursor = encode_cursor(row.product_name, row.id)
        store_gid = str(relay.GlobalID("Store", "1"))
        small_sql = await count_statements(settings, token, store_gid, SMALL)
        large_sql = await count_statements(settings, token, store_gid, LARGE)
        await runtime.stop(rt)

        port = free_port()
        server = subprocess.Popen([pixport, "serve", "--port", str(port)], env=env,
                                  stderr=open(Path(tempfile.gettempdir()) / "pixport-bench-serve.log", "w"))
        try:
            await wait_http(f"http://127.0.0.1:{port}/healthz")
            results = {}
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {token}"},
                              timeout=60) as client:
                for label, after in (("first page", None), ("page 5 000 deep", deep_cursor)):
                    for total in ("", "cold", "cached"):
                        body = {"query": query(LARGE, bool(total)), "variables": {"s": store_gid, "f": FILTER, "o": SORT, "a": after}}
                        timed(client, body, 3)  # warm the process (and, for "cached", the count)
                        results[(label, total)] = timed(client, body, args.repeat, cold_count=total == "cold")
        finally:
            server.terminate()
            server.wait()

    print(f"store of {args.images} images; filter {FILTER}; sort {SORT}; first: 100; all fields of the grid")
    for (label, total), samples in results.items():
        samples.sort()
        print(f"  {label:<17}{f' + totalCount ({total})' if total else '':<25} p50 {statistics.median(samples):6.1f} ms   "
              f"p95 {samples[int(len(samples) * 0.95) - 1]:6.1f} ms   (goal p50 < 50 ms)")
    print(f"SQL statements per request: {small_sql} for 2 fields, {large_sql} for every field "
          "(session, store check, page, count, products batch)")


if __name__ == "__main__":
    asyncio.run(main())
