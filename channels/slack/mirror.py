"""While staff have a conversation taken over, the assistant is silent and no card is posted, so
what the customer writes is copied into the conversation's thread: staff answering from Slack see
the conversation there. Composed after the decide stage by the composition root (bot/)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import select

from channels.slack import mrkdwn
from channels.slack.jobs import NOTICE, StaffJobs, add_job
from channels.slack.models import SlackThread
from core.db import Database
from core.models import ChannelConnection
from core.pipeline.turn import Turn

log = logging.getLogger(__name__)
Stage = Callable[[Turn], Awaitable[None]]


def mirroring(db: Database, jobs: StaffJobs, decide: Stage) -> Stage:
    async def decide_then_mirror(turn: Turn) -> None:
        await decide(turn)
        conversation = turn.conversation
        if conversation is None or not conversation.bot_paused or turn.draft_id is not None or turn.dry_run:
            return
        try:
            await _mirror(db, jobs, turn, conversation.id)
        except Exception:
            log.exception("copying a customer message to Slack failed", extra={"inbox_id": turn.inbox_id})

    return decide_then_mirror


async def _mirror(db: Database, jobs: StaffJobs, turn: Turn, conversation_id: str) -> None:
    message = turn.message
    text = message.text.strip() or ", ".join(a.kind.value for a in message.attachments)
    if not text:
        return
    async with db.session() as s:
        threads = (
            await s.execute(
                select(SlackThread, ChannelConnection)
                .join(ChannelConnection, ChannelConnection.id == SlackThread.connection_id)
                .where(SlackThread.conversation_id == conversation_id, SlackThread.taken_over_by.is_not(None))
            )
        ).all()
        for thread, connection in threads:
            name = turn.contact.display_name if turn.contact and turn.contact.display_name else "Customer"
            await add_job(
                s,
                connection=connection,
                conversation_id=conversation_id,
                kind=NOTICE,
                payload={"text": f"💬 *{mrkdwn.escape(name)}:* {mrkdwn.clip(text, 2900)}"},
                key=f"said:{thread.connection_id}:{turn.inbox_id}",
            )
    if threads:
        jobs.wake.set()
