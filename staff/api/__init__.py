"""The staff API under /api/v1: the approval queue (/drafts), the shared inbox (/conversations),
failed turns (/inbox), context edits, the audit log (/audit) and the live feed (/events). Every
route is a thin caller of staff.service.StaffActions (`runtime.staff`) or, for reads, of
staff.queries, staff.listing, staff.detail and staff.live."""

from __future__ import annotations

from fastapi import APIRouter

from staff.api import audit, context, conversations, drafts, events, inbox

router = APIRouter()
for _module in (conversations, drafts, inbox, context, audit, events):
    router.include_router(_module.router)
