"""/inbox/events: the inbox's live feed for the open page, as server-sent events, signed in by the
session cookie (the API's /api/v1/events takes a bearer token instead). The same feed (staff.live)
and the same frames; a reconnecting EventSource sends Last-Event-ID and gets what it missed.

/inbox/{conversation_id}/replying: the page says its person is writing to the customer there
(`state` typing, about every 3 s while they type) or no longer (stopped: sent, cleared or left);
the others watching the conversation see "<name> is replying…" (staff.service `replying`).

The page's script (admin/static/js/inbox.js) re-reads the list, and the open conversation when it
is the one that changed."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Query, Request
from fastapi.responses import Response, StreamingResponse

from admin.web.errors import PageError
from admin.web.pages import page_router
from admin.web.session import CurrentPerson, SignedIn
from staff.api.events import Feed, event_stream
from staff.live import LiveFeed
from staff.pages.common import Staff, acting, actor

router = page_router()
STATES = {"typing": True, "stopped": False}


def since_now(request: Request) -> str:
    """Where the feed is now: the page names it so its script hears every change after the read."""
    feed: LiveFeed = request.app.state.runtime.feed
    return feed.last_id


def replying_now(request: Request, me: SignedIn, conversation_id: str) -> list[tuple[str, str]]:
    """(user id, name) of the others writing in the conversation now, for the page to show at once."""
    feed: LiveFeed = request.app.state.runtime.feed
    return feed.replying_now(me.workspace_id, conversation_id, viewer=me.user_id)


@router.get("/inbox/events")
async def events(
    me: CurrentPerson,
    feed: Feed,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=64)] = None,
    since: Annotated[str | None, Query(max_length=64)] = None,
) -> StreamingResponse:
    """From the page's own moment on (`since`: the feed's last id when the page was read), so
    nothing that happened while the page loaded is missed; on a reconnect, from Last-Event-ID."""
    return event_stream(feed, me.workspace_id, last_event_id or since or feed.last_id, viewer=me.user_id)


@router.post("/inbox/{conversation_id}/replying", status_code=204)
async def replying(conversation_id: str, request: Request, me: CurrentPerson, staff: Staff) -> Response:
    """204 when told; another workspace's conversation is the 404 page, as for every action."""
    state = (await request.form()).get("state") or "typing"
    if not isinstance(state, str) or state not in STATES:
        raise PageError(400, "Not a state of writing", "The page sends typing or stopped.")
    with acting():
        await staff.replying(actor(me), conversation_id, name=me.name or me.email, typing=STATES[state])
    return Response(status_code=204)
