"""GraphQL overhead: ``me`` through `pixport serve` vs a bare starlette endpoint.

    .venv/bin/python bench/api.py [--seconds 10] [--concurrency 16]

Both servers run as one uvicorn process against a fresh PostgreSQL database (the
``PIXPORT_BENCH_POSTGRES`` admin URL, default postgres://postgres@127.0.0.1:5432/test);
the load comes from a separate process (bench/loadgen.py). Prints requests/s and
p50/p99 latency for each, and the overhead ratio bare/GraphQL (goal: under 3).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
ADMIN = os.environ.get("PIXPORT_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432/test")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def wait_up(url: str) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(200):
            try:
                if (await client.get(url)).status_code in (200, 404, 405):
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit(f"{url} did not come up")


def load(url: str, seconds: float, concurrency: int, body: dict, token: str) -> dict:
    with tempfile.NamedTemporaryFile("wb", suffix=".json", delete=False) as f:
        f.write(json.dumps(body).encode())
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench/loadgen.py"), url, str(seconds), str(concurrency), f.name,
         f"Authorization: Bearer {token}"],
        check=True, capture_output=True, text=True,
    )
    return json.loads(out.stdout)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()

    name = f"pixport_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(ADMIN.replace("postgres://", "postgresql://"))
    await admin.execute(f'CREATE DATABASE "{name}"')
    db_url = ADMIN.rsplit("/", 1)[0] + f"/{name}"
    env = {**os.environ, "PIXPORT_DATABASE_URL": db_url, "PIXPORT_LOG_LEVEL": "WARNING",
           "PIXPORT_DATA_DIR": tempfile.mkdtemp(prefix="pixport-bench-")}
    env.pop("PIXPORT_REDIS_URL", None)
    pixport = str(Path(sys.executable).with_name("pixport"))
    procs = []
    try:
        subprocess.run([pixport, "migrate"], env=env, check=True, capture_output=True)
        gql_port, bare_port = free_port(), free_port()
        procs.append(subprocess.Popen([pixport, "serve", "--port", str(gql_port)], env=env, stderr=subprocess.DEVNULL))
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "bench.bare_app:create_app", "--factory", "--port", str(bare_port),
             "--log-level", "warning", "--no-access-log"], env=env, cwd=ROOT, stderr=subprocess.DEVNULL))
        await wait_up(f"http://127.0.0.1:{gql_port}/healthz")
        await wait_up(f"http://127.0.0.1:{bare_port}/me")

        async with httpx.AsyncClient() as client:
            signup = await client.post(f"http://127.0.0.1:{gql_port}/graphql", json={"query": """mutation {
                accountCreate(input: {email: "bench@example.com", password: "load test passphrase", name: "Bench"}) {
                token errors { message } } }"""})
            token = signup.json()["data"]["accountCreate"]["token"]
            assert token, signup.text
        time.sleep(1)

        query = {"query": "query Me { me { email name } }"}
        async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as client:  # both read the user
            for url, body in ((f"http://127.0.0.1:{gql_port}/graphql", query), (f"http://127.0.0.1:{bare_port}/me", {})):
                me = (await client.post(url, json=body)).json()["data"]["me"]
                assert me and me["email"] == "bench@example.com", (url, me)
        load(f"http://127.0.0.1:{gql_port}/graphql", 2, args.concurrency, query, token)  # warm-up
        load(f"http://127.0.0.1:{bare_port}/me", 2, args.concurrency, {}, token)
        graphql = load(f"http://127.0.0.1:{gql_port}/graphql", args.seconds, args.concurrency, query, token)
        bare = load(f"http://127.0.0.1:{bare_port}/me", args.seconds, args.concurrency, {}, token)
    finally:
        for p in procs:
            p.terminate()
            p.wait()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()

    print(f"{'endpoint':<28}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}")
    for label, r in (("GraphQL me (pixport serve)", graphql), ("bare starlette, same read", bare)):
        print(f"{label:<28}{r['rps']:>10.0f}{r['p50_ms']:>10.2f}{r['p99_ms']:>10.2f}{r['errors']:>8}")
    print(f"GraphQL overhead ratio (bare/GraphQL throughput): {bare['rps'] / graphql['rps']:.2f} (goal < 3)")
    print(f"({args.concurrency} connections, {args.seconds:.0f} s each, PostgreSQL, one uvicorn process each)")


if __name__ == "__main__":
    asyncio.run(main())
