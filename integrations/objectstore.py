"""Object stores for the media store (`core.media.BlobStore`): a local directory, or any
S3-compatible service (AWS S3, MinIO, Ceph RGW, Tencent COS, Alibaba OSS in S3 mode).

`object_store_from_url(url, endpoint_url=…, access_key=…, secret_key=…, region=…)` reads
`MEDIA_URL`: `file:///var/lib/yizhan/media` (or `file:./media`, relative to the working
directory) → `LocalObjectStore`; `s3://bucket/prefix` → `S3ObjectStore` (`S3_ENDPOINT_URL`
for anything but AWS itself; keys from the settings, else boto3's usual sources).

boto3 is blocking, so each call runs in a worker thread; its client is thread-safe and made
once. Every botocore and OS error is translated here into `core.media.BlobStoreError` /
`BlobMissing`, without the keys or the endpoint's credentials in the message.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from core.media import BlobMissing, BlobStore, BlobStoreError

_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$")


def _checked(key: str) -> str:
    if not _KEY.fullmatch(key) or ".." in key.split("/") or "//" in key:
        raise BlobStoreError(f"bad object key {key!r}")
    return key


class LocalObjectStore:
    """Objects as files under `root` (made on first write); writes are atomic (temp + rename)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / _checked(key)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(self._put, self._path(key), data)

    @staticmethod
    def _put(path: Path, data: bytes) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise BlobStoreError(f"cannot write {path.name}: {exc.strerror}") from None

    async def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            raise BlobMissing(key) from None
        except OSError as exc:
            raise BlobStoreError(f"cannot read {path.name}: {exc.strerror}") from None

    async def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            await asyncio.to_thread(path.unlink, missing_ok=True)
        except OSError as exc:
            raise BlobStoreError(f"cannot delete {path.name}: {exc.strerror}") from None


class S3ObjectStore:
    """Objects in `bucket` under `prefix`, over the S3 API (any compatible endpoint)."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        region: str | None = None,
        client: Any = None,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        if client is None:
            import boto3
            from botocore.config import Config

            client = boto3.client(
                "s3",
                endpoint_url=endpoint_url or None,
                aws_access_key_id=access_key or None,
                aws_secret_access_key=secret_key or None,
                region_name=region or None,
                config=Config(
                    connect_timeout=5,
                    read_timeout=20,
                    retries={"max_attempts": 3, "mode": "standard"},
                    # Path-style works on every S3-compatible server; virtual hosts need DNS.
                    s3={"addressing_style": "path"},
                ),
            )
        self._client = client

    def _key(self, key: str) -> str:
        key = _checked(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    async def _call(self, method: str, **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return await asyncio.to_thread(getattr(self._client, method), **kwargs)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in ("NoSuchKey", "404", "NotFound"):
                raise BlobMissing(kwargs.get("Key", "")) from None
            raise BlobStoreError(f"S3 {method}: {code or 'error'}") from None
        except BotoCoreError as exc:
            raise BlobStoreError(f"S3 {method}: {type(exc).__name__}") from None

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await self._call(
            "put_object",
            Bucket=self.bucket,
            Key=self._key(key),
            Body=data,
            ContentType=content_type,
        )

    async def get(self, key: str) -> bytes:
        answer = await self._call("get_object", Bucket=self.bucket, Key=self._key(key))
        body = answer["Body"]
        try:
            return await asyncio.to_thread(body.read)
        finally:
            body.close()

    async def delete(self, key: str) -> None:
        await self._call("delete_object", Bucket=self.bucket, Key=self._key(key))


def object_store_from_url(
    url: str,
    *,
    endpoint_url: str | None = None,
    access_key: str | None = None,
    secret_key: str | None = None,
    region: str | None = None,
) -> BlobStore:
    """The object store `MEDIA_URL` names; a URL of any other kind is refused (ValueError)."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        path = (parts.netloc + parts.path) if parts.netloc in ("", ".", "..") else None
        if not path:
            raise ValueError("MEDIA_URL 的 file 地址应写成 file:///绝对路径 或 file:./相对路径")
        return LocalObjectStore(Path(path))
    if parts.scheme == "s3":
        if not parts.netloc:
            raise ValueError("MEDIA_URL 的 s3 地址应写成 s3://桶名/前缀")
        return S3ObjectStore(
            parts.netloc,
            parts.path,
            endpoint_url=endpoint_url,
            access_key=access_key,
            secret_key=secret_key,
            region=region,
        )
    raise ValueError("MEDIA_URL 应以 file:// 或 s3:// 开头")


__all__ = ["LocalObjectStore", "S3ObjectStore", "object_store_from_url"]
