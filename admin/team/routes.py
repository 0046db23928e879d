"""/members and /invitations: the workspace's team (owners and admins), and accepting an invitation.

Every route calls admin.team.service; who may change whom is admin.roles' rule, asked there.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response

from admin.auth.routes import client_address, throttled, weak
from admin.auth.schemas import SessionPublic, UserPublic
from admin.auth.strength import WeakPassword
from admin.auth.throttle import LoginThrottled
from admin.deps import Caller, CurrentCaller, require_admin
from admin.team import service
from admin.team.schemas import (
    InvitationAccept,
    InvitationAccepted,
    InvitationCreated,
    InvitationPublic,
    MemberInvite,
    MemberPublic,
    MemberUpdate,
)
from admin.workspaces.schemas import WorkspacePublic
from admin.workspaces.service import members
from core.web import Db

router = APIRouter(tags=["team"])
REFUSALS: dict[int | str, dict[str, Any]] = {
    403: {"description": "Not yours to change"},
    409: {"description": "The last owner, or already a member"},
}


def invitation_url(request: Request, token: str) -> str:
    """The link an invitee opens: on FRONTDESK_PUBLIC_URL, like every link frontdesk hands out."""
    public_url: str = request.app.state.runtime.settings.public_url
    return f"{public_url.rstrip('/')}/invite/{token}"


def refused(exc: service.TeamError) -> HTTPException:
    return HTTPException(exc.status, str(exc))


def _actor(caller: Caller) -> str:
    require_admin(caller)
    return caller.role


@router.get("/members", response_model=list[MemberPublic], summary="Who belongs to the workspace (owners and admins)")
async def list_members(caller: CurrentCaller, db: Db) -> list[MemberPublic]:
    require_admin(caller)
    async with db.reader() as s:
        people = await members(s, workspace_id=caller.workspace_id)
    return [MemberPublic(user_id=u.id, email=u.email, name=u.name, role=role) for u, role in people]


@router.post(
    "/members",
    status_code=201,
    response_model=InvitationCreated,
    summary="Add someone: at once if they have an account, else an invitation link to send them",
    responses=REFUSALS,
)
async def invite(body: MemberInvite, request: Request, caller: CurrentCaller, db: Db) -> InvitationCreated:
    try:
        done = await service.invite(
            db,
            workspace_id=caller.workspace_id,
            actor=_actor(caller),
            by_user_id=caller.user_id,
            email=body.email,
            role=body.role,
            name=body.name,
        )
    except service.TeamError as exc:
        raise refused(exc) from exc
    if done.member is not None:
        member = MemberPublic(user_id=done.member.id, email=done.member.email, name=done.member.name, role=body.role)
        return InvitationCreated(member=member)
    assert done.invitation is not None and done.token is not None
    return InvitationCreated(
        invitation=InvitationPublic.model_validate(done.invitation), url=invitation_url(request, done.token)
    )


@router.patch("/members/{user_id}", response_model=MemberPublic, summary="Change a member's role", responses=REFUSALS)
async def change_role(user_id: str, body: MemberUpdate, caller: CurrentCaller, db: Db) -> MemberPublic:
    try:
        user = await service.change_role(
            db, workspace_id=caller.workspace_id, actor=_actor(caller), user_id=user_id, role=body.role
        )
    except service.TeamError as exc:
        raise refused(exc) from exc
    return MemberPublic(user_id=user.id, email=user.email, name=user.name, role=body.role)


@router.delete(
    "/members/{user_id}",
    status_code=204,
    summary="Remove a member; their sessions in this workspace are signed out",
    responses=REFUSALS,
)
async def remove(user_id: str, caller: CurrentCaller, db: Db) -> Response:
    try:
        await service.remove_member(db, workspace_id=caller.workspace_id, actor=_actor(caller), user_id=user_id)
    except service.TeamError as exc:
        raise refused(exc) from exc
    return Response(status_code=204)


@router.get("/invitations", response_model=list[InvitationPublic], summary="Invitations still waiting")
async def list_invitations(caller: CurrentCaller, db: Db) -> list[InvitationPublic]:
    require_admin(caller)
    async with db.reader() as s:
        rows = await service.pending(s, workspace_id=caller.workspace_id)
    return [InvitationPublic.model_validate(i) for i in rows]


@router.delete(
    "/invitations/{invitation_id}", status_code=204, summary="Withdraw an invitation: its link opens nothing"
)
async def revoke(invitation_id: str, caller: CurrentCaller, db: Db) -> Response:
    try:
        await service.revoke_invitation(
            db, workspace_id=caller.workspace_id, actor=_actor(caller), invitation_id=invitation_id
        )
    except service.TeamError as exc:
        raise refused(exc) from exc
    return Response(status_code=204)


@router.post(
    "/auth/invitations/{token}/accept",
    response_model=InvitationAccepted,
    summary="Join a workspace with an invitation's token: a new account, signed in",
    description="Someone who already has an account is added, and gets no session: they sign in with "
    "their own password. A token that opens nothing counts as a failed sign-in from this address.",
    responses={
        404: {"description": "Unknown token"},
        410: {"description": "Used, withdrawn or expired"},
        429: {"description": "Too many attempts from this address; see Retry-After"},
    },
)
async def accept(token: str, body: InvitationAccept, request: Request, db: Db) -> InvitationAccepted:
    try:
        joined = await service.accept(
            db, token=token, name=body.name, password=body.password, address=client_address(request)
        )
    except WeakPassword as exc:
        raise weak(exc, "password") from exc
    except LoginThrottled as exc:
        raise throttled(exc) from exc
    except service.InvitationGone as exc:
        raise refused(exc) from exc
    session = None
    if joined.token is not None:
        session = SessionPublic(
            token=joined.token,
            user=UserPublic.model_validate(joined.user),
            workspace=WorkspacePublic.of(joined.workspace, joined.role),
            role=joined.role,
        )
    return InvitationAccepted(session=session, workspace_id=joined.workspace.id, role=joined.role)
