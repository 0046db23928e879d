"""/team: who belongs to the workspace and who is invited; owners and admins add people (an
invitation link, shown once), change roles, remove people, withdraw invitations and set a
member's password. Every action is admin.team.service's (or admin.auth.service's), as the API's."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from admin.auth import service as auth
from admin.auth.strength import WeakPassword
from admin.roles import ROLE_NAMES, ROLES, may_manage
from admin.team import service
from admin.team.routes import invitation_url
from admin.team.schemas import MemberInvite
from admin.web.pages import page_router, render, see_other
from admin.web.routes import fields
from admin.web.session import CurrentAdmin, SignedIn
from admin.workspaces.service import members
from core.web import Db

router = page_router()


async def _team(request: Request, db: Db, me: SignedIn, *, status: int = 200, **context: object) -> Response:
    async with db.reader() as s:
        people = await members(s, workspace_id=me.workspace_id)
        invitations = await service.pending(s, workspace_id=me.workspace_id)
    shown: dict[str, object] = {"notice": None, "error": None, "for_user": None, "link": None, "form": {}, **context}
    return render(
        request,
        "admin/team.html",
        status=status,
        people=people,
        invitations=invitations,
        role_names=ROLE_NAMES,
        grantable=[r for r in ROLES if may_manage(me.role, r)],
        manages={role: may_manage(me.role, role) for role in ROLES},
        **shown,
    )


@router.get("/team")
async def team(request: Request, db: Db, me: CurrentAdmin) -> Response:
    return await _team(request, db, me)


@router.post("/team/invite")
async def invite(request: Request, db: Db, me: CurrentAdmin) -> Response:
    """Add someone by email: at once if they have an account, else a link shown on this answer only."""
    form = await fields(request, "email", "name", "role")
    try:
        body = MemberInvite.model_validate({**form, "role": form["role"] or "agent"})
    except ValueError:
        error = "Enter their email address, like name@example.com, and choose a role."
        return await _team(request, db, me, status=422, error=error, form=form)
    try:
        done = await service.invite(
            db,
            workspace_id=me.workspace_id,
            actor=me.role,
            by_user_id=me.user_id,
            email=body.email,
            role=body.role,
            name=body.name,
        )
    except service.TeamError as exc:
        return await _team(request, db, me, status=exc.status, error=f"Not added: {exc}.", form=form)
    if done.member is not None:
        who = done.member.name or done.member.email
        notice = f"{who} already had an account: they are in the team now, and sign in with their own password."
        return await _team(request, db, me, notice=notice)
    assert done.token is not None
    return await _team(request, db, me, link=(body.email, invitation_url(request, done.token)))


@router.post("/team/role")
async def change_role(request: Request, db: Db, me: CurrentAdmin) -> Response:
    form = await fields(request, "user_id", "role")
    if form["role"] not in ROLES:
        return await _team(request, db, me, status=422, error="Choose a role.", for_user=form["user_id"])
    try:
        user = await service.change_role(
            db, workspace_id=me.workspace_id, actor=me.role, user_id=form["user_id"], role=form["role"]
        )
    except service.TeamError as exc:
        return await _team(request, db, me, status=exc.status, error=f"Not changed: {exc}.")
    if user.id == me.user_id and form["role"] == "agent":
        return see_other("/inbox")  # this page is no longer theirs
    notice = f"{user.name or user.email} is now an {ROLE_NAMES[form['role']].lower()}."  # owner, admin, agent
    return await _team(request, db, me, notice=notice)


@router.post("/team/remove")
async def remove(request: Request, db: Db, me: CurrentAdmin) -> Response:
    form = await fields(request, "user_id")
    try:
        user = await service.remove_member(db, workspace_id=me.workspace_id, actor=me.role, user_id=form["user_id"])
    except service.TeamError as exc:
        return await _team(request, db, me, status=exc.status, error=f"Not removed: {exc}.")
    if user.id == me.user_id:
        return see_other("/")
    notice = f"{user.name or user.email} is no longer in {me.workspace_name}, and is signed out of it."
    return await _team(request, db, me, notice=notice)


@router.post("/team/revoke")
async def revoke(request: Request, db: Db, me: CurrentAdmin) -> Response:
    form = await fields(request, "invitation_id")
    try:
        invitation = await service.revoke_invitation(
            db, workspace_id=me.workspace_id, actor=me.role, invitation_id=form["invitation_id"]
        )
    except service.TeamError as exc:
        return await _team(request, db, me, status=exc.status, error=f"Not withdrawn: {exc}.")
    notice = f"The invitation to {invitation.email} is withdrawn: its link opens nothing."
    return await _team(request, db, me, notice=notice)


@router.post("/team/password")
async def reset_password(request: Request, db: Db, me: CurrentAdmin) -> Response:
    """Set a member's new password; every session of theirs is signed out."""
    form = await fields(request, "user_id", "new_password")
    try:
        user = await auth.reset_password(
            db, workspace_id=me.workspace_id, user_id=form["user_id"], new_password=form["new_password"]
        )
    except auth.NotResettable as exc:
        return await _team(request, db, me, status=422, error=f"Not changed: {exc}.", for_user=form["user_id"])
    except WeakPassword as exc:
        return await _team(request, db, me, status=422, error=str(exc), for_user=form["user_id"])
    who = user.name or user.email
    notice = f"{who}'s password is changed, and they are signed out everywhere. Tell them the new one in person."
    return await _team(request, db, me, notice=notice)
