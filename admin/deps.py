"""Who is calling: a bearer token resolved to a Caller (workspace, user, role).

Every API route takes a `CurrentCaller` and scopes its queries to `caller.workspace_id`; nothing
else in a request decides which tenant's data is read.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, cast

from fastapi import Depends, Header, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from admin.roles import ROLES, Role, may_configure, may_own
from admin.workspaces.service import membership_for
from core.db import Database
from core.messages import utcnow
from core.models import ApiToken, Membership, Workspace
from core.web import Db
from core.workspaces import token_owner

log = logging.getLogger(__name__)


# Recording every request would turn each read into a write; a minute is precise enough to audit.
TOUCH_EVERY = timedelta(minutes=1)
MAX_TOKEN_CHARS = 200
WORKSPACE_HEADER = "X-Frontdesk-Workspace"

_bearer = HTTPBearer(auto_error=False, description="A session token from /auth/login or an API token.")


@dataclass(frozen=True)
class Caller:
    workspace_id: str
    user_id: str | None
    role: Role
    token_id: str
    read_only: bool = False  # a workspace API token with the "read" scope

    @property
    def is_owner(self) -> bool:
        return may_own(self.role)

    @property
    def is_admin(self) -> bool:
        """An owner or an admin: one who may configure the workspace."""
        return may_configure(self.role)


def unauthorized(detail: str = "missing or invalid token") -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


def require_owner(caller: Caller) -> None:
    """Renaming or deleting the workspace, and its owners (admin.roles.may_own)."""
    if not caller.is_owner:
        raise HTTPException(403, "only the workspace's owners can do this")


def require_admin(caller: Caller) -> None:
    """The workspace's configuration and its team (admin.roles.may_configure): owners and admins."""
    if not caller.is_admin:
        raise HTTPException(403, "only the workspace's owners and admins can do this")


def require_user(caller: Caller) -> str:
    if caller.user_id is None:
        raise HTTPException(403, "this needs a user's token, not a workspace API token")
    return caller.user_id


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def current_caller(
    request: Request,
    db: Db,
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
    workspace_ref: str | None = Header(
        None,
        alias=WORKSPACE_HEADER,
        max_length=64,
        description="Act in another workspace you belong to (id or slug).",
    ),
) -> Caller:
    """`Authorization: Bearer …` as a Caller, or a 401."""
    if credentials is None:
        raise unauthorized()
    caller = await caller_for(db, credentials.credentials, workspace_ref)
    if caller.read_only and request.method not in SAFE_METHODS:
        raise HTTPException(403, "this token may only read; make one with the full or inbox scope to change things")
    return caller


async def caller_for(db: Database, token: str, workspace_ref: str | None) -> Caller:
    """The Caller a token stands for (in `workspace_ref`, one of the user's workspaces, when given),
    or an HTTPException (401, or 404 for a workspace that is not theirs). The API's bearer tokens
    and the web admin's session cookie (admin/web/session.py) both come here."""
    if len(token) > MAX_TOKEN_CHARS:
        raise unauthorized()
    async with db.reader() as s:
        row = await token_owner(s, token)
        if row is None:
            raise unauthorized()
        caller = await _resolve(s, row, workspace_ref)
    if row.last_used_at is None or utcnow() - row.last_used_at >= TOUCH_EVERY:
        await _touch(db, row.id)
    return caller


CurrentCaller = Annotated[Caller, Depends(current_caller)]


async def _resolve(s: AsyncSession, token: ApiToken, workspace_ref: str | None) -> Caller:
    if token.user_id is None:
        # A workspace API token stands for the workspace itself: it acts as its owner, there only
        # (it has no person to invite, demote or remove, but may do all an owner may).
        if workspace_ref is not None:
            match = (
                await s.execute(
                    select(Workspace.id).where(
                        Workspace.id == token.workspace_id,
                        (Workspace.id == workspace_ref) | (Workspace.slug == workspace_ref),
                    )
                )
            ).first()
            if match is None:
                raise HTTPException(404, "workspace not found")
        # Its scope says as whom: "full" and "read" as the owner (read changing nothing), "inbox" as an agent.
        role: Role = "agent" if token.scope == "inbox" else "owner"
        return Caller(token.workspace_id, None, role, token.id, read_only=token.scope == "read")
    if workspace_ref is not None:
        found = await membership_for(s, user_id=token.user_id, ref=workspace_ref)
        if found is None:
            raise HTTPException(404, "workspace not found")
        return Caller(found[0].id, token.user_id, found[1], token.id)
    member_role = (
        await s.execute(
            select(Membership.role).where(
                Membership.workspace_id == token.workspace_id, Membership.user_id == token.user_id
            )
        )
    ).scalar_one_or_none()
    if member_role not in ROLES:
        raise unauthorized("this token's workspace is no longer yours")
    return Caller(token.workspace_id, token.user_id, cast(Role, member_role), token.id)


async def _touch(db: Database, token_id: str) -> None:
    try:
        async with db.session() as s:
            await s.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=utcnow()))
    except OperationalError:
        # A busy database should not turn a read into a failure just to record last use.
        log.warning("could not record token use", extra={"token_id": token_id})
