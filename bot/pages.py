"""/getting-started (owners): the checklist of what a new workspace still needs, each item ticked from
the real state (bot.getting_started), and the web chat's embed snippet with a copy button."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from admin.web.pages import page_router, render
from admin.web.session import CurrentAdmin
from bot.getting_started import checklist, embed_snippet
from core.web import Db

router = page_router()


@router.get("/getting-started")
async def getting_started(request: Request, db: Db, me: CurrentAdmin) -> Response:
    async with db.reader() as s:
        steps = await checklist(s, workspace_id=me.workspace_id)
    settings = request.app.state.runtime.settings
    base = settings.public_url or str(request.base_url)
    return render(
        request,
        "bot/getting_started.html",
        steps=steps,
        done=sum(step.done for step in steps),
        snippet=embed_snippet(base, me.workspace_slug),
        chat_url=f"{base.rstrip('/')}/chat/{me.workspace_slug}",
    )
