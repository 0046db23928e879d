"""Where media bytes are kept: put bytes, get a content-hash key; get them back; a signed link.

Keys are the SHA-256 of the content, so an identical upload is stored once (dedupe for free) and a
key can never point at different bytes later. The local-disk store is the default; an S3-compatible
store implements the same four methods. Signed links let channels that send media by URL (Twilio,
for one) fetch a file without an account, for a limited time.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import re
import time
import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

KEY = re.compile(r"^[0-9a-f]{64}$")


class StorageError(Exception):
    """No such key, or the store refused."""


@dataclass(frozen=True)
class Stored:
    key: str
    size: int
    # False when identical bytes were already kept (a re-sent voice note, a redelivered webhook).
    created: bool


def content_key(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Storage(ABC):
    """The storage contract. Implementations are safe to share between tasks."""

    @abstractmethod
    async def put(self, data: bytes) -> Stored:
        """Keep the bytes under their content hash; keeping them again is a no-op."""

    @abstractmethod
    async def get(self, key: str) -> bytes:
        """The bytes under `key`. Raises StorageError if there are none."""

    @abstractmethod
    async def exists(self, key: str) -> bool: ...

    @abstractmethod
    def signed_url(self, key: str, *, expires_in: float = 3600) -> str:
        """A link anyone may fetch the file from until it expires."""

    def verify_link(self, key: str, expires: int, signature: str) -> bool:
        """True if a `/media/{key}` link we signed is genuine and current. Stores whose links point
        elsewhere (an S3 presigned URL) never serve through us."""
        return False


class LinkSigner:
    """HMAC-signed, expiring links to `/media/{key}` under the public URL."""

    def __init__(self, secret: str, public_url: str) -> None:
        self._secret = hashlib.sha256(b"frontdesk-media-link:" + secret.encode()).digest()
        self.public_url = public_url.rstrip("/")

    def _signature(self, key: str, expires: int) -> str:
        return hmac.new(self._secret, f"{key}:{expires}".encode(), hashlib.sha256).hexdigest()

    def url(self, key: str, *, expires_in: float, now: float | None = None) -> str:
        expires = int((now if now is not None else time.time()) + expires_in)
        query = urlencode({"expires": expires, "signature": self._signature(key, expires)})
        return f"{self.public_url}/media/{key}?{query}"

    def verify(self, key: str, expires: int, signature: str, *, now: float | None = None) -> bool:
        if expires < (now if now is not None else time.time()):
            return False
        return hmac.compare_digest(self._signature(key, expires), signature)


class LocalStorage(Storage):
    """Files under a directory (the data dir's media/), fanned out by the key's first two characters."""

    def __init__(self, root: Path, signer: LinkSigner) -> None:
        self.root = root
        self.signer = signer

    def path(self, key: str) -> Path:
        if not KEY.match(key):
            raise StorageError(f"not a storage key: {key[:80]!r}")
        return self.root / key[:2] / key

    async def put(self, data: bytes) -> Stored:
        return await asyncio.to_thread(self._put, data)

    def _put(self, data: bytes) -> Stored:
        key = content_key(data)
        path = self.path(key)
        if path.exists():
            return Stored(key=key, size=len(data), created=False)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write aside and rename: a reader never sees half a file, and two writers of the same
        # bytes both end with the same complete file.
        partial = path.with_name(f".{key}.{uuid.uuid4().hex}.part")
        partial.write_bytes(data)
        os.replace(partial, path)
        return Stored(key=key, size=len(data), created=True)

    async def get(self, key: str) -> bytes:
        path = self.path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            raise StorageError(f"no stored file {key}") from None

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self.path(key).exists)

    def signed_url(self, key: str, *, expires_in: float = 3600) -> str:
        self.path(key)  # refuse what is not a key
        return self.signer.url(key, expires_in=expires_in)

    def verify_link(self, key: str, expires: int, signature: str) -> bool:
        return bool(KEY.match(key)) and self.signer.verify(key, expires, signature)
