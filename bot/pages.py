"""/getting-started (owners and admins): the checklist of what a new workspace still needs, each item
ticked from the real state (bot.getting_started); the websites that may show the web chat, saved
through admin.workspaces.service.update with the API's WorkspaceUpdate (its chat_origins); and the
embed code (an iframe, or our script that puts it in place) with copy buttons."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response
from pydantic import ValidationError

from admin.web.pages import page_router, render, see_other
from admin.web.session import CurrentAdmin
from admin.workspaces import service as workspaces
from admin.workspaces.origins import MAX_ORIGINS
from admin.workspaces.schemas import WorkspaceUpdate
from bot.getting_started import checklist, embed_snippet, script_snippet
from core.models import Workspace
from core.web import Db

router = page_router()
PAGE = "/getting-started"
MAX_TEXT = 20_000  # the websites box: 20 addresses of a few hundred characters at most


@router.get(PAGE)
async def getting_started(request: Request, db: Db, me: CurrentAdmin) -> Response:
    saved = request.query_params.get("saved") == "websites"
    return await _page(request, db, me, notice="Saved: the websites that may show your chat." if saved else None)


@router.post(PAGE + "/websites")
async def save_websites(request: Request, db: Db, me: CurrentAdmin) -> Response:
    """The chat's websites, one a line, as PATCH /workspaces/{id} takes them (chat_origins)."""
    form = await request.form()
    raw = form.get("chat_origins")
    text = raw[:MAX_TEXT] if isinstance(raw, str) else ""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    try:
        body = WorkspaceUpdate.model_validate({"chat_origins": lines})
    except ValidationError as exc:
        return await _page(request, db, me, status=422, errors=problems(exc), websites=text)
    async with db.session() as s:
        workspace = await s.get(Workspace, me.workspace_id)
        if workspace is None:  # deleted while the form was open
            return see_other("/")
        await workspaces.update(s, workspace=workspace, changes=body.changes())
    return see_other(f"{PAGE}?saved=websites#websites-heading")


def problems(exc: ValidationError) -> list[str]:
    """Each refused line in the API's words, and a list that is too long said plainly."""
    found = []
    for e in exc.errors():
        if e["type"] == "too_long":
            found.append(f"list at most {MAX_ORIGINS} websites")
        else:
            found.append(str(e["msg"]).removeprefix("Value error, "))
    return found


async def _page(request: Request, db: Db, me: CurrentAdmin, *, status: int = 200, **context: Any) -> Response:
    async with db.reader() as s:
        steps = await checklist(s, workspace_id=me.workspace_id)
        workspace = await s.get(Workspace, me.workspace_id)
    origins = (workspace.chat_origins if workspace else None) or []
    runtime = request.app.state.runtime
    base = runtime.settings.public_url or str(request.base_url)
    shown: dict[str, Any] = {"notice": None, "errors": [], "websites": "\n".join(origins), **context}
    return render(
        request,
        "bot/getting_started.html",
        status=status,
        steps=steps,
        done=sum(step.done for step in steps),
        origins=origins,
        server_origins=sorted(runtime.web.origins.server),
        snippet=embed_snippet(base, me.workspace_slug),
        script=script_snippet(base, me.workspace_slug),
        chat_url=f"{base.rstrip('/')}/chat/{me.workspace_slug}",
        **shown,
    )
