"""GET /media/{key}: a stored file, for whoever holds a link we signed (channels that send media by
URL fetch replies' attachments from here). No link, a forged one or an expired one: 404, so a key
alone reveals nothing."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response

from core.media.sniff import sniff
from core.media.storage import Storage, StorageError

CONTENT_TYPES = {
    "ogg": "audio/ogg", "mp3": "audio/mpeg", "wav": "audio/wav", "flac": "audio/flac", "webm": "audio/webm",
    "mp4": "audio/mp4", "aac": "audio/aac", "amr": "audio/amr", "jpeg": "image/jpeg", "png": "image/png",
    "gif": "image/gif", "webp": "image/webp", "heic": "image/heic", "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}  # fmt: skip


def build_media_router(storage: Storage) -> APIRouter:
    router = APIRouter(tags=["media"])

    @router.get("/media/{key}", include_in_schema=False)
    async def media(key: str, expires: int = Query(0), signature: str = Query("", max_length=128)) -> Response:
        if not storage.verify_link(key, expires, signature):
            raise HTTPException(404, "no such file")
        try:
            data = await storage.get(key)
        except StorageError:
            raise HTTPException(404, "no such file") from None
        kind = sniff(data)
        # Never text/html: a customer's upload must not run as a page on our origin.
        content_type = CONTENT_TYPES.get(kind or "", "application/octet-stream")
        headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=300"}
        return Response(data, media_type=content_type, headers=headers)

    return router
