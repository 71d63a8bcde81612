"""The media store on an S3-compatible object store: a real S3 server (moto's server mode) on
loopback, reached by boto3 over HTTP exactly as MinIO or a cloud bucket would be."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from core.media import BlobMissing, BlobStoreError
from handlers import Services
from integrations import LocalObjectStore, S3ObjectStore, object_store_from_url
from tests.fakes.s3 import ACCESS_KEY, REGION, SECRET_KEY, S3Server, s3_server, s3_settings
from tests.fakes.wechat import FakeWeChat, wechat_settings
from tests.photos import has_gps, phone_jpeg, upload_form
from tests.test_media import login
from yizhan.app import create_app


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    with s3_server() as server:
        yield server


def _store(s3: S3Server, bucket: str, prefix: str = "p") -> S3ObjectStore:
    return S3ObjectStore(
        bucket,
        prefix,
        endpoint_url=s3.endpoint_url,
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        region=REGION,
    )


async def test_put_get_delete_round_trip(s3: S3Server) -> None:
    bucket = s3.make_bucket("round-trip")
    store = _store(s3, bucket, "/media/")
    await store.put("case/2026/11/m1.jpg", b"\xff\xd8 photo", "image/jpeg")
    assert s3.keys(bucket) == ["media/case/2026/11/m1.jpg"]
    head = s3.client.head_object(Bucket=bucket, Key="media/case/2026/11/m1.jpg")
    assert head["ContentType"] == "image/jpeg"
    assert await store.get("case/2026/11/m1.jpg") == b"\xff\xd8 photo"
    await store.delete("case/2026/11/m1.jpg")
    assert s3.keys(bucket) == []
    with pytest.raises(BlobMissing):
        await store.get("case/2026/11/m1.jpg")


async def test_errors_are_translated_without_secrets(s3: S3Server) -> None:
    missing_bucket = _store(s3, "no-such-bucket")
    with pytest.raises(BlobStoreError) as caught:
        await missing_bucket.put("a.jpg", b"x", "image/jpeg")
    assert SECRET_KEY not in str(caught.value)
    unreachable = S3ObjectStore(
        "b", endpoint_url="http://127.0.0.1:9", access_key=ACCESS_KEY, secret_key=SECRET_KEY
    )
    with pytest.raises(BlobStoreError):
        await unreachable.get("a.jpg")
    with pytest.raises(BlobStoreError):
        await _store(s3, "round-trip").put("../escape.jpg", b"x", "image/jpeg")


def test_media_url_picks_the_store(tmp_path: Any) -> None:
    assert isinstance(object_store_from_url(f"file://{tmp_path}"), LocalObjectStore)
    assert isinstance(object_store_from_url("file:./media"), LocalObjectStore)
    s3 = object_store_from_url("s3://bucket/some/prefix", endpoint_url="http://127.0.0.1:9000")
    assert isinstance(s3, S3ObjectStore) and s3.prefix == "some/prefix"
    for bad in ("ftp://host/x", "s3:///nobucket", "file://otherhost/x"):
        with pytest.raises(ValueError, match="MEDIA_URL"):
            object_store_from_url(bad)


async def test_uploads_from_the_mini_program_land_in_the_bucket(
    s3: S3Server,
    fake_wechat: FakeWeChat,
    backend: Callable[..., Services],
    aiohttp_client: Callable[..., Any],
) -> None:
    # A bucket of this run's own: id(backend) came back for the next backend once the first
    # was collected, and the bucket then held the other run's upload too.
    bucket = s3.make_bucket(f"yizhan-{uuid.uuid4().hex[:12]}")
    settings = wechat_settings(fake_wechat) | s3_settings(s3, bucket)
    api: TestClient = await aiohttp_client(create_app(backend(**settings)))
    auth = await login(api, fake_wechat, "o-rider")
    resp = await api.post("/api/v1/media", data=upload_form(phone_jpeg()), headers=auth)
    assert resp.status == 201, await resp.text()
    body = await resp.json()
    (key,) = s3.keys(bucket)
    assert key.startswith("yizhan/case/") and key.endswith(f"{body['id']}.jpg")
    stored = s3.read(bucket, key)
    assert not has_gps(stored)
    shown = await api.get(body["url"])
    assert shown.status == 200 and await shown.read() == stored
