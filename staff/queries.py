"""What staff read, one workspace at a time: the approval queue, conversations with their messages,
turns that failed, a conversation by the start of its id, a member by email, the audit log
(staff.audit). Reads only: changes go through staff.service. The inbox's list and counts are
staff.listing, a conversation's whole page staff.detail."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Contact, Conversation, Draft, InboxItem, Membership, Message, User

_WITH_CONTACT = select(Conversation, Contact.display_name).outerjoin(Contact, Contact.id == Conversation.contact_id)


async def conversation(
    s: AsyncSession, *, workspace_id: str, conversation_id: str
) -> tuple[Conversation, str | None] | None:
    row = (
        await s.execute(
            _WITH_CONTACT.where(Conversation.id == conversation_id, Conversation.workspace_id == workspace_id)
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def exists(s: AsyncSession, *, workspace_id: str, conversation_id: str) -> bool:
    return (
        await s.execute(
            select(Conversation.id).where(Conversation.id == conversation_id, Conversation.workspace_id == workspace_id)
        )
    ).first() is not None


async def messages(
    s: AsyncSession, *, workspace_id: str, conversation_id: str, limit: int, offset: int
) -> tuple[Sequence[Message], int]:
    where = (Message.conversation_id == conversation_id, Message.workspace_id == workspace_id)
    total = (await s.execute(select(func.count()).select_from(Message).where(*where))).scalar_one()
    rows = (
        (
            await s.execute(
                select(Message).where(*where).order_by(Message.created_at, Message.id).limit(limit).offset(offset)
            )
        )
        .scalars()
        .all()
    )
    return rows, total


async def drafts(
    s: AsyncSession, *, workspace_id: str, state: str, conversation_id: str | None, limit: int, offset: int
) -> tuple[Sequence[Draft], int]:
    """Drafts in one state, newest first, and how many there are."""
    where = [Draft.workspace_id == workspace_id, Draft.state == state]
    if conversation_id is not None:
        where.append(Draft.conversation_id == conversation_id)
    total = (await s.execute(select(func.count()).select_from(Draft).where(*where))).scalar_one()
    rows = (
        (
            await s.execute(
                select(Draft).where(*where).order_by(Draft.created_at.desc(), Draft.id).limit(limit).offset(offset)
            )
        )
        .scalars()
        .all()
    )
    return rows, total


async def draft(s: AsyncSession, *, workspace_id: str, draft_id: str) -> Draft | None:
    return (
        await s.execute(select(Draft).where(Draft.id == draft_id, Draft.workspace_id == workspace_id))
    ).scalar_one_or_none()


async def latest_pending(s: AsyncSession, *, workspace_id: str) -> Draft | None:
    """The newest draft waiting for staff."""
    return (
        await s.execute(
            select(Draft)
            .where(Draft.workspace_id == workspace_id, Draft.state == "pending")
            .order_by(Draft.created_at.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


async def drafts_with_questions(
    s: AsyncSession, *, workspace_id: str, pending_only: bool, limit: int = 50
) -> list[tuple[Draft, str | None]]:
    """Drafts, newest first, each with the customer's message it answers (what `draft list` shows)."""
    query = (
        select(Draft, Message.text)
        .join(Message, Message.inbox_id == Draft.inbox_id, isouter=True)
        .where(Draft.workspace_id == workspace_id)
        .order_by(Draft.created_at.desc())
        .limit(limit)
    )
    if pending_only:
        query = query.where(Draft.state == "pending")
    return [(d, q) for d, q in (await s.execute(query)).all()]


async def inbox_items(
    s: AsyncSession, *, workspace_id: str, state: str, limit: int, offset: int
) -> tuple[list[InboxItem], int]:
    """Inbound turns in one state, newest first (failed ones: what staff may retry)."""
    where = [InboxItem.workspace_id == workspace_id, InboxItem.state == state]
    total = (await s.execute(select(func.count()).select_from(InboxItem).where(*where))).scalar_one()
    rows = await s.execute(select(InboxItem).where(*where).order_by(InboxItem.id.desc()).limit(limit).offset(offset))
    return list(rows.scalars()), total


async def failed_turns(s: AsyncSession, *, workspace_id: str, conversation_id: str) -> dict[str, InboxItem]:
    """The conversation's turns that failed for good, by the id of the customer's message each was
    for (its `inbox_id`): what the conversation's page offers to retry."""
    rows = await s.execute(
        select(Message.id, InboxItem)
        .join(InboxItem, InboxItem.id == Message.inbox_id)
        .where(
            Message.conversation_id == conversation_id,
            Message.workspace_id == workspace_id,
            InboxItem.workspace_id == workspace_id,
            InboxItem.state == "failed",
        )
    )
    return {message_id: item for message_id, item in rows.tuples()}


MIN_PREFIX = 6  # how much of a conversation id staff type (Slack's cards show 8 characters)


async def conversations_by_prefix(s: AsyncSession, *, workspace_id: str, prefix: str) -> list[Conversation]:
    """The workspace's conversations whose id starts with `prefix`: at most two, enough to tell a
    unique match from several (the faces ask for more of the id then). Shorter prefixes find none."""
    prefix = prefix.strip().lower()
    if len(prefix) < MIN_PREFIX:
        return []
    rows = await s.execute(
        select(Conversation)
        .where(Conversation.workspace_id == workspace_id, Conversation.id.startswith(prefix, autoescape=True))
        .order_by(Conversation.id)
        .limit(2)
    )
    return list(rows.scalars())


async def member_by_email(s: AsyncSession, *, workspace_id: str, email: str) -> str | None:
    """The user id of the workspace member with this email (any case), or None."""
    row = await s.execute(
        select(User.id)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.workspace_id == workspace_id, func.lower(User.email) == email.strip().lower())
    )
    return row.scalars().first()
