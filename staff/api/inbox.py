"""/inbox: what the pipeline could not handle. A turn that failed after every retry is kept, not
lost; staff see it here (the customer's words included) and can put it back in the queue."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy import func, select

from admin.common import Page, Paging, RowId, not_found, paging
from admin.deps import Caller, CallerDependency
from core.inbox import retry_failed
from core.models import InboxItem

if TYPE_CHECKING:
    from bot.runtime import Runtime


class InboxItemPublic(BaseModel):
    id: int
    channel: str
    state: str
    attempts: int
    last_error: str | None
    text: str
    sender: str | None
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, row: InboxItem) -> InboxItemPublic:
        sender = row.message.get("sender") or {}
        return cls(
            id=row.id,
            channel=row.channel,
            state=row.state,
            attempts=row.attempts,
            last_error=row.last_error,
            text=str(row.message.get("text") or ""),
            sender=sender.get("display_name") or sender.get("id"),
            created_at=row.created_at,
            finished_at=row.finished_at,
        )


def build_router(runtime: Runtime, current_caller: CallerDependency) -> APIRouter:
    db, wakeup = runtime.db, runtime.wakeup
    router = APIRouter(prefix="/inbox", tags=["inbox"])

    @router.get("", response_model=Page[InboxItemPublic], summary="Inbound messages by state (failed by default)")
    async def list_items(
        state: Literal["failed", "pending", "processing", "done"] = "failed",
        page: Paging = Depends(paging),
        caller: Caller = Depends(current_caller),
    ) -> Page[InboxItemPublic]:
        where = [InboxItem.workspace_id == caller.workspace_id, InboxItem.state == state]
        async with db.reader() as s:
            total = (await s.execute(select(func.count()).select_from(InboxItem).where(*where))).scalar_one()
            rows = await s.execute(
                select(InboxItem).where(*where).order_by(InboxItem.id.desc()).limit(page.limit).offset(page.offset)
            )
            items = [InboxItemPublic.of(r) for r in rows.scalars()]
        return Page(items=items, total=total, limit=page.limit, offset=page.offset)

    @router.post("/{inbox_id}/retry", status_code=202, summary="Put a failed turn back in the queue")
    async def retry(inbox_id: RowId, caller: Caller = Depends(current_caller)) -> dict[str, bool]:
        if not await retry_failed(db, wakeup, workspace_id=caller.workspace_id, inbox_id=inbox_id):
            raise not_found("failed inbox item")
        return {"queued": True}

    return router
