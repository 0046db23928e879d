"""What staff do with a conversation: approve (optionally edited), reject, take over, reply, release.

Used by the admin API, the CLI and (later) Slack, so each acts the same wherever it is clicked.
Every function is scoped to one workspace: an id from another workspace is simply not found.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import Database
from core.messages import Citation, OutboundMessage, utcnow
from core.models import Conversation, Draft
from core.outbox import enqueue
from core.pipeline.decide import draft_key
from core.wakeup import Wakeup


class NotFound(LookupError):
    pass


class Conflict(ValueError):
    pass


async def _draft(s: AsyncSession, workspace_id: str, draft_id: str) -> tuple[Draft, Conversation]:
    draft = (
        await s.execute(select(Draft).where(Draft.id == draft_id, Draft.workspace_id == workspace_id).with_for_update())
    ).scalar_one_or_none()
    if draft is None:
        raise NotFound("draft not found")
    conversation = await s.get(Conversation, draft.conversation_id, with_for_update=True)
    if conversation is None:
        raise NotFound("draft not found")
    return draft, conversation


async def _settle_status(s: AsyncSession, conversation: Conversation) -> None:
    pending = (
        await s.execute(
            select(func.count())
            .select_from(Draft)
            .where(Draft.conversation_id == conversation.id, Draft.state == "pending")
        )
    ).scalar_one()
    if not pending:
        conversation.status = "open"


async def latest_pending(db: Database, *, workspace_id: str) -> Draft | None:
    async with db.reader() as s:
        return (
            await s.execute(
                select(Draft)
                .where(Draft.workspace_id == workspace_id, Draft.state == "pending")
                .order_by(Draft.created_at.desc())
                .limit(1)
            )
        ).scalar_one_or_none()


async def approve(
    db: Database, wakeup: Wakeup, *, workspace_id: str, draft_id: str, user_id: str | None, text: str | None = None
) -> Draft:
    """Send the draft, or the staff's edited text, to the customer."""
    async with db.session() as s:
        draft, conversation = await _draft(s, workspace_id, draft_id)
        if draft.state in ("approved", "edited"):
            return draft  # a double click sends once
        if draft.state != "pending":
            raise Conflict(f"draft is {draft.state}")
        draft_text = draft.text
        final = (text or "").strip() or draft_text.strip()
        if not final:
            raise Conflict("this draft has no text: approve it with the answer to send")
        edited = final != draft_text.strip()
        citations = () if edited else tuple(Citation.model_validate(c) for c in draft.citations)
        await enqueue(
            s,
            conversation=conversation,
            author="staff" if edited else "assistant",
            author_user_id=user_id,
            message=OutboundMessage(
                conversation_id=conversation.id, text=final, citations=citations, idempotency_key=draft_key(draft.id)
            ),
        )
        draft.state = "edited" if edited else "approved"
        draft.final_text, draft.reviewed_by, draft.reviewed_at = final, user_id, utcnow()
        await s.flush()
        await _settle_status(s, conversation)
    wakeup.set("outbox")
    return draft


async def reject(db: Database, *, workspace_id: str, draft_id: str, user_id: str | None) -> Draft:
    async with db.session() as s:
        draft, _conversation = await _draft(s, workspace_id, draft_id)
        if draft.state == "rejected":
            return draft
        if draft.state != "pending":
            raise Conflict(f"draft is {draft.state}")
        draft.state, draft.reviewed_by, draft.reviewed_at = "rejected", user_id, utcnow()
    return draft


async def take_over(db: Database, *, workspace_id: str, draft_id: str, user_id: str | None) -> Draft:
    """Staff answer this conversation themselves: the bot stays quiet until released."""
    async with db.session() as s:
        draft, conversation = await _draft(s, workspace_id, draft_id)
        if draft.state not in ("pending", "taken_over"):
            raise Conflict(f"draft is {draft.state}")
        draft.state, draft.reviewed_by, draft.reviewed_at = "taken_over", user_id, utcnow()
        conversation.bot_paused, conversation.status = True, "open"
        if user_id is not None:  # a workspace token has no user: keep whoever is assigned
            conversation.assigned_user_id = user_id
    return draft


async def staff_reply(
    db: Database,
    wakeup: Wakeup,
    *,
    workspace_id: str,
    conversation_id: str,
    user_id: str | None,
    text: str,
    idempotency_key: str,
) -> int | None:
    async with db.session() as s:
        conversation = await s.get(Conversation, conversation_id)
        if conversation is None or conversation.workspace_id != workspace_id:
            raise NotFound("conversation not found")
        outbox_id = await enqueue(
            s,
            conversation=conversation,
            author="staff",
            author_user_id=user_id,
            message=OutboundMessage(
                conversation_id=conversation.id,
                text=text.strip(),
                idempotency_key=f"staff:{conversation.id}:{idempotency_key}",
            ),
        )
    wakeup.set("outbox")
    return outbox_id


async def set_paused(
    db: Database, *, workspace_id: str, conversation_id: str, paused: bool, user_id: str | None
) -> Conversation:
    async with db.session() as s:
        conversation = await s.get(Conversation, conversation_id)
        if conversation is None or conversation.workspace_id != workspace_id:
            raise NotFound("conversation not found")
        conversation.bot_paused = paused
        if paused and user_id is not None:
            conversation.assigned_user_id = user_id
    return conversation
