"""An S3-compatible BlobStore (AWS S3, MinIO, Ceph, R2...), chosen when
``PIXPORT_S3_BUCKET`` is set.

boto3 is synchronous: each call runs in a worker thread (``asyncio.to_thread``),
with one client shared by the threads (boto3 clients are thread-safe) and a
connection pool sized for the jobs that download and edit at once. Objects are
written under ``<prefix><key>``; keys are content-addressed, so writing one twice is
harmless and nothing is ever overwritten with other bytes.
"""

from __future__ import annotations

import asyncio
import mimetypes

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from core.storage.blobs import BlobNotFound, check_key, key_for

_MISSING = {"404", "NoSuchKey", "NotFound"}


class S3BlobStore:
    def __init__(self, bucket: str, *, endpoint_url: str | None = None, region: str | None = None,
                 access_key_id: str | None = None, secret_access_key: str | None = None, prefix: str = "",
                 max_connections: int = 32):
        self.bucket = bucket
        self.prefix = prefix
        self.client = boto3.session.Session().client(
            "s3", endpoint_url=endpoint_url, region_name=region, aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            config=Config(max_pool_connections=max_connections, retries={"mode": "standard", "max_attempts": 5},
                          signature_version="s3v4"),
        )

    def _name(self, key: str) -> str:
        return self.prefix + check_key(key)

    async def start(self) -> None:
        # Fail at start-up, with the reason, rather than at the first image.
        await asyncio.to_thread(self.client.head_bucket, Bucket=self.bucket)

    async def stop(self) -> None:
        self.client.close()

    async def put(self, data: bytes, ext: str) -> str:
        key = key_for(data, ext)
        content_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
        await asyncio.to_thread(self.client.put_object, Bucket=self.bucket, Key=self._name(key), Body=data,
                                ContentType=content_type)
        return key

    async def get(self, key: str) -> bytes:
        def read() -> bytes:
            try:
                response = self.client.get_object(Bucket=self.bucket, Key=self._name(key))
            except ClientError as e:
                if e.response.get("Error", {}).get("Code") in _MISSING:
                    raise BlobNotFound(key) from e
                raise
            with response["Body"] as body:
                return body.read()

        return await asyncio.to_thread(read)

    async def exists(self, key: str) -> bool:
        try:
            await asyncio.to_thread(self.client.head_object, Bucket=self.bucket, Key=self._name(key))
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in _MISSING:
                return False
            raise
        return True

    def presigned_url(self, key: str, ttl_seconds: int) -> str | None:
        # Local signing: no request to the store.
        return self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": self._name(key)}, ExpiresIn=ttl_seconds)
