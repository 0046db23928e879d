"""A workspace's team: inviting people, changing their role, removing them, and invitations.

The one service the API (admin/team/routes.py), the CLI (`frontdesk user invite|list|role|remove`)
and the /team page call. Who may do what is admin.roles' rule; the asker's role is passed in
(`actor`), None for the server's operator (the CLI), who may do anything but leave a workspace
without an owner.

An invitation is a random token shown once, as a link; only its SHA-256 is stored. Accepting it
creates the account with the invitee's own password and signs them in. Someone who already has an
account is added at once instead: they sign in with the password they have.

Not in the audit log: the audit log is staff/'s (a layer above admin/), which admin/ must not import.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import cast

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from admin.auth import strength, throttle
from admin.auth.service import hash_password, normalize_email
from admin.roles import Role, may_manage
from admin.team.models import Invitation
from admin.workspaces.service import issue_session
from core.crypto import new_token, token_hash
from core.db import Database
from core.messages import utcnow
from core.models import ApiToken, Membership, User, Workspace

INVITATION_DAYS = 7


class TeamError(Exception):
    """A refusal, in words for a page; `status` is the HTTP status it answers as."""

    status = 409


class NotAllowed(TeamError):
    status = 403


class NotFound(TeamError):
    status = 404


class Conflict(TeamError):
    status = 409


class InvitationGone(TeamError):
    """Unknown (404), or used, withdrawn or expired (410)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Invited:
    """What an invitation did: the member added at once (they had an account), or the invitation
    and its token (to send them as a link; shown this once)."""

    member: User | None = None
    invitation: Invitation | None = None
    token: str | None = None


@dataclass(frozen=True)
class Joined:
    """An accepted invitation: the new member, and a session token unless they already had an
    account (then they sign in with their own password)."""

    user: User
    workspace: Workspace
    role: Role
    token: str | None


def _check(actor: str | None, *roles: str) -> None:
    for role in roles:
        if actor is not None and not may_manage(actor, role):
            raise NotAllowed("only an owner can invite, change or remove an owner")


async def _user_by_email(s: AsyncSession, email: str) -> User | None:
    query = select(User).where(func.lower(User.email) == normalize_email(email))
    return (await s.execute(query)).scalars().first()


async def invite(
    db: Database,
    *,
    workspace_id: str,
    actor: str | None,
    by_user_id: str | None,
    email: str,
    role: Role,
    name: str = "",
) -> Invited:
    """Add `email` with `role`: at once if they have an account, else a 7-day invitation.
    Inviting again replaces their pending invitation (the old link stops working).
    Raises NotAllowed, Conflict (already a member)."""
    _check(actor, role)
    email = normalize_email(email)
    async with db.session() as s:
        user = await _user_by_email(s, email)
        if user is not None:
            if await _membership(s, workspace_id, user.id) is not None:
                raise Conflict(f"{email} is already in this workspace")
            s.add(Membership(workspace_id=workspace_id, user_id=user.id, role=role))
            return Invited(member=user)
        await s.execute(
            update(Invitation)
            .where(*_pending(workspace_id), func.lower(Invitation.email) == email)
            .values(revoked_at=utcnow())
        )
        token = new_token("fdi")
        invitation = Invitation(
            workspace_id=workspace_id,
            email=email,
            name=name.strip(),
            role=role,
            token_hash=token_hash(token),
            invited_by_user_id=by_user_id,
            expires_at=utcnow() + timedelta(days=INVITATION_DAYS),
        )
        s.add(invitation)
        await s.flush()
    return Invited(invitation=invitation, token=token)


def _pending(workspace_id: str) -> list[ColumnElement[bool]]:
    return [
        Invitation.workspace_id == workspace_id,
        Invitation.accepted_at.is_(None),
        Invitation.revoked_at.is_(None),
        Invitation.expires_at > utcnow(),
    ]


async def pending(s: AsyncSession, *, workspace_id: str) -> list[Invitation]:
    """The workspace's invitations still waiting for their invitee, newest first."""
    query = select(Invitation).where(*_pending(workspace_id)).order_by(Invitation.created_at.desc(), Invitation.id)
    return list((await s.execute(query)).scalars())


async def revoke_invitation(db: Database, *, workspace_id: str, actor: str | None, invitation_id: str) -> Invitation:
    """Withdraw an invitation: its link opens nothing from now on. Withdrawing one already
    withdrawn changes nothing. Raises NotFound, NotAllowed, Conflict (already used)."""
    async with db.session() as s:
        query = select(Invitation).where(Invitation.id == invitation_id, Invitation.workspace_id == workspace_id)
        invitation = (await s.execute(query)).scalar_one_or_none()
        if invitation is None:
            raise NotFound("no such invitation in this workspace")
        _check(actor, invitation.role)
        if invitation.accepted_at is not None:
            raise Conflict(f"{invitation.email} has already joined: remove them from the team instead")
        invitation.revoked_at = invitation.revoked_at or utcnow()
    return invitation


async def opened(db: Database, token: str) -> tuple[Invitation, Workspace]:
    """The invitation a link's token opens, with its workspace. Raises InvitationGone."""
    async with db.reader() as s:
        return await _usable(s, token)


async def _usable(s: AsyncSession, token: str, *, lock: bool = False) -> tuple[Invitation, Workspace]:
    query = select(Invitation, Workspace).join(Workspace, Workspace.id == Invitation.workspace_id)
    query = query.where(Invitation.token_hash == token_hash(token[:200]))
    row = (await s.execute(query.with_for_update() if lock else query)).first()
    if row is None:
        raise InvitationGone("This invitation link is not one we know. Check that it was copied whole.", 404)
    invitation, workspace = row
    if invitation.accepted_at is not None:
        raise InvitationGone("This invitation was already used. Sign in instead.", 410)
    if invitation.revoked_at is not None:
        raise InvitationGone("This invitation was withdrawn. Ask for a new one.", 410)
    if invitation.expires_at <= utcnow():
        raise InvitationGone("This invitation has expired (they last 7 days). Ask for a new one.", 410)
    return invitation, workspace


async def accept(db: Database, *, token: str, name: str, password: str, address: str) -> Joined:
    """Join with the invitation: a new account with this name and password, signed in. A link
    that opens nothing counts as a failed sign-in from this address (the sign-in throttle).
    Raises WeakPassword (before anything is looked at), LoginThrottled, InvitationGone."""
    async with db.reader() as s:
        found = (
            await s.execute(select(Invitation.email).where(Invitation.token_hash == token_hash(token[:200])))
        ).first()
    email = found[0] if found else ""
    await strength.check_strength(password, user_inputs=(email, name))
    password_hash = await hash_password(password)  # before any transaction: it holds no lock meanwhile
    # An unknown token is counted under its own hash, so guesses add up by address, never by email.
    attempt = await throttle.admit(db, email=email or f"invitation:{token_hash(token[:200])}", address=address)
    try:
        joined = await _join(db, token=token, name=name, password_hash=password_hash)
    except InvitationGone:
        await throttle.settle(db, attempt=attempt, succeeded=False)
        raise
    await throttle.settle(db, attempt=attempt, succeeded=True)
    return joined


async def _join(db: Database, *, token: str, name: str, password_hash: str) -> Joined:
    async with db.session() as s:
        invitation, workspace = await _usable(s, token, lock=True)
        invitation.accepted_at = utcnow()
        user = await _user_by_email(s, invitation.email)
        if user is not None:  # an account made since the invitation: its password stays its own
            if await _membership(s, workspace.id, user.id) is None:
                s.add(Membership(workspace_id=workspace.id, user_id=user.id, role=invitation.role))
            return Joined(user, workspace, cast(Role, invitation.role), None)
        user = User(email=invitation.email, name=name.strip() or invitation.name, password_hash=password_hash)
        s.add(user)
        await s.flush()
        s.add(Membership(workspace_id=workspace.id, user_id=user.id, role=invitation.role))
        session = await issue_session(s, workspace_id=workspace.id, user_id=user.id)
    return Joined(user, workspace, cast(Role, invitation.role), session)


async def _membership(s: AsyncSession, workspace_id: str, user_id: str, *, lock: bool = False) -> Membership | None:
    query = select(Membership).where(Membership.workspace_id == workspace_id, Membership.user_id == user_id)
    return (await s.execute(query.with_for_update() if lock else query)).scalar_one_or_none()


async def _keep_an_owner(s: AsyncSession, workspace_id: str, member: Membership) -> None:
    """Refuse to take the workspace's last owner away. Every owner row is locked first, so two
    owners demoting each other at once cannot both pass (the second sees one owner left)."""
    owners = select(Membership.id).where(Membership.workspace_id == workspace_id, Membership.role == "owner")
    if member.role == "owner" and len((await s.execute(owners.with_for_update())).all()) <= 1:
        raise Conflict("a workspace always keeps at least one owner: make someone else an owner first")


async def change_role(db: Database, *, workspace_id: str, actor: str | None, user_id: str, role: Role) -> User:
    """Give a member another role. Raises NotFound, NotAllowed, Conflict (the last owner)."""
    async with db.session() as s:
        member = await _membership(s, workspace_id, user_id, lock=True)
        user = await s.get(User, user_id) if member is not None else None
        if member is None or user is None:
            raise NotFound("no such person in this workspace")
        _check(actor, member.role, role)
        if role != member.role:
            await _keep_an_owner(s, workspace_id, member)
            member.role = role
    return user


async def remove_member(db: Database, *, workspace_id: str, actor: str | None, user_id: str) -> User:
    """Take a member out of the workspace and sign out their sessions and tokens there (their
    account stays, with its other workspaces). Raises NotFound, NotAllowed, Conflict (the last owner)."""
    async with db.session() as s:
        member = await _membership(s, workspace_id, user_id, lock=True)
        user = await s.get(User, user_id) if member is not None else None
        if member is None or user is None:
            raise NotFound("no such person in this workspace")
        _check(actor, member.role)
        await _keep_an_owner(s, workspace_id, member)
        await s.delete(member)
        await s.execute(
            update(ApiToken)
            .where(ApiToken.user_id == user_id, ApiToken.workspace_id == workspace_id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
    return user
