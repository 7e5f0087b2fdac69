"""A :class:`~live_chat.attachments.blobs.BlobStore` in an S3-compatible bucket (AWS S3,
MinIO, Ceph, Cloudflare R2…), through boto3.

boto3 is synchronous: each call runs in a worker thread. Credentials come the
way boto3 finds them (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, a
profile, an instance role); ``endpoint_url`` points at a non-AWS store.
boto3 is an optional dependency (``pip install 'tsunagu[s3]'``), imported only
when a bucket is configured.
"""

from __future__ import annotations

import asyncio
from typing import Any


class S3BlobStore:
    """Bytes under ``prefix`` + key in ``bucket`` (which must exist)."""

    def __init__(self, bucket: str, *, prefix: str = "attachments/",
                 endpoint_url: str | None = None, region: str | None = None,
                 client: Any = None) -> None:
        """``client``: a ready boto3 S3 client (tests, custom sessions); else one is made."""
        if client is None:
            import boto3

            client = boto3.client("s3", endpoint_url=endpoint_url, region_name=region)
        self._client = client
        self.bucket = bucket
        self.prefix = prefix

    async def put(self, key: str, data: bytes) -> None:
        await asyncio.to_thread(self._client.put_object, Bucket=self.bucket,
                                Key=self.prefix + key, Body=data)

    async def get(self, key: str) -> bytes | None:
        def read() -> bytes | None:
            try:
                answer = self._client.get_object(Bucket=self.bucket, Key=self.prefix + key)
            except self._client.exceptions.NoSuchKey:
                return None
            body: bytes = answer["Body"].read()
            return body

        return await asyncio.to_thread(read)

    async def delete(self, key: str) -> None:
        # S3 answers a delete of a missing key with success: nothing to catch.
        await asyncio.to_thread(self._client.delete_object, Bucket=self.bucket,
                                Key=self.prefix + key)
