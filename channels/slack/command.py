"""`/frontdesk status|pause <conversation>|resume <conversation>|help`, and the triage verbs of
channels.slack.triage (priority, status <conversation>, tag, untag, assign, context, move, retry),
answered to the caller only."""

from __future__ import annotations

from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import func, select

from channels.slack import triage
from channels.slack.cards import short_id
from channels.slack.connection import Connection
from channels.slack.console import NOT_STAFF, Console, actor
from channels.slack.services import BEFORE_ACK, BUSY, Busy
from channels.slack.staff import Staff
from core.models import Conversation, Draft
from staff import queries
from staff.errors import NotFound

HELP = (
    """*frontdesk* in Slack
• `/frontdesk status`: drafts waiting, conversations waiting for staff, who has taken over what, turns that failed
• `/frontdesk pause <conversation>`: take a conversation over: the assistant stays quiet, and replies in its thread
  go to the customer
• `/frontdesk resume <conversation>`: hand it back to the assistant
"""
    + triage.HELP
    + """
• `/frontdesk help`: this
A conversation is the short id on its card (`1a2b3c4d`) or its full id."""
)


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
        failed, failures = await queries.inbox_items(
            s, workspace_id=connection.workspace_id, state="failed", limit=10, offset=0
        )
    lines = [f"*{pending}* draft(s) waiting for approval, *{waiting}* conversation(s) waiting for staff."]
    if paused:
        lines.append("Taken over (assistant paused): " + ", ".join(f"`{short_id(c)}`" for c in paused))
    if failures:
        turns = ", ".join(f"`{item.id}`" for item in failed)
        lines.append(f"*{failures}* turn(s) failed: {turns}. `/frontdesk retry <turn>` puts one back in the queue.")
    return "\n".join(lines)


async def run(console: Console, connection: Connection, client: AsyncWebClient, body: dict[str, Any]) -> str:
    """The text to answer with."""
    text = str(body.get("text") or "").strip()
    words = text.split()
    verb = words[0].lower() if words else "help"
    if verb not in ("pause", "resume", *triage.VERBS):
        return HELP
    try:
        staff = await console.services.staff(connection, client, str(body.get("user_id") or ""), budget=BEFORE_ACK)
    except Busy:
        return BUSY
    if staff is None:
        return NOT_STAFF
    if verb == "status" and len(words) == 1:
        return await status(console, connection)
    if verb in triage.VERBS:
        return await triage.run(console, connection, client, staff, verb, text[len(words[0]) :])
    if len(words) < 2:
        return f"Which conversation? `/frontdesk {verb} 1a2b3c4d`"
    found = await triage.find(console, connection, words[1])
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
