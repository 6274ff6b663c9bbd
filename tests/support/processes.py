"""Pixport's own commands as separate processes (``pixport serve``, ``pixport worker``)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

PIXPORT = str(Path(sys.executable).with_name("pixport"))


def spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PIXPORT_")}
    handle = log.open("ab")
    return subprocess.Popen([PIXPORT, *args], env={**clean, **env}, stdout=handle, stderr=subprocess.STDOUT)


async def wait_http(url: str, timeout: float = 20) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    async with httpx.AsyncClient() as client:
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(url)).status_code == 200:
                    return
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{url} did not come up in {timeout}s")
            await asyncio.sleep(0.1)


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
