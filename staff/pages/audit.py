"""/audit: who did what to which conversation, through which face (web, API, CLI, Slack), with what
it was before and after; for owners, filtered by person and action, newest first. The same
staff.audit reading as `GET /api/v1/audit`."""

from __future__ import annotations

from typing import Any

from fastapi import Query, Request
from fastapi.responses import Response

from admin.tokens.service import api_token_names
from admin.web.pages import page_router, render
from admin.web.session import CurrentAdmin
from admin.workspaces.service import members
from core.web import Db
from staff import audit
from staff.pages.common import MAX_OFFSET

router = page_router()
PAGE = 50
FACES = {"web": "web admin", "api": "API", "cli": "terminal", "slack": "Slack"}
ACTIONS = {
    "draft.approve": "approved a draft",
    "draft.reject": "rejected a draft",
    "draft.take_over": "took over from a draft",
    "conversation.take_over": "took over",
    "conversation.hand_back": "handed back to the assistant",
    "conversation.reply": "replied",
    "conversation.status": "changed the status",
    "conversation.priority": "changed the priority",
    "conversation.assign": "changed the assignee",
    "conversation.tags": "changed the tags",
    "conversation.context": "changed the details",
    "conversation.move": "moved the progress",
    "inbox.retry": "retried a failed turn",
}


def changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[tuple[str, str, str]]:
    """(what, from, to) for each value the action changed, in words a person reads."""
    before, after = before or {}, after or {}

    def said(value: Any) -> str:
        if value is None or value == "" or value == []:
            return "—"
        return ", ".join(map(str, value)) if isinstance(value, list) else str(value)

    keys = [k for k in after if before.get(k) != after.get(k)] + [k for k in before if k not in after]
    return [(k.replace("_", " "), said(before.get(k)), said(after.get(k))) for k in keys]


@router.get("/audit")
async def audit_log(
    request: Request,
    db: Db,
    me: CurrentAdmin,
    person: str = Query("", max_length=64),
    action: str = Query("", max_length=64),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> Response:
    where = audit.AuditFilter(user_id=person or None, action=action or None)
    async with db.reader() as s:
        rows, total = await audit.entries(s, workspace_id=me.workspace_id, where=where, limit=PAGE, offset=offset)
        conversation_of = await audit.conversations_of(s, workspace_id=me.workspace_id, rows=rows)
        used = await audit.actions_used(s, workspace_id=me.workspace_id)
        people = await members(s, workspace_id=me.workspace_id)
        tokens = await api_token_names(s, workspace_id=me.workspace_id)
    names = {user.id: user.name or user.email for user, _role in people}
    # staff.api.deps labels an API token's actions "api token <the first 8 characters of its id>"
    token_names = {f"api token {token_id[:8]}": f"API token “{name}”" for token_id, name in tokens.items()}
    return render(
        request,
        "staff/audit.html",
        entries=[
            {
                "row": r,
                "who": names.get(r.actor_user_id or "") or token_names.get(r.actor_label) or r.actor_label or "someone",
                "face": FACES.get(r.face, r.face),
                "did": ACTIONS.get(r.action, r.action),
                "conversation": conversation_of.get(r.id),
                "changes": changes(r.before, r.after),
            }
            for r in rows
        ],
        total=total,
        offset=offset,
        page=PAGE,
        people=sorted(names.items(), key=lambda item: item[1].lower()),
        actions=[(a, ACTIONS.get(a, a)) for a in used],
        person=person,
        action=action,
    )
