"""/conversations: the shared inbox. Staff read, triage, pause the bot and reply."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from fastapi import APIRouter, Depends, Query

from admin.common import Page, Paging, not_found, paging, unprocessable
from admin.conversations import service
from admin.conversations.schemas import (
    ConversationPublic,
    ConversationStatus,
    ConversationUpdate,
    MessagePublic,
    ReplyCreate,
    ReplyPublic,
)
from admin.deps import Caller, CallerDependency
from core import drafts
from kb import memory

if TYPE_CHECKING:
    from bot.runtime import Runtime


def build_router(runtime: Runtime, current_caller: CallerDependency) -> APIRouter:
    db, wakeup = runtime.db, runtime.wakeup
    router = APIRouter(prefix="/conversations", tags=["conversations"])

    @router.get("", response_model=Page[ConversationPublic], summary="Newest activity first")
    async def list_conversations(
        status: ConversationStatus | None = None,
        channel: str | None = Query(None, max_length=16),
        page: Paging = Depends(paging),
        caller: Caller = Depends(current_caller),
    ) -> Page[ConversationPublic]:
        async with db.reader() as s:
            items, total = await service.page(
                s, workspace_id=caller.workspace_id, paging=page, status=status, channel=channel
            )
        return Page(items=items, total=total, limit=page.limit, offset=page.offset)

    @router.get("/{conversation_id}", response_model=ConversationPublic)
    async def get(conversation_id: str, caller: Caller = Depends(current_caller)) -> ConversationPublic:
        async with db.reader() as s:
            found = await service.get(s, workspace_id=caller.workspace_id, conversation_id=conversation_id)
        if found is None:
            raise not_found("conversation")
        return found

    @router.get(
        "/{conversation_id}/messages",
        response_model=Page[MessagePublic],
        summary="Oldest first, outbound ones with their delivery status",
    )
    async def list_messages(
        conversation_id: str, page: Paging = Depends(paging), caller: Caller = Depends(current_caller)
    ) -> Page[MessagePublic]:
        async with db.reader() as s:
            if not await service.exists(s, workspace_id=caller.workspace_id, conversation_id=conversation_id):
                raise not_found("conversation")
            rows, total = await service.messages(
                s, workspace_id=caller.workspace_id, conversation_id=conversation_id, paging=page
            )
        items = [MessagePublic.model_validate(m) for m in rows]
        return Page(items=items, total=total, limit=page.limit, offset=page.offset)

    @router.patch("/{conversation_id}", response_model=ConversationPublic)
    async def patch(
        conversation_id: str, body: ConversationUpdate, caller: Caller = Depends(current_caller)
    ) -> ConversationPublic:
        changes = body.changes()
        paused = changes.pop("bot_paused", None)
        # Everything is checked before anything changes, so a refused request changes nothing.
        async with db.reader() as s:
            before = await service.get(s, workspace_id=caller.workspace_id, conversation_id=conversation_id)
            if before is None:
                raise not_found("conversation")
            try:
                await service.check_member(s, workspace_id=caller.workspace_id, user_id=changes.get("assigned_user_id"))
            except service.NotAMember as exc:
                raise unprocessable(str(exc)) from exc
        try:
            if paused is not None:
                # Pausing through core keeps it identical to a takeover from the CLI or Slack.
                await drafts.set_paused(
                    db,
                    workspace_id=caller.workspace_id,
                    conversation_id=conversation_id,
                    paused=paused,
                    user_id=caller.user_id,
                )
        except drafts.NotFound as exc:
            raise not_found("conversation") from exc
        async with db.session() as s:
            if changes and not await service.apply(
                s, workspace_id=caller.workspace_id, conversation_id=conversation_id, changes=changes
            ):
                raise not_found("conversation")
            found = await service.get(s, workspace_id=caller.workspace_id, conversation_id=conversation_id)
        if found is None:
            raise not_found("conversation")
        if found.status != before.status:  # the owner's status_changed rules (rules/)
            await runtime.rules.events.fire_safely(
                "status_changed",
                workspace_id=caller.workspace_id,
                conversation_id=conversation_id,
                previous={"conversation.status": before.status},
                key=f"staff:{uuid.uuid4()}",
            )
        return found

    @router.post(
        "/{conversation_id}/messages",
        status_code=202,
        response_model=ReplyPublic,
        summary="Reply as staff; the outbox sends it",
    )
    async def reply(conversation_id: str, body: ReplyCreate, caller: Caller = Depends(current_caller)) -> ReplyPublic:
        text = body.text.strip()
        if not text:
            raise unprocessable("text is empty")
        key = body.idempotency_key or str(uuid.uuid4())  # core scopes it to the conversation
        try:
            outbox_id = await drafts.staff_reply(
                db,
                wakeup,
                workspace_id=caller.workspace_id,
                conversation_id=conversation_id,
                user_id=caller.user_id,
                text=text,
                idempotency_key=key,
            )
        except drafts.NotFound as exc:
            raise not_found("conversation") from exc
        if body.save_answer:
            question = await memory.last_question(db, conversation_id=conversation_id)
            if question:
                await memory.save_answer(
                    db, workspace_id=caller.workspace_id, question=question, answer=text, embedders=runtime.embedders
                )
        return ReplyPublic(queued=outbox_id is not None, outbox_id=outbox_id)

    return router
