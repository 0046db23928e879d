"""/account: the signed-in person's own account, for every role: who they are, their workspaces,
changing their password (admin.auth.service.change_password, as `POST /api/v1/auth/password`: the
current password checked through the sign-in throttle, the same strength rules, every other session
of theirs signed out, this one kept), and a new workspace of theirs (`POST /api/v1/workspaces`'s
service), landing in it. Owners also find the workspace's slug and its deletion here, through the
service `PATCH` and `DELETE /api/v1/workspaces/{id}` call (admin.workspaces.service.owned first)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from admin.auth import service as accounts
from admin.auth.routes import client_address
from admin.auth.schemas import PasswordUpdate
from admin.auth.strength import WeakPassword
from admin.auth.throttle import LoginThrottled
from admin.roles import ROLE_NAMES, Role
from admin.web.errors import not_found
from admin.web.pages import page_router, render, see_other
from admin.web.routes import fields
from admin.web.session import Cookie, CurrentPerson, SignedIn, end_session, start_session
from admin.workspaces import service as workspaces
from admin.workspaces.schemas import WorkspaceCreate, WorkspaceUpdate
from core.db import Database
from core.models import Workspace
from core.web import Db

router = page_router()
PAGE = "/account"
DONE = {
    "password": "Password changed. Your other sign-ins (other browsers, apps and API sessions of yours) "
    "are signed out; this one stays.",
    "slug": "Saved: the workspace has its new address.",
}
# What each field of these forms needs, in words (the schemas say exactly).
PROBLEMS = {
    "current_password": "Enter your current password.",
    "new_password": "Use 10 to 256 characters.",
    "name": "Enter a name (up to 200 characters).",
    "slug": "Lowercase letters, digits and dashes (not at either end), up to 48 characters.",
    "timezone": "Choose a time zone such as Europe/Madrid.",
}
OWNERS_ONLY = "Only the workspace's owners can change its address or delete it."


async def _page(request: Request, me: SignedIn, *, status: int = 200, **shown: Any) -> Response:
    context: dict[str, Any] = {"notice": None, "error": None, "errors": {}, "form": {}, "section": None}
    return render(request, "admin/account.html", status=status, role_names=ROLE_NAMES, **{**context, **shown})


def _wrong(exc: ValidationError) -> dict[str, str]:
    """The fields a schema refused, each with what it needs."""
    names = {str(e["loc"][0]) for e in exc.errors() if e["loc"]}
    return {name: PROBLEMS.get(name, "Not valid.") for name in names}


@router.get(PAGE)
async def account(request: Request, me: CurrentPerson) -> Response:
    return await _page(request, me, notice=DONE.get(request.query_params.get("done", "")))


@router.post(PAGE + "/password")
async def change_password(request: Request, db: Db, me: CurrentPerson) -> Response:
    form = await fields(request, "current_password", "new_password")

    async def again(status: int, errors: dict[str, str], **headers: str) -> Response:
        page = await _page(request, me, status=status, errors=errors, section="password")
        page.headers.update(headers)
        return page

    try:
        body = PasswordUpdate.model_validate(form)
    except ValidationError as exc:
        return await again(422, _wrong(exc))
    try:
        await accounts.change_password(
            db,
            user_id=me.user_id,
            current_password=body.current_password,
            new_password=body.new_password,
            address=client_address(request),
            keep_token_id=me.caller.token_id,
        )
    except WeakPassword as exc:
        return await again(422, {"new_password": str(exc)})
    except LoginThrottled as exc:
        wait = str(exc).rsplit("try again in ", 1)[-1]
        return await again(429, {"current_password": f"Too many wrong passwords. Try again in {wait}."},
                     **{"Retry-After": str(exc.seconds)})  # fmt: skip
    except accounts.BadCredentials:
        return await again(422, {"current_password": "That is not your current password."})
    return see_other(f"{PAGE}?done=password")


@router.post(PAGE + "/workspaces")
async def create_workspace(request: Request, db: Db, me: CurrentPerson) -> Response:
    """A new workspace of theirs, as `POST /api/v1/workspaces`; the browser's session moves into it."""
    form = await fields(request, "name", "slug", "timezone")
    try:
        body = WorkspaceCreate.model_validate(
            {"name": form["name"], "slug": form["slug"].strip() or None, "timezone": form["timezone"].strip() or "UTC"}
        )
    except ValidationError as exc:
        return await _page(request, me, status=422, errors=_wrong(exc), form=form, section="create")
    try:
        async with db.session() as s:
            workspace, token = await workspaces.create_for(
                s, user_id=me.user_id, name=body.name, slug=body.slug, timezone=body.timezone
            )
    except (workspaces.SlugTaken, IntegrityError):
        taken = {"slug": "That address is taken: choose another, or leave it empty."}
        return await _page(request, me, status=409, errors=taken, form=form, section="create")
    await accounts.revoke(db, token_id=me.caller.token_id)  # this browser keeps one session: the new one
    response = see_other("/getting-started")
    start_session(request, response, Cookie(token, workspace.id))
    return response


@router.post(PAGE + "/workspace/slug")
async def change_slug(request: Request, db: Db, me: CurrentPerson) -> Response:
    """The workspace's slug (the web chat page's address), owners only, as `PATCH /api/v1/workspaces/{id}`."""
    form = await fields(request, "slug")
    try:
        body = WorkspaceUpdate.model_validate({"slug": form["slug"].strip()})
    except ValidationError as exc:
        return await _page(request, me, status=422, errors=_wrong(exc), form=form, section="workspace")
    try:
        async with db.session() as s:
            workspace, _ = await _owned(s, me)
            await workspaces.update(s, workspace=workspace, changes=body.changes())
    except workspaces.OwnersOnly:
        return await _page(request, me, status=403, error=OWNERS_ONLY)
    except (workspaces.SlugTaken, IntegrityError):
        taken = {"slug": "That address is taken by another workspace: choose another."}
        return await _page(request, me, status=409, errors=taken, form=form, section="workspace")
    return see_other(f"{PAGE}?done=slug")


@router.post(PAGE + "/workspace/delete")
async def delete_workspace(request: Request, db: Db, me: CurrentPerson) -> Response:
    """Delete the workspace being looked at (owners, typing its name), as `DELETE /api/v1/workspaces/{id}`;
    then on to another workspace of theirs, or the sign-in page when there is none."""
    form = await fields(request, "confirm")
    if not me.is_owner:
        return await _page(request, me, status=403, error=OWNERS_ONLY)
    if form["confirm"].strip() != me.workspace_name:
        wrong = {"confirm": f"Type the workspace's name, {me.workspace_name}, exactly as it is shown."}
        return await _page(request, me, status=422, errors=wrong, form=form, section="workspace")
    try:
        async with db.session() as s:
            await _owned(s, me)
            await workspaces.remove(s, workspace_id=me.workspace_id)
    except workspaces.OwnersOnly:
        return await _page(request, me, status=403, error=OWNERS_ONLY)
    return await _land_elsewhere(request, db, me)


async def _owned(s: AsyncSession, me: SignedIn) -> tuple[Workspace, Role]:
    try:
        return await workspaces.owned(
            s, user_id=me.user_id, token_workspace_id=me.workspace_id, workspace_id=me.workspace_id
        )
    except workspaces.NotYours:
        raise not_found("This workspace is not yours any more.") from None


async def _land_elsewhere(request: Request, db: Database, me: SignedIn) -> Response:
    """After deleting a workspace: a session in their next workspace, or signed out if none is left."""
    await accounts.revoke(db, token_id=me.caller.token_id)  # gone with its workspace, or replaced below
    async with db.session() as s:
        found = await workspaces.membership_for(s, user_id=me.user_id, ref=None)
        token = await workspaces.issue_session(s, workspace_id=found[0].id, user_id=me.user_id) if found else None
    if found is None or token is None:
        response = see_other("/login")
        end_session(response)
        return response
    response = see_other("/inbox")
    start_session(request, response, Cookie(token, found[0].id))
    return response
