"""/inbox: the shared inbox's list. The views as tabs with their counts (waiting for staff, mine,
unassigned, all), filters and search as a GET form, the latest activity first, a page at a time;
each row opens the conversation (staff/pages/conversation.py shows it beside the list).

Reads only, from staff.listing (the same read as the API's `GET /conversations`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from admin.web.pages import page_router, render
from admin.web.session import CurrentPerson, SignedIn
from admin.workspaces.service import members
from core.web import Db
from staff import listing
from staff.conversations import PRIORITIES, STATUSES
from staff.pages.common import (
    CHANNELS,
    PAGE,
    PRIORITY_LABELS,
    STATUS_LABELS,
    VIEW_LABELS,
    CurrentList,
    ListQuery,
)
from staff.pages.live import since_now

router = page_router()


@dataclass(frozen=True)
class InboxList:
    """What the list pane shows."""

    query: ListQuery
    rows: list[listing.ConversationRow]
    total: int
    more: bool  # a search found more than `total` (counted up to listing.SEARCH_COUNT_CAP)
    counts: dict[str, int]
    people: list[tuple[str, str]]  # (user id, name) of the workspace's members

    @property
    def previous(self) -> int | None:
        return max(self.query.offset - PAGE, 0) if self.query.offset else None

    @property
    def following(self) -> int | None:
        return self.query.offset + PAGE if self.more or self.query.offset + PAGE < self.total else None


async def read_list(s: AsyncSession, me: SignedIn, query: ListQuery) -> InboxList:
    listed = await listing.conversations(
        s,
        workspace_id=me.workspace_id,
        user_id=me.user_id,
        view=query.view,
        filters=query.filters,
        limit=PAGE,
        offset=query.offset,
    )
    counts = await listing.counts(s, workspace_id=me.workspace_id, user_id=me.user_id, filters=query.filters)
    people = [(user.id, user.name or user.email) for user, _ in await members(s, workspace_id=me.workspace_id)]
    return InboxList(query, listed.rows, listed.total, listed.more, counts, people)


def list_context(inbox: InboxList, live_since: str) -> dict[str, Any]:
    """The template variables of the list pane (inbox.html, conversation.html)."""
    return {
        "live_since": live_since,
        "inbox": inbox,
        "q": inbox.query,
        "channels": CHANNELS,
        "statuses": STATUS_LABELS,
        "status_names": STATUSES,
        "priorities": PRIORITY_LABELS,
        "priority_names": PRIORITIES,
        "views": VIEW_LABELS,
    }


@router.get("/inbox")
async def inbox(request: Request, db: Db, me: CurrentPerson, query: CurrentList) -> Response:
    live_since = since_now(request)  # before the read: a change during it is heard again, not lost
    async with db.reader() as s:
        found = await read_list(s, me, query)
    return render(request, "staff/inbox.html", **list_context(found, live_since), open_id=None)
