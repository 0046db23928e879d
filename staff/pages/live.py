"""/inbox/events: the inbox's live feed for the open page, as server-sent events, signed in by the
session cookie (the API's /api/v1/events takes a bearer token instead). The same feed (staff.live)
and the same frames; a reconnecting EventSource sends Last-Event-ID and gets what it missed.

The page's script (admin/static/js/inbox.js) re-reads the list, and the open conversation when it
is the one that changed."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Query, Request
from fastapi.responses import StreamingResponse

from admin.web.pages import page_router
from admin.web.session import CurrentPerson
from staff.api.events import Feed, event_stream
from staff.live import LiveFeed

router = page_router()


def since_now(request: Request) -> str:
    """Where the feed is now: the page names it so its script hears every change after the read."""
    feed: LiveFeed = request.app.state.runtime.feed
    return feed.last_id


@router.get("/inbox/events")
async def events(
    me: CurrentPerson,
    feed: Feed,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=64)] = None,
    since: Annotated[str | None, Query(max_length=64)] = None,
) -> StreamingResponse:
    """From the page's own moment on (`since`: the feed's last id when the page was read), so
    nothing that happened while the page loaded is missed; on a reconnect, from Last-Event-ID."""
    return event_stream(feed, me.workspace_id, last_event_id or since or feed.last_id)
