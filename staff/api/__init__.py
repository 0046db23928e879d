"""The staff API under /api/v1: the approval queue (/drafts), the shared inbox (/conversations),
failed turns (/inbox), context edits, and the audit log (/audit). Every route is a thin caller of
staff.service.StaffActions (`runtime.staff`) or, for lists, of staff.queries."""

from __future__ import annotations

from fastapi import APIRouter

from staff.api import audit, context, conversations, drafts, inbox

router = APIRouter()
for _module in (conversations, drafts, inbox, context, audit):
    router.include_router(_module.router)
