"""A real S3-compatible server on loopback for tests: moto's server mode (`moto[server]`), in a
thread of the test process, speaking the S3 HTTP API that boto3 (and so `S3ObjectStore`) uses.

    with s3_server() as s3:          # s3.endpoint_url, s3.client (boto3), s3.make_bucket(name)
        store = S3ObjectStore("bucket", "prefix", endpoint_url=s3.endpoint_url, …)

`s3_settings(s3, bucket)` gives the Settings overrides that point the media store at it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
from moto.server import ThreadedMotoServer
from pydantic import SecretStr

ACCESS_KEY, SECRET_KEY, REGION = "test-access", "test-secret", "us-east-1"


@dataclass
class S3Server:
    endpoint_url: str
    client: Any

    def make_bucket(self, name: str) -> str:
        self.client.create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str) -> list[str]:
        listed = self.client.list_objects_v2(Bucket=bucket)
        return sorted(item["Key"] for item in listed.get("Contents", []))

    def read(self, bucket: str, key: str) -> bytes:
        body: bytes = self.client.get_object(Bucket=bucket, Key=key)["Body"].read()
        return body


@contextlib.contextmanager
def s3_server() -> Iterator[S3Server]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name=REGION,
        )
        yield S3Server(endpoint, client)
    finally:
        server.stop()


def s3_settings(s3: S3Server, bucket: str, prefix: str = "yizhan") -> dict[str, Any]:
    return {
        "media_url": f"s3://{bucket}/{prefix}",
        "s3_endpoint_url": s3.endpoint_url,
        "s3_access_key_id": ACCESS_KEY,
        "s3_secret_access_key": SecretStr(SECRET_KEY),
        "s3_region": REGION,
    }
