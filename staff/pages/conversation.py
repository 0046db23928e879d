"""/inbox/{conversation_id}: one conversation beside the list. The messages (the customer's, the
assistant's and staff's each their own way; images inline, voice notes playable with their
transcript, other files to download), the draft waiting for staff with its sources, confidence and
why it waits, the actions (staff/pages/actions.py), and the sidebar: context fields, status, triage,
intent and sentiment, the context's history and the customer's other conversations. A customer's
message whose turn failed for good says so beside it, with the error and a Retry button.

Reads staff.detail (the same read as the API's `GET /conversations/{id}/detail`). A file's link is
the media store's signed one, made only for a conversation of the signed-in person's workspace."""

from __future__ import annotations

import uuid
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response

from admin.web.errors import not_found
from admin.web.pages import page_router, render
from admin.web.session import CurrentPerson, SignedIn
from core.db import Database
from core.media.storage import Storage
from core.web import Db, part
from staff import detail, queries
from staff.pages.common import CurrentList, ListQuery
from staff.pages.inbox import list_context, read_list
from staff.pages.live import replying_now, since_now

router = page_router()
Files = Annotated[Storage, Depends(part("storage"))]
MEDIA_LINK_SECONDS = 3600

# What a finished action says (the address names one of these, never words of its own).
DONE = {
    "approved": "Sent to the customer.",
    "rejected": "Draft rejected: nothing was sent.",
    "taken_over": "You have taken over: the assistant stays quiet here until you hand back.",
    "handed_back": "Handed back: the assistant answers this customer again.",
    "replied": "Your reply is on its way.",
    "saved": "Saved.",
    "answer_saved": "Sent, and saved as an answer for next time.",
    "retried": "Trying again: the assistant answers this message in a moment.",
}
SOURCES = {
    "llm": "written by the assistant",
    "extractive": "taken from your knowledge base",
    "rule": "from one of your rules",
    "channel": "the channel's own text",
    "none": "no answer found",
}


def _local(url: str) -> str:
    """A signed media link as a path on this server (the page's policy allows only this server)."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


async def show(
    request: Request,
    db: Database,
    me: SignedIn,
    storage: Storage,
    conversation_id: str,
    query: ListQuery,
    *,
    status: int = 200,
    error: str | None = None,
    problems: dict[str, str] | None = None,
    sent: dict[str, Any] | None = None,
) -> HTMLResponse:
    """The conversation's page; `error` (and `problems`, field by field) when an action was refused,
    with what the person sent (`sent`) kept in the form."""

    def sign(key: str) -> str:
        return _local(storage.signed_url(key, expires_in=MEDIA_LINK_SECONDS))

    live_since = since_now(request)  # before the read: a change during it is heard again, not lost
    async with db.reader() as s:
        found = await detail.conversation_detail(
            s, workspace_id=me.workspace_id, conversation_id=conversation_id, sign=sign
        )
        if found is None:
            raise not_found("There is no such conversation in this workspace.")
        inbox = await read_list(s, me, query)
        failed = await queries.failed_turns(s, workspace_id=me.workspace_id, conversation_id=conversation_id)
    if request.headers.get("HX-Request") and status >= 400:
        status = 200  # htmx swaps only a 2xx answer; the page itself says what went wrong
    done = request.query_params.get("done")
    return render(
        request,
        "staff/conversation.html",
        status=status,
        **list_context(inbox, live_since),
        open_id=conversation_id,
        c=found,
        row=found.conversation,
        people_names=dict(inbox.people),
        sources=SOURCES,
        notice=DONE.get(done or ""),
        error=error,
        problems=problems or {},
        sent=sent or {},
        reply_key=str(uuid.uuid4()),
        replying=replying_now(request, me, conversation_id),
        failed=failed,
    )


@router.get("/inbox/{conversation_id}")
async def conversation(
    conversation_id: str, request: Request, db: Db, me: CurrentPerson, storage: Files, query: CurrentList
) -> Response:
    if len(conversation_id) > 64:
        raise not_found("There is no such conversation in this workspace.")
    return await show(request, db, me, storage, conversation_id, query)
