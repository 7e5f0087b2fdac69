"""Where attachment bytes are kept: put, get and delete by key.

The record (table ``attachments``) says which key holds which file; a
:class:`BlobStore` only keeps bytes. :class:`FileBlobStore` keeps them in a
folder (by default ``<data folder>/attachments``), which every gateway process
of a deployment must share; :class:`~live_chat.attachments.s3.S3BlobStore`
keeps them in an S3-compatible bucket. :func:`blob_store` picks one from the
settings.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from live_chat.settings import Settings

# Keys are made by the gateway (``ab/<32 hex>``), never by clients; this is a second fence.
_KEY = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{32}$")


class BlobStore(Protocol):
    """Bytes by key. Keys are short ASCII paths such as ``3f/3f2a…``."""

    async def put(self, key: str, data: bytes) -> None:
        """Keep ``data`` under ``key`` (replacing what was there)."""
        ...

    async def get(self, key: str) -> bytes | None:
        """The bytes under ``key``, or None when there are none."""
        ...

    async def delete(self, key: str) -> None:
        """Forget ``key``; nothing happens when it is already gone."""
        ...


def key_for(attachment_id: str) -> str:
    """The key of an attachment's bytes: spread over 256 folders by its id."""
    return f"{attachment_id[:2]}/{attachment_id}"


class FileBlobStore:
    """A :class:`BlobStore` in the folder ``root`` (made on first write, mode 0700)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        if not _KEY.match(key):
            raise ValueError(f"not a blob key: {key!r}")
        return self.root / key

    async def put(self, key: str, data: bytes) -> None:
        await asyncio.to_thread(self._write, self._path(key), data)

    async def get(self, key: str) -> bytes | None:
        path = self._path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            return None

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)

    def _write(self, path: Path, data: bytes) -> None:
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.parent.mkdir(mode=0o700, exist_ok=True)
        # Written aside, then renamed: a reader never sees half a file.
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
        with open(temporary, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)


def blob_store(settings: Settings) -> BlobStore:
    """The store the settings name: a bucket when ``TSUNAGU_ATTACHMENT_S3_BUCKET`` is set,
    else the folder ``settings.attachments_dir``."""
    if settings.attachment_s3_bucket:
        from live_chat.attachments.s3 import S3BlobStore

        return S3BlobStore(settings.attachment_s3_bucket, prefix=settings.attachment_s3_prefix,
                           endpoint_url=settings.attachment_s3_endpoint)
    return FileBlobStore(settings.attachments_dir)
