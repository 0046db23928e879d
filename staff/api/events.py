"""/events: the inbox's live feed as server-sent events (text/event-stream).

Each event names a conversation that changed (`event: changed`, `data: {"conversation_id": …}`),
or a staff member writing in one (`event: replying`, `data: {"conversation_id", "user_id", "name",
"typing", "seconds"}`: show "<name> is replying…" for `seconds`, until the next one, or until one
with `typing` false; never the reader's own), with an id to resume from: a client that
reconnects sends it back as Last-Event-ID (EventSource does) and gets what it missed, or
`event: reset` when it fell too far behind (re-read the list). A comment line every ~15 s keeps
proxies from closing a quiet connection. The stream ends when the client goes away."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Annotated

from fastapi import APIRouter, Depends, Header
from fastapi.responses import StreamingResponse

from core.web import part
from staff.api.deps import CurrentActor
from staff.live import REPLYING_SECONDS, Change, LiveFeed

router = APIRouter(tags=["conversations"])
Feed = Annotated[LiveFeed, Depends(part("feed"))]
RETRY_MS = 3000  # how soon EventSource reconnects after a dropped connection


def _frame(change: Change) -> str:
    if change.kind == "heartbeat":
        return ": heartbeat\n\n"
    body: dict[str, object] = {"conversation_id": change.conversation_id} if change.conversation_id else {}
    if change.replying is not None:
        who = change.replying
        body |= {"user_id": who.user_id, "name": who.name, "typing": who.typing, "seconds": REPLYING_SECONDS}
    data = json.dumps(body)
    return f"id: {change.id}\nevent: {change.kind}\ndata: {data}\n\n"


@router.get(
    "/events",
    response_class=StreamingResponse,
    summary="The workspace's conversation changes, live (server-sent events; resume with Last-Event-ID)",
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def events(
    actor: CurrentActor,
    feed: Feed,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=64)] = None,
) -> StreamingResponse:
    since = last_event_id or feed.last_id  # from this request on, even before the body is read
    return event_stream(feed, actor.workspace_id, since, viewer=actor.user_id)


def event_stream(feed: LiveFeed, workspace_id: str, since: str, *, viewer: str | None) -> StreamingResponse:
    """A workspace's changes after `since`, as server-sent events (the API's and the inbox page's);
    `viewer`'s own writing is not told back to them."""

    async def stream() -> AsyncIterator[str]:
        yield f"retry: {RETRY_MS}\n\n"
        async with aclosing(feed.events(workspace_id, last_event_id=since, viewer=viewer)) as changes:
            async for change in changes:
                yield _frame(change)

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)
