"""/inbox: what the pipeline could not handle. A turn that failed after every retry is kept, not
lost; staff see it here (the customer's words included) and can put it back in the queue."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from admin.common import Page, Paging, RowId, paging
from core.web import Db
from staff import queries
from staff.api.deps import CurrentActor, Staff, answering
from staff.api.schemas import InboxItemPublic, InboxState

router = APIRouter(prefix="/inbox", tags=["inbox"])


@router.get("", response_model=Page[InboxItemPublic], summary="Inbound messages by state (failed by default)")
async def list_items(
    actor: CurrentActor, db: Db, state: InboxState = "failed", page: Paging = Depends(paging)
) -> Page[InboxItemPublic]:
    async with db.reader() as s:
        rows, total = await queries.inbox_items(
            s, workspace_id=actor.workspace_id, state=state, limit=page.limit, offset=page.offset
        )
    items = [InboxItemPublic.of(r) for r in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.post("/{inbox_id}/retry", status_code=202, summary="Put a failed turn back in the queue")
async def retry(inbox_id: RowId, actor: CurrentActor, staff: Staff) -> dict[str, bool]:
    with answering():
        await staff.retry_turn(actor, inbox_id)
    return {"queued": True}
