"""The web chat channel: customers talk to an assistant from a page or a widget, over plain HTTP.

A reply "sent" to web chat is the outbox marking it sent; the widget reads it from the history
endpoint (or gets it straight back from POST /api/v1/chat when it is ready in time).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from core.channels import AcceptFn, Channel, DeliveryReceipt, Route
from core.db import Database
from core.messages import OutboundMessage
from core.wakeup import Wakeup

if TYPE_CHECKING:
    from fastapi import APIRouter

    from bot.settings import Settings


class WebChannel(Channel):
    kind: ClassVar[str] = "web"
    max_text: ClassVar[int] = 8000
    supports_buttons: ClassVar[bool] = True

    def __init__(self, db: Database, wakeup: Wakeup, settings: Settings) -> None:
        self.db = db
        self.wakeup = wakeup
        self.settings = settings

    async def send(self, route: Route, message: OutboundMessage) -> DeliveryReceipt:
        return DeliveryReceipt(external_ids=(message.idempotency_key,), status="sent")

    def router(self, accept: AcceptFn) -> APIRouter:
        from channels.web.routes import build_router

        return build_router(self, accept)
