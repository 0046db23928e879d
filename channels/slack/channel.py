"""The Slack channel: customers in designated channels or DMs (replies in their thread, from the
outbox), and the staff console (approval cards in the staff channel, from the staff job queue)."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, ClassVar

import httpx
from slack_bolt.async_app import AsyncApp

from channels.slack import mrkdwn
from channels.slack.app import build_app
from channels.slack.connection import Connection, Connections, send_error
from channels.slack.console import Console
from channels.slack.jobs import StaffJobs
from channels.slack.mirror import Stage, mirroring
from channels.slack.normalize import reply_target
from channels.slack.services import Services
from core.channels import AcceptFn, Channel, DeliveryReceipt, MediaError, Route, SendError
from core.crypto import SecretBox
from core.db import Database
from core.messages import Attachment, OutboundMessage, buttons_as_text
from core.wakeup import Wakeup

if TYPE_CHECKING:
    from fastapi import APIRouter

    from staff.service import StaffActions

log = logging.getLogger(__name__)
MID_MESSAGE_RETRIES = 3


class SlackChannel(Channel):
    kind: ClassVar[str] = "slack"
    max_text: ClassVar[int] = mrkdwn.MAX_TEXT

    def __init__(
        self,
        db: Database,
        box: SecretBox,
        wakeup: Wakeup,
        *,
        worker_id: str,
        poll_seconds: float = 2.0,
        staff: StaffActions,
    ) -> None:
        self.db = db
        self.connections = Connections(db, box)
        self.jobs = StaffJobs(db, self.connections, worker_id, poll_seconds=poll_seconds)
        self.services = Services(db, wakeup, self.connections, self.jobs, staff)
        self.console = Console(self.services)
        self._apps: dict[str, tuple[tuple[str, ...], AsyncApp]] = {}
        self._socket: Any = None  # channels.slack.socket.SocketMode once started

    def app_for(self, connection: Connection) -> AsyncApp:
        """The connection's bolt app, rebuilt when its settings change."""
        fingerprint = (
            connection.bot_token, connection.signing_secret, connection.api_base, connection.team_id,
            connection.staff_channel or "", ",".join(sorted(connection.customer_channels)), connection.reply_marker,
            connection.bot_user_id,
        )  # fmt: skip
        cached = self._apps.get(connection.id)
        if cached is not None and cached[0] == fingerprint:
            return cached[1]
        app = build_app(connection, self.console)
        self._apps[connection.id] = (fingerprint, app)
        return app

    def after_decide(self, decide: Stage) -> Stage:
        """The decide stage, then a copy of the customer's message into a taken-over thread."""
        return mirroring(self.db, self.jobs, decide)

    # --- inbound ---------------------------------------------------------------------------------

    def router(self, accept: AcceptFn) -> APIRouter:
        from channels.slack.webhook import build_router

        self.services.accept = accept
        return build_router(self)

    async def start(self) -> None:
        """Socket Mode for connections that have an app token (`frontdesk serve` only)."""
        from channels.slack.socket import SocketMode

        self._socket = SocketMode(self)
        await self._socket.start()

    async def stop(self) -> None:
        if self._socket is not None:
            await self._socket.stop()
            self._socket = None
        await self.services.settle()

    # --- outbound --------------------------------------------------------------------------------

    async def send(self, route: Route, message: OutboundMessage) -> DeliveryReceipt:
        """chat.postMessage in the customer's thread, escaped, split at Slack's limit. A 429 before
        anything went out goes back to the outbox with Retry-After; once a part has gone, the rest
        waits here, so the customer never gets the first part twice."""
        if not route.connection_id:
            raise SendError("this conversation's Slack connection is gone", retryable=False, code="no_connection")
        connection = await self.connections.get(route.connection_id)
        if connection is None or not connection.bot_token:
            raise SendError("this conversation's Slack connection is gone", retryable=False, code="no_connection")
        client = self.connections.client(connection)
        channel, thread_ts = reply_target(route.thread)
        text = buttons_as_text(message.text, message.buttons)
        text += "".join(f"\n{a.ref}" for a in message.attachments if a.ref and a.ref.startswith("http"))
        sent: list[str] = []
        for part in mrkdwn.parts(text):
            for attempt in range(MID_MESSAGE_RETRIES + 1):
                try:
                    response = await client.chat_postMessage(
                        channel=channel, text=part, thread_ts=thread_ts, unfurl_links=False
                    )
                    break
                except Exception as exc:
                    error = send_error(exc)
                    if not sent or error.retry_after is None or attempt == MID_MESSAGE_RETRIES:
                        raise error from exc
                    await asyncio.sleep(min(error.retry_after, 30.0))
            sent.append(f"{channel}:{response['ts']}")
        return DeliveryReceipt(external_ids=tuple(sent), status="sent", detail={"parts": len(sent)})

    async def fetch_media(self, route: Route, attachment: Attachment, *, max_bytes: int) -> bytes:
        """A customer's file: url_private_download with the bot token (scope files:read), capped."""
        if not attachment.ref or not route.connection_id:
            raise MediaError("the attachment has no file URL", code="missing")
        connection = await self.connections.get(route.connection_id)
        if connection is None:
            raise MediaError("the Slack connection is gone", code="unavailable")
        if attachment.size is not None and attachment.size > max_bytes:
            raise MediaError(f"the file is {attachment.size} bytes, over the {max_bytes} limit", code="too_large")
        headers = {"Authorization": f"Bearer {connection.bot_token}"}
        data = bytearray()
        try:
            async with (
                httpx.AsyncClient(timeout=60, follow_redirects=True) as http,
                http.stream("GET", attachment.ref, headers=headers) as response,
            ):
                response.raise_for_status()
                async for chunk in response.aiter_bytes():
                    data.extend(chunk)
                    if len(data) > max_bytes:
                        raise MediaError(f"the file is over the {max_bytes} byte limit", code="too_large")
        except MediaError:
            raise
        except Exception as exc:
            raise MediaError(f"download failed: {type(exc).__name__}", code="unavailable") from exc
        return bytes(data)
