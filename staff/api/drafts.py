"""/drafts: the approval queue. Approve (optionally edited), reject or take over, exactly as the
CLI and Slack do, through core.drafts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, Depends, Query
from sqlalchemy import func, select

from admin.common import Page, Paging, conflict, not_found, paging
from admin.deps import Caller, CallerDependency
from admin.drafts.schemas import DraftApprove, DraftPublic, DraftState
from core import drafts
from core.models import Draft
from kb import memory

if TYPE_CHECKING:
    from bot.runtime import Runtime


def build_router(runtime: Runtime, current_caller: CallerDependency) -> APIRouter:
    db, wakeup = runtime.db, runtime.wakeup
    router = APIRouter(prefix="/drafts", tags=["drafts"])

    @router.get("", response_model=Page[DraftPublic], summary="Drafts in one state (pending by default), newest first")
    async def list_drafts(
        state: DraftState = "pending",
        conversation_id: str | None = Query(None, max_length=64),
        page: Paging = Depends(paging),
        caller: Caller = Depends(current_caller),
    ) -> Page[DraftPublic]:
        where = [Draft.workspace_id == caller.workspace_id, Draft.state == state]
        if conversation_id is not None:
            where.append(Draft.conversation_id == conversation_id)
        async with db.reader() as s:
            total = (await s.execute(select(func.count()).select_from(Draft).where(*where))).scalar_one()
            rows = (
                (
                    await s.execute(
                        select(Draft)
                        .where(*where)
                        .order_by(Draft.created_at.desc(), Draft.id)
                        .limit(page.limit)
                        .offset(page.offset)
                    )
                )
                .scalars()
                .all()
            )
        return Page(
            items=[DraftPublic.model_validate(d) for d in rows], total=total, limit=page.limit, offset=page.offset
        )

    @router.get("/{draft_id}", response_model=DraftPublic)
    async def get(draft_id: str, caller: Caller = Depends(current_caller)) -> DraftPublic:
        async with db.reader() as s:
            draft = (
                await s.execute(select(Draft).where(Draft.id == draft_id, Draft.workspace_id == caller.workspace_id))
            ).scalar_one_or_none()
        if draft is None:
            raise not_found("draft")
        return DraftPublic.model_validate(draft)

    @router.post(
        "/{draft_id}/approve",
        response_model=DraftPublic,
        summary="Send the draft (or your edit of it); approving twice sends once",
    )
    async def approve(
        draft_id: str, body: DraftApprove | None = None, caller: Caller = Depends(current_caller)
    ) -> DraftPublic:
        try:
            draft = await drafts.approve(
                db,
                wakeup,
                workspace_id=caller.workspace_id,
                draft_id=draft_id,
                user_id=caller.user_id,
                text=body.text if body else None,
            )
        except drafts.NotFound as exc:
            raise not_found("draft") from exc
        except drafts.Conflict as exc:
            raise conflict(str(exc)) from exc
        if body is not None and body.save_answer and draft.final_text:
            question = await memory.last_question(db, conversation_id=draft.conversation_id, inbox_id=draft.inbox_id)
            if question:
                await memory.save_answer(
                    db,
                    workspace_id=caller.workspace_id,
                    question=question,
                    answer=draft.final_text,
                    embedders=runtime.embedders,
                )
        return DraftPublic.model_validate(draft)

    @router.post("/{draft_id}/reject", response_model=DraftPublic, summary="Send nothing")
    async def reject(draft_id: str, caller: Caller = Depends(current_caller)) -> DraftPublic:
        try:
            draft = await drafts.reject(db, workspace_id=caller.workspace_id, draft_id=draft_id, user_id=caller.user_id)
        except drafts.NotFound as exc:
            raise not_found("draft") from exc
        except drafts.Conflict as exc:
            raise conflict(str(exc)) from exc
        await runtime.rules.events.fire_safely(
            "draft_rejected",
            workspace_id=caller.workspace_id,
            conversation_id=draft.conversation_id,
            previous={},
            key=f"rejected:{draft.id}",
        )
        return DraftPublic.model_validate(draft)

    @router.post(
        "/{draft_id}/takeover",
        response_model=DraftPublic,
        summary="Answer yourself: the bot pauses in this conversation",
    )
    async def takeover(draft_id: str, caller: Caller = Depends(current_caller)) -> DraftPublic:
        try:
            draft = await drafts.take_over(
                db, workspace_id=caller.workspace_id, draft_id=draft_id, user_id=caller.user_id
            )
        except drafts.NotFound as exc:
            raise not_found("draft") from exc
        except drafts.Conflict as exc:
            raise conflict(str(exc)) from exc
        return DraftPublic.model_validate(draft)

    return router
