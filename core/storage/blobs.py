"""The BlobStore port: image files kept by content (originals, results, uploads).

Keys are ``<sha256>.<ext>``: the same bytes are stored once, and a key never
changes meaning, so a retried job that writes a blob again is harmless.
``LocalBlobStore`` is the embedded default; an S3-compatible store is chosen
by settings at scale.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Protocol


def key_for(data: bytes, ext: str) -> str:
    return f"{hashlib.sha256(data).hexdigest()}.{ext.lower().lstrip('.')}"


class BlobNotFound(KeyError):
    pass


class BlobStore(Protocol):
    async def put(self, data: bytes, ext: str) -> str:
        """Store ``data``; return its key (idempotent)."""

    async def get(self, key: str) -> bytes:
        """The bytes under ``key``; ``BlobNotFound`` if there are none."""

    async def exists(self, key: str) -> bool: ...

    def presigned_url(self, key: str, ttl_seconds: int) -> str | None:
        """A URL the store itself serves ``key`` at for ``ttl_seconds`` (S3), or None:
        then Pixport's signed file route serves the bytes."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class LocalBlobStore:
    """A folder, two levels of fan-out (``ab/cd/abcd….jpg``), written atomically."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        if "/" in key or key.startswith("."):
            raise BlobNotFound(key)
        return self.root / key[:2] / key[2:4] / key

    async def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)

    async def stop(self) -> None:
        return None

    async def put(self, data: bytes, ext: str) -> str:
        key = key_for(data, ext)
        await asyncio.to_thread(self._write, self._path(key), data)
        return key

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)

    async def get(self, key: str) -> bytes:
        try:
            return await asyncio.to_thread(self._path(key).read_bytes)
        except FileNotFoundError as e:
            raise BlobNotFound(key) from e

    async def exists(self, key: str) -> bool:
        return self._path(key).exists()

    def presigned_url(self, key: str, ttl_seconds: int) -> str | None:
        return None


def check_key(key: str) -> str:
    """A key Pixport made (``<sha256>.<ext>``), or BlobNotFound: nothing else reaches a store."""
    digest, dot, ext = key.partition(".")
    if not (dot and len(digest) == 64 and all(c in "0123456789abcdef" for c in digest)
            and 0 < len(ext) <= 5 and ext.isalnum()):
        raise BlobNotFound(key)
    return key
