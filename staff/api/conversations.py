"""/conversations: the shared inbox. Staff read, triage, pause the bot and reply."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Query

from admin.common import Page, Paging, not_found, paging
from core.db import Database
from core.web import Db
from staff import queries
from staff.api.deps import CurrentActor, Staff, answering
from staff.api.schemas import (
    ConversationPublic,
    ConversationStatus,
    ConversationUpdate,
    MessagePublic,
    ReplyCreate,
    ReplyPublic,
)

router = APIRouter(prefix="/conversations", tags=["conversations"])


async def _public(db: Database, workspace_id: str, conversation_id: str) -> ConversationPublic:
    async with db.reader() as s:
        found = await queries.conversation(s, workspace_id=workspace_id, conversation_id=conversation_id)
    if found is None:
        raise not_found("conversation")
    return ConversationPublic.of(*found)


@router.get("", response_model=Page[ConversationPublic], summary="Newest activity first")
async def list_conversations(
    actor: CurrentActor,
    db: Db,
    status: ConversationStatus | None = None,
    channel: str | None = Query(None, max_length=16),
    page: Paging = Depends(paging),
) -> Page[ConversationPublic]:
    async with db.reader() as s:
        rows, total = await queries.conversations(
            s, workspace_id=actor.workspace_id, limit=page.limit, offset=page.offset, status=status, channel=channel
        )
    items = [ConversationPublic.of(c, name) for c, name in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/{conversation_id}", response_model=ConversationPublic)
async def get(conversation_id: str, actor: CurrentActor, db: Db) -> ConversationPublic:
    return await _public(db, actor.workspace_id, conversation_id)


@router.get(
    "/{conversation_id}/messages",
    response_model=Page[MessagePublic],
    summary="Oldest first, outbound ones with their delivery status",
)
async def list_messages(
    conversation_id: str, actor: CurrentActor, db: Db, page: Paging = Depends(paging)
) -> Page[MessagePublic]:
    async with db.reader() as s:
        if not await queries.exists(s, workspace_id=actor.workspace_id, conversation_id=conversation_id):
            raise not_found("conversation")
        rows, total = await queries.messages(
            s, workspace_id=actor.workspace_id, conversation_id=conversation_id, limit=page.limit, offset=page.offset
        )
    items = [MessagePublic.model_validate(m) for m in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.patch("/{conversation_id}", response_model=ConversationPublic)
async def patch(
    conversation_id: str, body: ConversationUpdate, actor: CurrentActor, staff: Staff, db: Db
) -> ConversationPublic:
    # The service checks everything before anything changes, so a refused request changes nothing.
    with answering():
        await staff.change_conversation(actor, conversation_id, body.changes())  # type: ignore[arg-type]
    return await _public(db, actor.workspace_id, conversation_id)


@router.post(
    "/{conversation_id}/messages",
    status_code=202,
    response_model=ReplyPublic,
    summary="Reply as staff; the outbox sends it",
)
async def reply(conversation_id: str, body: ReplyCreate, actor: CurrentActor, staff: Staff) -> ReplyPublic:
    key = body.idempotency_key or str(uuid.uuid4())  # the service scopes it to the conversation
    with answering():
        outbox_id = await staff.reply(
            actor, conversation_id, body.text, idempotency_key=key, save_answer=body.save_answer
        )
    return ReplyPublic(queued=outbox_id is not None, outbox_id=outbox_id)
