"""The staff's web pages (on the admin shell, admin/web): the inbox.

`/inbox` lists the workspace's conversations, the latest activity first, from staff.queries (the
same read the API's `GET /conversations` makes). Reads only; actions go through staff.service.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from admin.web.errors import PageError
from admin.web.pages import page_router, render
from admin.web.session import CurrentPerson
from core.web import Db
from staff import queries

router = page_router()

PAGE = 50
MAX_OFFSET = 1_000_000
CHANNELS = {"telegram": "Telegram", "whatsapp": "WhatsApp", "sms": "SMS", "slack": "Slack", "web": "Web chat"}
STATUSES = {"open": "Open", "waiting": "Waiting for staff", "closed": "Closed"}


def _offset(request: Request) -> int:
    raw = request.query_params.get("offset", "0")
    if not raw.isdigit() or int(raw) > MAX_OFFSET:
        raise PageError(400, "Not a page of the inbox", "Open the inbox from its link and page from there.")
    return int(raw)


@router.get("/inbox")
async def inbox(request: Request, db: Db, me: CurrentPerson) -> Response:
    offset = _offset(request)
    async with db.reader() as s:
        rows, total = await queries.conversations(
            s, workspace_id=me.workspace_id, limit=PAGE, offset=offset, status=None, channel=None
        )
    return render(
        request,
        "staff/inbox.html",
        rows=rows,
        total=total,
        previous=max(offset - PAGE, 0) if offset else None,
        following=offset + PAGE if offset + PAGE < total else None,
        channels=CHANNELS,
        statuses=STATUSES,
    )
