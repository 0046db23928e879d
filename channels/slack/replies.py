"""Staff writing in a conversation's thread in the staff channel.

By default a thread is the staff's own room: remarks there never reach the customer. A reply goes
to the customer only while the conversation is taken over (Take over, or /frontdesk pause), or when
it starts with the connection's marker (`!reply` unless configured). Each Slack message is sent at
most once (the outbox key is its ts), however often Slack delivers the event.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from channels.slack.connection import Connection
from channels.slack.console import NOT_STAFF, Console, actor
from channels.slack.mrkdwn import unescape
from core.models import Conversation
from staff.errors import NotFound

log = logging.getLogger(__name__)


def for_customer(text: str, *, marker: str, taken_over: bool) -> str | None:
    """The text to send, or None for an internal remark."""
    stripped = text.strip()
    if marker and stripped.lower().startswith(marker.lower()):
        return stripped[len(marker) :].strip() or None
    return (stripped or None) if taken_over else None


async def staff_reply(console: Console, connection: Connection, client: AsyncWebClient, event: dict[str, Any]) -> None:
    services = console.services
    thread = await console.thread_of(connection, channel=str(event["channel"]), thread_ts=str(event["thread_ts"]))
    if thread is None:
        return  # a thread that is not about a conversation
    async with services.db.reader() as s:
        conversation = await s.get(Conversation, thread.conversation_id)
    if conversation is None:
        return
    taken_over = bool(thread.taken_over_by) and conversation.bot_paused
    text = for_customer(unescape(str(event.get("text") or "")), marker=connection.reply_marker, taken_over=taken_over)
    if text is None:
        return
    user = str(event.get("user") or "")
    staff = await services.staff(connection, client, user)
    if staff is None:
        await services.ephemeral(
            client, channel=thread.channel, user=user, text=NOT_STAFF, thread_ts=thread.ts or str(event["thread_ts"])
        )
        return
    try:
        await services.actions.reply(
            actor(connection, staff), conversation.id, text, idempotency_key=f"slack:{event['channel']}:{event['ts']}"
        )
    except NotFound:
        log.info("slack staff reply: conversation gone", extra={"conversation_id": conversation.id})
