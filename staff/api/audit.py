"""/audit: who did what, through which face, with the state before and after. Owners only."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from admin.common import Page, Paging, paging
from admin.deps import CurrentCaller, require_admin
from core.web import Db
from staff import audit
from staff.api.schemas import AuditEntryPublic

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get(
    "",
    response_model=Page[AuditEntryPublic],
    summary="The workspace's staff actions, newest first (owners and admins)",
)
async def list_entries(
    caller: CurrentCaller,
    db: Db,
    user_id: str | None = Query(None, max_length=64, description="Only what this user did."),
    object_type: str | None = Query(None, max_length=32, description="draft, conversation or inbox."),
    object_id: str | None = Query(None, max_length=64, description="Only what was done to this one."),
    action: str | None = Query(None, max_length=64, description='e.g. "draft.reject", "conversation.status".'),
    page: Paging = Depends(paging),
) -> Page[AuditEntryPublic]:
    require_admin(caller)
    where = audit.AuditFilter(user_id=user_id, object_type=object_type, object_id=object_id, action=action)
    async with db.reader() as s:
        rows, total = await audit.entries(
            s, workspace_id=caller.workspace_id, where=where, limit=page.limit, offset=page.offset
        )
    items = [AuditEntryPublic.model_validate(r) for r in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)
