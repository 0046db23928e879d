"""`/frontdesk status|pause <conversation>|resume <conversation>|help`, answered to the caller only."""

from __future__ import annotations

from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import func, select

from channels.slack.cards import short_id
from channels.slack.connection import Connection
from channels.slack.console import NOT_STAFF, Console, actor
from channels.slack.services import BEFORE_ACK, BUSY, Busy
from channels.slack.staff import Staff
from core.models import Conversation, Draft
from staff.errors import NotFound

HELP = """*frontdesk* in Slack
• `/frontdesk status`: drafts waiting, conversations waiting for staff, and who has taken over what
• `/frontdesk pause <conversation>`: take a conversation over: the assistant stays quiet, and replies in its thread
  go to the customer
• `/frontdesk resume <conversation>`: hand it back to the assistant
• `/frontdesk help`: this
A conversation is the short id on its card (`1a2b3c4d`) or its full id."""


async def _conversation(console: Console, connection: Connection, ref: str) -> Conversation | str:
    ref = ref.strip().strip("`")
    if len(ref) < 6:
        return "Give the conversation's id from its card, e.g. `/frontdesk pause 1a2b3c4d`."
    async with console.services.db.reader() as s:
        rows = (
            await s.execute(
                select(Conversation)
                .where(Conversation.workspace_id == connection.workspace_id, Conversation.id.startswith(ref))
                .limit(2)
            )
        ).scalars()
        found = list(rows)
    if not found:
        return f"No conversation `{ref}` in this business."
    if len(found) > 1:
        return f"`{ref}` matches several conversations: give more of the id."
    return found[0]


async def status(console: Console, connection: Connection) -> str:
    async with console.services.db.reader() as s:
        pending = (
            await s.execute(
                select(func.count())
                .select_from(Draft)
                .where(Draft.workspace_id == connection.workspace_id, Draft.state == "pending")
            )
        ).scalar_one()
        waiting = (
            await s.execute(
                select(func.count())
                .select_from(Conversation)
                .where(Conversation.workspace_id == connection.workspace_id, Conversation.status == "waiting")
            )
        ).scalar_one()
        paused = (
            (
                await s.execute(
                    select(Conversation.id)
                    .where(Conversation.workspace_id == connection.workspace_id, Conversation.bot_paused.is_(True))
                    .limit(20)
                )
            )
            .scalars()
            .all()
        )
    lines = [f"*{pending}* draft(s) waiting for approval, *{waiting}* conversation(s) waiting for staff."]
    if paused:
        lines.append("Taken over (assistant paused): " + ", ".join(f"`{short_id(c)}`" for c in paused))
    return "\n".join(lines)


async def run(console: Console, connection: Connection, client: AsyncWebClient, body: dict[str, Any]) -> str:
    """The text to answer with."""
    words = str(body.get("text") or "").split()
    verb = words[0].lower() if words else "help"
    if verb not in ("status", "pause", "resume"):
        return HELP
    try:
        staff = await console.services.staff(connection, client, str(body.get("user_id") or ""), budget=BEFORE_ACK)
    except Busy:
        return BUSY
    if staff is None:
        return NOT_STAFF
    if verb == "status":
        return await status(console, connection)
    if len(words) < 2:
        return f"Which conversation? `/frontdesk {verb} 1a2b3c4d`"
    found = await _conversation(console, connection, words[1])
    if isinstance(found, str):
        return found
    return await (_pause if verb == "pause" else _resume)(console, connection, client, staff, found)


async def _pause(
    console: Console, connection: Connection, client: AsyncWebClient, staff: Staff, conversation: Conversation
) -> str:
    try:
        await console.services.actions.take_over_conversation(actor(connection, staff), conversation.id)
    except NotFound:
        return f"`{short_id(conversation.id)}` is gone."
    await console.mark_taken_over(connection, conversation_id=conversation.id, staff=staff)
    card_drafts = await console.services.cards_of(connection, conversation.id)
    await console.services.refresh(connection, conversation_id=conversation.id, draft_ids=card_drafts)
    return (
        f"You have taken over `{short_id(conversation.id)}`: the assistant is paused there, and what you write "
        "in its thread goes to the customer. `/frontdesk resume` hands it back."
    )


async def _resume(
    console: Console, connection: Connection, client: AsyncWebClient, staff: Staff, conversation: Conversation
) -> str:
    await console.hand_back(connection, client, staff, conversation_id=conversation.id)
    return f"`{short_id(conversation.id)}` is back with the assistant."
