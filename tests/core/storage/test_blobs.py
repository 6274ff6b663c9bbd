"""The BlobStore port on both back ends: the local folder and an S3-compatible server
(moto's, on loopback, spoken to over HTTP by boto3 exactly as a real bucket is)."""

from __future__ import annotations

import hashlib

import boto3
import httpx
import pytest

from core.settings import Settings
from core.storage.blobs import BlobNotFound, LocalBlobStore
from core.storage.s3 import S3BlobStore
from tests.support.servers import free_port
from workers.runtime import build_blob_store

pytestmark = pytest.mark.embedded


@pytest.fixture(scope="module")
def s3_url():
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def _bucket(s3_url: str, name: str) -> None:
    boto3.client("s3", endpoint_url=s3_url, region_name="us-east-1", aws_access_key_id="test",
                 aws_secret_access_key="test").create_bucket(Bucket=name)


@pytest.fixture(params=["local", "s3"])
async def store(request, tmp_path):
    if request.param == "local":
        blobs = LocalBlobStore(tmp_path / "blobs")
    else:
        url = request.getfixturevalue("s3_url")
        _bucket(url, "pixport-blobs")
        blobs = S3BlobStore("pixport-blobs", endpoint_url=url, region="us-east-1", access_key_id="test",
                            secret_access_key="test", prefix="images/")
    await blobs.start()
    yield blobs
    await blobs.stop()


async def test_a_blob_is_kept_by_content_once_and_read_back(store):
    data = b"\xff\xd8 not really a jpeg" * 1000
    key = await store.put(data, "JPG")
    assert key == hashlib.sha256(data).hexdigest() + ".jpg"
    assert await store.put(data, "jpg") == key  # the same bytes: the same key, written again harmlessly
    assert await store.get(key) == data
    assert await store.exists(key)
    other = await store.put(b"other", "png")
    assert other != key and await store.get(other) == b"other"


async def test_a_missing_or_foreign_key_is_not_found(store):
    missing = "0" * 64 + ".jpg"
    assert not await store.exists(missing)
    with pytest.raises(BlobNotFound):
        await store.get(missing)
    with pytest.raises(BlobNotFound):
        await store.get("../secret.key")


async def test_s3_presigned_links_serve_the_bytes(s3_url):
    _bucket(s3_url, "presign")
    blobs = S3BlobStore("presign", endpoint_url=s3_url, region="us-east-1", access_key_id="test",
                        secret_access_key="test")
    await blobs.start()
    key = await blobs.put(b"PNG bytes", "png")
    url = blobs.presigned_url(key, 60)
    assert "X-Amz-Expires=60" in url and "X-Amz-Signature=" in url
    async with httpx.AsyncClient() as http:
        response = await http.get(url)
        assert response.status_code == 200 and response.content == b"PNG bytes"
        assert response.headers["content-type"] == "image/png"
    await blobs.stop()


async def test_start_fails_with_the_reason_when_the_bucket_is_missing(s3_url):
    from botocore.exceptions import ClientError

    blobs = S3BlobStore("no-such-bucket", endpoint_url=s3_url, region="us-east-1", access_key_id="test",
                        secret_access_key="test")
    with pytest.raises(ClientError):
        await blobs.start()


def test_settings_choose_the_store(tmp_path, s3_url):
    assert isinstance(build_blob_store(Settings(data_dir=tmp_path)), LocalBlobStore)
    chosen = build_blob_store(Settings(data_dir=tmp_path, s3_bucket="b", s3_endpoint_url=s3_url,
                                       s3_access_key_id="k", s3_secret_access_key="s", s3_region="eu-west-1"))
    assert isinstance(chosen, S3BlobStore) and chosen.bucket == "b"
