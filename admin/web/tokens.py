"""/tokens: sign-ins and API tokens. Everyone sees their own sessions and can sign one out; owners see
the workspace's every session and API token, make API tokens (the token shown once, on the page that
made it) and revoke any. The same admin.tokens service as `/api/v1/tokens` and `frontdesk token`."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from admin.tokens import service
from admin.tokens.schemas import SCOPE_HELP, TokenCreate
from admin.web.pages import page_router, render, see_other
from admin.web.routes import fields
from admin.web.session import CurrentPerson, SignedIn
from core.web import Db
from core.workspaces import TOKEN_SCOPES

router = page_router()

SCOPE_LABELS = {
    "full": "Full: everything an owner may do",
    "inbox": "Inbox: conversations and drafts only",
    "read": "Read: look at everything, change nothing",
}


async def _page(request: Request, db: Db, me: SignedIn, *, status: int = 200, **shown: object) -> Response:
    async with db.reader() as s:
        total, rows = await service.live_tokens(
            s, workspace_id=me.workspace_id, only_user_id=None if me.is_admin else me.user_id, limit=200, offset=0
        )
    context: dict[str, object] = {"made": None, "notice": None, "error": None, "name": "", "scope": "full"}
    return render(
        request,
        "admin/tokens.html",
        status=status,
        sessions=[(t, email) for t, email in rows if t.kind == "session"],
        api_tokens=[t for t, _ in rows if t.kind != "session"],
        total=total,
        current_token=me.caller.token_id,
        scopes=[(scope, SCOPE_LABELS[scope]) for scope in TOKEN_SCOPES],
        scope_help=SCOPE_HELP,
        **{**context, **shown},
    )


@router.get("/tokens")
async def tokens(request: Request, db: Db, me: CurrentPerson) -> Response:
    return await _page(request, db, me)


@router.post("/tokens")
async def make_token(request: Request, db: Db, me: CurrentPerson) -> Response:
    """An owner or admin makes an API token: validated as the API validates it, shown on this page once."""
    if not me.is_admin:
        refused = "Only the workspace's owners and admins can make API tokens."
        return await _page(request, db, me, status=403, error=refused)
    form = await fields(request, "name", "scope")
    try:
        body = TokenCreate.model_validate({"name": form["name"], "scope": form["scope"] or "full"})
    except ValueError:
        problem = "Give it a name of up to 200 characters, and choose a scope from the list."
        return await _page(request, db, me, status=422, error=problem, name=form["name"], scope=form["scope"])
    try:
        async with db.session() as s:
            row, secret = await service.create_api_token(
                s, workspace_id=me.workspace_id, name=body.name, scope=body.scope
            )
    except service.TooManyTokens as exc:
        return await _page(request, db, me, status=409, error=f"Not made: {exc}.")
    return await _page(request, db, me, made={"name": row.name, "scope": row.scope, "token": secret})


@router.post("/tokens/revoke")
async def revoke_token(request: Request, db: Db, me: CurrentPerson) -> Response:
    """Revoke a session or API token this person may see (owners: any of the workspace's)."""
    form = await fields(request, "token_id")
    async with db.session() as s:
        found = await service.revoke(
            s,
            workspace_id=me.workspace_id,
            token_id=form["token_id"],
            only_user_id=None if me.is_admin else me.user_id,
        )
    if not found:
        return await _page(request, db, me, status=404, error="That token is not here (already revoked?).")
    if form["token_id"] == me.caller.token_id:
        return see_other("/login")  # they signed this very session out
    return await _page(request, db, me, notice="Revoked: it is refused from its next use on.")
