"""/invite/{token}: the page an invitation link opens. The invitee sees which workspace asks them,
sets their name and password, and is signed in (the same session cookie as /login), landing in the
inbox. A link that opens nothing is a page saying why (404 unknown, 410 used, withdrawn or expired)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from admin.auth.routes import client_address
from admin.auth.strength import WeakPassword
from admin.auth.throttle import LoginThrottled
from admin.roles import ROLE_NAMES
from admin.team import service
from admin.team.models import Invitation
from admin.web.errors import PageError
from admin.web.pages import page_router, render, see_other
from admin.web.routes import HOME, fields
from admin.web.session import Cookie, start_session
from core.models import Workspace
from core.web import Db

router = page_router()
TOO_LONG = 200  # longer than any token frontdesk makes


async def _opened(db: Db, token: str) -> tuple[Invitation, Workspace]:
    try:
        if len(token) > TOO_LONG:
            raise service.InvitationGone("This invitation link is not one we know.", 404)
        return await service.opened(db, token)
    except service.InvitationGone as exc:
        raise PageError(exc.status, "This invitation cannot be used", str(exc)) from None


def _page(request: Request, invitation: Invitation, workspace: Workspace, **context: object) -> Response:
    shown: dict[str, object] = {"error": None, "name": invitation.name, "status": 200, **context}
    status = shown.pop("status")
    assert isinstance(status, int)
    return render(
        request,
        "admin/invite.html",
        status=status,
        invitation=invitation,
        workspace=workspace,
        role_name=ROLE_NAMES.get(invitation.role, invitation.role),
        **shown,
    )


@router.get("/invite/{token}")
async def invite_page(token: str, request: Request, db: Db) -> Response:
    invitation, workspace = await _opened(db, token)
    return _page(request, invitation, workspace)


@router.post("/invite/{token}")
async def accept(token: str, request: Request, db: Db) -> Response:
    invitation, workspace = await _opened(db, token)
    form = await fields(request, "name", "password")
    if not 10 <= len(form["password"]) <= 256:
        return _page(request, invitation, workspace, status=422, name=form["name"], error="Use 10 to 256 characters.")
    try:
        joined = await service.accept(
            db, token=token, name=form["name"][:200], password=form["password"], address=client_address(request)
        )
    except WeakPassword as exc:
        return _page(request, invitation, workspace, status=422, name=form["name"], error=str(exc))
    except LoginThrottled as exc:
        page = _page(request, invitation, workspace, status=429, name=form["name"], error=str(exc))
        page.headers["Retry-After"] = str(exc.seconds)
        return page
    except service.InvitationGone as exc:
        raise PageError(exc.status, "This invitation cannot be used", str(exc)) from None
    if joined.token is None:  # they had an account already: it is theirs to sign in to
        message = f"You are in {workspace.name}'s team now. Sign in with the password you already have."
        return render(request, "admin/error.html", title="You already have an account", message=message)
    response = see_other(HOME)
    start_session(request, response, Cookie(joined.token, workspace.id))
    return response
