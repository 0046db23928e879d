"""A test backend for web chat that also writes every send to a file, so a test in another process
can count real sends (a crash test's duplicates). Loaded with FRONTDESK_CHANNEL_PLUGINS."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from channels.web.channel import WebChannel
from core.channels import DeliveryReceipt, Route
from core.messages import OutboundMessage

if TYPE_CHECKING:
    from bot.runtime import Runtime


class SinkWebChannel(WebChannel):
    path: str = ""

    async def send(self, route: Route, message: OutboundMessage) -> DeliveryReceipt:
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, f"{message.idempotency_key}\n".encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        return await super().send(route, message)


def register(runtime: Runtime) -> None:
    channel = SinkWebChannel(runtime.db, runtime.wakeup, runtime.settings)
    channel.path = os.environ["FRONTDESK_SINK_FILE"]
    runtime.channels.replace(channel)
