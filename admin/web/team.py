"""/team: who belongs to the workspace, and (owners) setting a staff member's password for them."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from admin.auth import service
from admin.auth.strength import WeakPassword
from admin.roles import ROLE_NAMES
from admin.web.pages import page_router, render
from admin.web.routes import fields
from admin.web.session import CurrentAdmin
from admin.workspaces.service import members
from core.web import Db

router = page_router()


async def _team(request: Request, db: Db, me: CurrentAdmin, *, status: int = 200, **context: object) -> Response:
    async with db.reader() as s:
        people = await members(s, workspace_id=me.workspace_id)
    shown: dict[str, object] = {"notice": None, "error": None, "for_user": None, **context}
    return render(request, "admin/team.html", status=status, people=people, role_names=ROLE_NAMES, **shown)


@router.get("/team")
async def team(request: Request, db: Db, me: CurrentAdmin) -> Response:
    return await _team(request, db, me)


@router.post("/team/password")
async def reset_password(request: Request, db: Db, me: CurrentAdmin) -> Response:
    """An owner sets a staff member's new password; every session of theirs is signed out."""
    form = await fields(request, "user_id", "new_password")
    try:
        user = await service.reset_password(
            db, workspace_id=me.workspace_id, user_id=form["user_id"], new_password=form["new_password"]
        )
    except service.NotResettable as exc:
        return await _team(request, db, me, status=422, error=f"Not changed: {exc}.", for_user=form["user_id"])
    except WeakPassword as exc:
        return await _team(request, db, me, status=422, error=str(exc), for_user=form["user_id"])
    who = user.name or user.email
    notice = f"{who}'s password is changed, and they are signed out everywhere. Tell them the new one in person."
    return await _team(request, db, me, notice=notice)
