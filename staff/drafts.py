"""What a staff decision does to a draft and its conversation, inside the caller's unit of work:
approve (optionally edited), reject, take over, and a staff reply through the outbox.

staff.service.StaffActions opens the transaction, writes the audit entry in it, and fires the
consequences after it commits. Every lookup is scoped to one workspace: an id from another
workspace is simply not found.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.messages import Citation, OutboundMessage, utcnow
from core.models import Conversation, Draft
from core.outbox import enqueue
from core.pipeline.decide import draft_key
from staff.errors import Conflict, NotFound


async def locked(s: AsyncSession, workspace_id: str, draft_id: str) -> tuple[Draft, Conversation]:
    """The draft and its conversation, locked for this transaction."""
    draft = (
        await s.execute(select(Draft).where(Draft.id == draft_id, Draft.workspace_id == workspace_id).with_for_update())
    ).scalar_one_or_none()
    if draft is None:
        raise NotFound("draft")
    conversation = await s.get(Conversation, draft.conversation_id, with_for_update=True)
    if conversation is None:
        raise NotFound("draft")
    return draft, conversation


async def conversation(s: AsyncSession, workspace_id: str, conversation_id: str, *, lock: bool = True) -> Conversation:
    """The conversation, locked for this transaction unless `lock` is False."""
    query = select(Conversation).where(Conversation.id == conversation_id, Conversation.workspace_id == workspace_id)
    found = (await s.execute(query.with_for_update() if lock else query)).scalar_one_or_none()
    if found is None:
        raise NotFound("conversation")
    return found


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


async def approve(
    s: AsyncSession, draft: Draft, conversation: Conversation, *, user_id: str | None, text: str | None
) -> None:
    """Send the pending draft, or the staff's edited text, to the customer."""
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


def reject(draft: Draft, *, user_id: str | None) -> None:
    if draft.state != "pending":
        raise Conflict(f"draft is {draft.state}")
    draft.state, draft.reviewed_by, draft.reviewed_at = "rejected", user_id, utcnow()


def take_over(draft: Draft, conversation: Conversation, *, user_id: str | None) -> None:
    """Staff answer this conversation themselves: the bot stays quiet until handed back."""
    if draft.state not in ("pending", "taken_over"):
        raise Conflict(f"draft is {draft.state}")
    draft.state, draft.reviewed_by, draft.reviewed_at = "taken_over", user_id, utcnow()
    conversation.bot_paused, conversation.status = True, "open"
    if user_id is not None:  # a workspace token has no user: keep whoever is assigned
        conversation.assigned_user_id = user_id


def set_paused(conversation: Conversation, *, paused: bool, user_id: str | None) -> None:
    conversation.bot_paused = paused
    if paused and user_id is not None:
        conversation.assigned_user_id = user_id


async def staff_reply(
    s: AsyncSession, conversation: Conversation, *, user_id: str | None, text: str, idempotency_key: str
) -> int | None:
    """Queue the reply; None when this key was already queued for this conversation."""
    return await enqueue(
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
