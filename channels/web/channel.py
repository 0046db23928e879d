"""The web chat channel: customers talk to an assistant from a page or a widget, over plain HTTP.

A reply "sent" to web chat is the outbox marking it sent; the widget reads it from the history
endpoint (or gets it straight back from POST /api/v1/chat when it is ready in time).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from channels.web.origins import ChatOrigins
from core.channels import AcceptFn, Channel, DeliveryReceipt, MediaError, Route
from core.db import Database
from core.media.storage import Storage, StorageError
from core.messages import Attachment, OutboundMessage
from core.wakeup import Wakeup

if TYPE_CHECKING:
    from fastapi import APIRouter

    from channels.web.upload import ChatSettings


class WebChannel(Channel):
    kind: ClassVar[str] = "web"
    max_text: ClassVar[int] = 8000
    supports_buttons: ClassVar[bool] = True

    def __init__(self, db: Database, wakeup: Wakeup, settings: ChatSettings, *, storage: Storage | None = None) -> None:
        self.db = db
        self.wakeup = wakeup
        self.settings = settings
        # Where uploads from the chat page are kept until the media stage reads them.
        self.storage = storage
        # The sites that may frame the chat page and call the chat API (the server's and each workspace's).
        self.origins = ChatOrigins(db, settings.chat_allowed_origins)

    async def send(self, route: Route, message: OutboundMessage) -> DeliveryReceipt:
        return DeliveryReceipt(external_ids=(message.idempotency_key,), status="sent")

    async def fetch_media(self, route: Route, attachment: Attachment, *, max_bytes: int) -> bytes:
        """An upload from the chat page: its ref is the storage key it was kept under."""
        if self.storage is None or not attachment.ref:
            raise MediaError("no stored upload for this attachment", code="missing")
        try:
            data = await self.storage.get(attachment.ref)
        except StorageError as exc:
            raise MediaError(str(exc), code="missing") from exc
        if len(data) > max_bytes:
            raise MediaError(f"the file is over the {max_bytes} byte limit", code="too_large")
        return data

    def router(self, accept: AcceptFn) -> APIRouter:
        from channels.web.media import build_media_router
        from channels.web.routes import build_router

        router = build_router(self, accept)
        if self.storage is not None:
            router.include_router(build_media_router(self.storage))
        return router
