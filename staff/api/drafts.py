"""/drafts: the approval queue. Approve (optionally edited), reject or take over, exactly as the
CLI and Slack do, through the staff service."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from admin.common import Page, Paging, not_found, paging
from core.web import Db
from staff import queries
from staff.api.deps import CurrentActor, Staff, answering
from staff.api.schemas import DraftApprove, DraftPublic, DraftReject, DraftState

router = APIRouter(prefix="/drafts", tags=["drafts"])


@router.get("", response_model=Page[DraftPublic], summary="Drafts in one state (pending by default), newest first")
async def list_drafts(
    actor: CurrentActor,
    db: Db,
    state: DraftState = "pending",
    conversation_id: str | None = Query(None, max_length=64),
    page: Paging = Depends(paging),
) -> Page[DraftPublic]:
    async with db.reader() as s:
        rows, total = await queries.drafts(
            s,
            workspace_id=actor.workspace_id,
            state=state,
            conversation_id=conversation_id,
            limit=page.limit,
            offset=page.offset,
        )
    return Page(items=[DraftPublic.model_validate(d) for d in rows], total=total, limit=page.limit, offset=page.offset)


@router.get("/{draft_id}", response_model=DraftPublic)
async def get(draft_id: str, actor: CurrentActor, db: Db) -> DraftPublic:
    async with db.reader() as s:
        draft = await queries.draft(s, workspace_id=actor.workspace_id, draft_id=draft_id)
    if draft is None:
        raise not_found("draft")
    return DraftPublic.model_validate(draft)


@router.post(
    "/{draft_id}/approve",
    response_model=DraftPublic,
    summary="Send the draft (or your edit of it); approving twice sends once",
)
async def approve(draft_id: str, actor: CurrentActor, staff: Staff, body: DraftApprove | None = None) -> DraftPublic:
    with answering():
        draft = await staff.approve(
            actor, draft_id, text=body.text if body else None, save_answer=body.save_answer if body else False
        )
    return DraftPublic.model_validate(draft)


@router.post("/{draft_id}/reject", response_model=DraftPublic, summary="Send nothing")
async def reject(draft_id: str, actor: CurrentActor, staff: Staff, body: DraftReject | None = None) -> DraftPublic:
    with answering():
        draft = await staff.reject(actor, draft_id, reason=body.reason if body else None)
    return DraftPublic.model_validate(draft)


@router.post(
    "/{draft_id}/takeover",
    response_model=DraftPublic,
    summary="Answer yourself: the bot pauses in this conversation",
)
async def takeover(draft_id: str, actor: CurrentActor, staff: Staff) -> DraftPublic:
    with answering():
        draft = await staff.take_over(actor, draft_id)
    return DraftPublic.model_validate(draft)
