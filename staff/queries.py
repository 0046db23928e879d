"""Conversations of one workspace: listing, detail, messages and staff's changes to them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from admin.common import Paging
from admin.conversations.schemas import ConversationPublic
from core.models import Contact, Conversation, Membership, Message


class NotAMember(LookupError):
    pass


_WITH_CONTACT = select(Conversation, Contact.display_name).outerjoin(Contact, Contact.id == Conversation.contact_id)


def public(conversation: Conversation, contact_name: str | None) -> ConversationPublic:
    return ConversationPublic(
        id=conversation.id,
        channel=conversation.channel,
        account=conversation.account,
        contact_id=conversation.contact_id,
        contact_name=contact_name,
        assistant_id=conversation.assistant_id,
        status=conversation.status,
        priority=conversation.priority,
        tags=list(conversation.tags or []),
        assigned_user_id=conversation.assigned_user_id,
        bot_paused=conversation.bot_paused,
        last_message_at=conversation.last_message_at,
        created_at=conversation.created_at,
    )


async def page(
    s: AsyncSession, *, workspace_id: str, paging: Paging, status: str | None, channel: str | None
) -> tuple[list[ConversationPublic], int]:
    where = [Conversation.workspace_id == workspace_id]
    if status is not None:
        where.append(Conversation.status == status)
    if channel is not None:
        where.append(Conversation.channel == channel)
    total = (await s.execute(select(func.count()).select_from(Conversation).where(*where))).scalar_one()
    rows = (
        await s.execute(
            _WITH_CONTACT.where(*where)
            .order_by(Conversation.last_message_at.desc().nulls_last(), Conversation.created_at.desc(), Conversation.id)
            .limit(paging.limit)
            .offset(paging.offset)
        )
    ).all()
    return [public(c, name) for c, name in rows], total


async def get(s: AsyncSession, *, workspace_id: str, conversation_id: str) -> ConversationPublic | None:
    row = (
        await s.execute(
            _WITH_CONTACT.where(Conversation.id == conversation_id, Conversation.workspace_id == workspace_id)
        )
    ).first()
    return None if row is None else public(row[0], row[1])


async def exists(s: AsyncSession, *, workspace_id: str, conversation_id: str) -> bool:
    return (
        await s.execute(
            select(Conversation.id).where(Conversation.id == conversation_id, Conversation.workspace_id == workspace_id)
        )
    ).first() is not None


async def messages(
    s: AsyncSession, *, workspace_id: str, conversation_id: str, paging: Paging
) -> tuple[Sequence[Message], int]:
    where = (Message.conversation_id == conversation_id, Message.workspace_id == workspace_id)
    total = (await s.execute(select(func.count()).select_from(Message).where(*where))).scalar_one()
    rows = (
        (
            await s.execute(
                select(Message)
                .where(*where)
                .order_by(Message.created_at, Message.id)
                .limit(paging.limit)
                .offset(paging.offset)
            )
        )
        .scalars()
        .all()
    )
    return rows, total


async def check_member(s: AsyncSession, *, workspace_id: str, user_id: str | None) -> None:
    if user_id is None:
        return
    found = (
        await s.execute(
            select(Membership.id).where(Membership.workspace_id == workspace_id, Membership.user_id == user_id)
        )
    ).first()
    if found is None:
        raise NotAMember("assigned_user_id is not a member of this workspace")


async def apply(s: AsyncSession, *, workspace_id: str, conversation_id: str, changes: dict[str, Any]) -> bool:
    conversation = (
        await s.execute(
            select(Conversation)
            .where(Conversation.id == conversation_id, Conversation.workspace_id == workspace_id)
            .with_for_update()
        )
    ).scalar_one_or_none()
    if conversation is None:
        return False
    for field, value in changes.items():
        setattr(conversation, field, value)
    return True
