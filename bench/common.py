"""Pieces the benchmarks share: free ports, a fresh PostgreSQL database, memory."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = os.environ.get("PIXPORT_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("PIXPORT_BENCH_REDIS", "redis://127.0.0.1:6379/11")


def start_sandbox() -> tuple[subprocess.Popen, str]:
    """The BigCommerce sandbox as its own uvicorn process on a free port: (process, base URL).
    Wait for it with ``wait_http(url + "/")``; end it with ``stop_processes``."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "plugins.bigcommerce.sandbox.app:create_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"], cwd=ROOT)
    return process, f"http://127.0.0.1:{port}"


def stop_processes(*processes: subprocess.Popen | None) -> None:
    for process in processes:
        if process is not None:
            process.terminate()
            process.wait(30)


def database_env(db_url: str, **extra: str) -> dict[str, str]:
    """Pixport on the PostgreSQL database ``db_url`` (no Redis unless ``extra`` names it) as
    environment variables, also set in this process; the database migrated. Returns the
    environment for Pixport's own processes."""
    env = {**os.environ, "PIXPORT_DATABASE_URL": db_url, "PIXPORT_SECRET_KEY": "bench-secret-key",
           "PIXPORT_LOG_LEVEL": "WARNING", **extra}
    if "PIXPORT_REDIS_URL" not in extra:
        env.pop("PIXPORT_REDIS_URL", None)
        os.environ.pop("PIXPORT_REDIS_URL", None)
    os.environ.update({k: v for k, v in env.items() if k.startswith("PIXPORT_")})
    subprocess.run([pixport_command(), "migrate"], env=env, check=True, capture_output=True)
    return env


def scale_env(db_url: str, sandbox_url: str, share: float, **extra: str) -> dict[str, str]:
    """The scale column against the sandbox (PostgreSQL, Redis, arq worker): ``database_env``
    with Redis, a namespace of its own and the sandbox as BigCommerce."""
    return database_env(db_url, PIXPORT_REDIS_URL=REDIS_URL,
                        PIXPORT_REDIS_NAMESPACE=f"pixport-bench-{uuid.uuid4().hex[:8]}",
                        PIXPORT_BIGCOMMERCE_API_URL=sandbox_url, PIXPORT_BIGCOMMERCE_LOGIN_URL=sandbox_url,
                        PIXPORT_BIGCOMMERCE_QUOTA_SHARE=str(share), PIXPORT_IMAGE_HOSTS="127.0.0.1", **extra)


def pixport_command() -> str:
    return str(Path(sys.executable).with_name("pixport"))


async def wait_job(job_id: int):
    """The job's row once it has ended."""
    from core.jobs.models import Job, JobStatus

    while True:
        job = await Job.get(id=job_id)
        if job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED):
            return job
        await asyncio.sleep(0.2)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.asynccontextmanager
async def fresh_database(prefix: str = "pixport_bench"):
    """A new PostgreSQL database (its URL), dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(ADMIN_URL.replace("postgres://", "postgresql://"))
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def wait_http(url: str, timeout: float = 30) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(int(timeout * 10)):
            with contextlib.suppress(httpx.HTTPError):
                await client.get(url)
                return
            await asyncio.sleep(0.1)
    raise SystemExit(f"{url} did not come up")


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory (VmHWM)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def rss_mb(pid: int) -> float:
    """The process's resident memory now (VmRSS)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")
