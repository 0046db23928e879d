"""/conversations: the shared inbox. Staff read, triage, pause the bot and reply."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from admin.common import Page, Paging, not_found, paging
from core.db import Database
from core.media.storage import Storage
from core.web import Db, part
from staff import detail, listing, queries
from staff.api.deps import CurrentActor, Staff, answering
from staff.api.schemas import (
    ConversationPublic,
    ConversationsPage,
    ConversationStatus,
    ConversationSummary,
    ConversationUpdate,
    InboxView,
    MessagePublic,
    Priority,
    ReplyCreate,
    ReplyPublic,
    ViewCounts,
)

router = APIRouter(prefix="/conversations", tags=["conversations"])
MEDIA_LINK_SECONDS = 3600  # how long a link to a customer's file in the detail stays good


async def _public(db: Database, workspace_id: str, conversation_id: str) -> ConversationPublic:
    async with db.reader() as s:
        found = await queries.conversation(s, workspace_id=workspace_id, conversation_id=conversation_id)
    if found is None:
        raise not_found("conversation")
    return ConversationPublic.of(*found)


def inbox_filters(
    status: ConversationStatus | None = None,
    channel: str | None = Query(None, max_length=16),
    priority: Priority | None = None,
    tag: str | None = Query(None, min_length=1, max_length=50),
    assignee: str | None = Query(None, min_length=1, max_length=64, description="A user id."),
    intent: str | None = Query(None, min_length=1, max_length=64),
    q: str | None = Query(
        None, max_length=200, description="Words in the contact's name, phone or email, or in any message."
    ),
) -> listing.Filters:
    search = " ".join((q or "").split()) or None
    return listing.Filters(
        channel=channel, status=status, priority=priority, tag=tag, assignee=assignee, intent=intent, search=search
    )


Filters = Annotated[listing.Filters, Depends(inbox_filters)]


@router.get("", response_model=ConversationsPage, summary="A view of the inbox, newest activity first")
async def list_conversations(
    actor: CurrentActor,
    db: Db,
    filters: Filters,
    view: InboxView = Query("all", description="waiting (for staff), mine, unassigned or all."),
    page: Paging = Depends(paging),
) -> ConversationsPage:
    async with db.reader() as s:
        listed = await listing.conversations(
            s,
            workspace_id=actor.workspace_id,
            user_id=actor.user_id,
            view=view,
            filters=filters,
            limit=page.limit,
            offset=page.offset,
        )
    items = [ConversationSummary.of_row(r) for r in listed.rows]
    return ConversationsPage(
        items=items, total=listed.total, total_capped=listed.more, limit=page.limit, offset=page.offset
    )


@router.get("/counts", response_model=ViewCounts, summary="How many conversations each view holds")
async def view_counts(actor: CurrentActor, db: Db, filters: Filters) -> ViewCounts:
    async with db.reader() as s:
        found = await listing.counts(s, workspace_id=actor.workspace_id, user_id=actor.user_id, filters=filters)
    return ViewCounts(**found)


@router.get("/{conversation_id}", response_model=ConversationPublic)
async def get(conversation_id: str, actor: CurrentActor, db: Db) -> ConversationPublic:
    return await _public(db, actor.workspace_id, conversation_id)


@router.get(
    "/{conversation_id}/detail",
    response_model=detail.ConversationDetail,
    summary="The conversation's page: messages with media, the waiting draft, context, reading, history",
)
async def get_detail(
    conversation_id: str, actor: CurrentActor, db: Db, storage: Annotated[Storage, Depends(part("storage"))]
) -> detail.ConversationDetail:
    def sign(key: str) -> str:
        return storage.signed_url(key, expires_in=MEDIA_LINK_SECONDS)

    async with db.reader() as s:
        found = await detail.conversation_detail(
            s, workspace_id=actor.workspace_id, conversation_id=conversation_id, sign=sign
        )
    if found is None:
        raise not_found("conversation")
    return found


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
