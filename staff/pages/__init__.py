"""The staff's web pages on the admin shell (admin/web): the inbox's list, a conversation with its
actions, and the live feed the open page listens to. Templates in staff/templates/."""

from __future__ import annotations

from fastapi import APIRouter

from staff.pages import actions, audit, conversation, inbox, live

router = APIRouter()
# live first: /inbox/events is not a conversation's address
for _module in (live, inbox, conversation, actions, audit):
    router.include_router(_module.router)
