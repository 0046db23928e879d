"""Socket Mode, for development without a public URL: Slack pushes events, clicks and /frontdesk
over a websocket the server opens with the connection's app-level token (xapp-…). The same bolt app
handles them (Slack authenticates the socket, so there is no request signature to check).

Opened by `frontdesk serve` for every enabled connection that has an app token; a connection added
later is picked up at the next start.
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING, Any

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select

from core.models import ChannelConnection

if TYPE_CHECKING:
    from channels.slack.channel import SlackChannel

log = logging.getLogger(__name__)


class SocketMode:
    def __init__(self, channel: SlackChannel) -> None:
        self.channel = channel
        self.handlers: list[Any] = []

    async def start(self) -> None:
        async with self.channel.db.reader() as s:
            ids = (
                await s.execute(
                    select(ChannelConnection.id).where(
                        ChannelConnection.kind == "slack", ChannelConnection.enabled.is_(True)
                    )
                )
            ).scalars()
            connection_ids = list(ids)
        for connection_id in connection_ids:
            connection = await self.channel.connections.get(connection_id)
            token = str(connection.config.get("app_token") or "") if connection else ""
            if connection is None or not token:
                continue
            handler = AsyncSocketModeHandler(
                self.channel.app_for(connection),
                token,
                web_client=AsyncWebClient(base_url=connection.api_base, timeout=15),
            )
            try:
                await handler.connect_async()
            except Exception as exc:
                log.error(
                    "slack socket mode did not connect", extra={"connection_id": connection.id, "error": str(exc)}
                )
                continue
            self.handlers.append(handler)
            log.info("slack socket mode connected", extra={"connection_id": connection.id})

    async def stop(self) -> None:
        for handler in self.handlers:
            with contextlib.suppress(Exception):
                await handler.close_async()
        self.handlers.clear()
