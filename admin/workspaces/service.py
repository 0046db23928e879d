"""Workspaces as a caller sees them: only those they belong to, with their role in each.

A user reaches a workspace through a membership; a token without a user (the CLI's owner token)
reaches only the workspace it was issued for.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from admin.common import Role, safe_slug
from admin.roles import may_configure, may_own
from admin.workspaces.origins import changed_on_commit
from core.crypto import token_hash
from core.messages import utcnow
from core.models import ApiToken, InboxItem, Membership, User, Workspace
from core.workspaces import create_workspace, issue_token, slugify

SESSION_DAYS = 30


class SlugTaken(ValueError):
    pass


class NotYours(LookupError):
    """Not a workspace of the caller's (another's, or none): "not found" to them."""


class OwnersOnly(PermissionError):
    """The caller belongs to the workspace, but only its owners may do this."""


async def membership_for(s: AsyncSession, *, user_id: str, ref: str | None) -> tuple[Workspace, Role] | None:
    """The user's workspace named by id or slug (an id wins), or their first one when ref is None."""
    query = (
        select(Workspace, Membership.role)
        .join(Membership, Membership.workspace_id == Workspace.id)
        .where(Membership.user_id == user_id)
    )
    if ref is None:
        candidates = [query.order_by(Membership.created_at, Membership.id).limit(1)]
    else:
        candidates = [query.where(Workspace.id == ref), query.where(Workspace.slug == ref)]
    for candidate in candidates:
        row = (await s.execute(candidate)).first()
        if row is not None:
            return row[0], cast(Role, row[1])
    return None


async def visible(
    s: AsyncSession, *, user_id: str | None, token_workspace_id: str, workspace_id: str | None = None
) -> Sequence[tuple[Workspace, Role]]:
    """Every workspace the caller may see (or just `workspace_id`, if it is one of them)."""
    if user_id is None:
        if workspace_id is not None and workspace_id != token_workspace_id:
            return []
        workspace = await s.get(Workspace, token_workspace_id)
        return [] if workspace is None else [(workspace, "owner")]
    query = (
        select(Workspace, Membership.role)
        .join(Membership, Membership.workspace_id == Workspace.id)
        .where(Membership.user_id == user_id)
        .order_by(Workspace.created_at, Workspace.id)
    )
    if workspace_id is not None:
        query = query.where(Workspace.id == workspace_id)
    return [(w, cast(Role, role)) for w, role in (await s.execute(query)).all()]


async def issue_session(s: AsyncSession, *, workspace_id: str, user_id: str) -> str:
    return await issue_token(
        s,
        workspace_id=workspace_id,
        user_id=user_id,
        name="session",
        kind="session",
        expires_at=utcnow() + timedelta(days=SESSION_DAYS),
    )


async def create_owned(
    s: AsyncSession, *, owner: User, name: str, slug: str | None = None, timezone: str | None = None
) -> tuple[Workspace, str]:
    """A new workspace owned by `owner`, and a session token for it.

    create_workspace also issues a never-expiring owner API token. The admin hands out session
    tokens instead, so that token (which nobody has seen) is dropped rather than left live.
    """
    if slug is not None and await _slug_taken(s, slug):
        raise SlugTaken("that slug is taken")
    new = await create_workspace(s, name=name, owner=owner, slug=slug or safe_slug(slugify(name)))
    await s.execute(delete(ApiToken).where(ApiToken.token_hash == token_hash(new.token)))
    if timezone:
        new.workspace.timezone = timezone
    token = await issue_session(s, workspace_id=new.workspace.id, user_id=owner.id)
    await s.flush()
    return new.workspace, token


async def create_for(
    s: AsyncSession, *, user_id: str, name: str, slug: str | None = None, timezone: str | None = None
) -> tuple[Workspace, str]:
    """A new workspace owned by this person (the API's POST /workspaces and the account page), with
    a session token for it. Raises NotYours if the person is gone, SlugTaken for a taken slug."""
    user = await s.get(User, user_id)
    if user is None:
        raise NotYours("user not found")
    return await create_owned(s, owner=user, name=name, slug=slug, timezone=timezone)


async def owned(
    s: AsyncSession, *, user_id: str | None, token_workspace_id: str, workspace_id: str, admins_too: bool = False
) -> tuple[Workspace, Role]:
    """The workspace if the caller owns it: NotYours when it is not theirs at all, OwnersOnly for
    its admins and agents (admin.roles.may_own). A new slug and deleting ask this; the business's
    settings (name, time zone, phone region, chat websites) ask it with `admins_too`, as the pages do
    (admin.roles.may_configure)."""
    rows = await visible(s, user_id=user_id, token_workspace_id=token_workspace_id, workspace_id=workspace_id)
    if not rows:
        raise NotYours("workspace not found")
    workspace, role = rows[0]
    if not (may_configure(role) if admins_too else may_own(role)):
        raise OwnersOnly(
            "only the workspace's owners and admins can do this"
            if admins_too
            else "only the workspace's owners can do this"
        )
    return workspace, role


async def update(s: AsyncSession, *, workspace: Workspace, changes: dict[str, Any]) -> Workspace:
    slug = changes.get("slug")
    if slug is not None and slug != workspace.slug and await _slug_taken(s, slug):
        raise SlugTaken("that slug is taken")
    for field, value in changes.items():
        setattr(workspace, field, value)
    if "chat_origins" in changes:
        changed_on_commit(s)
    await s.flush()
    return workspace


async def remove(s: AsyncSession, *, workspace_id: str) -> None:
    """Delete a workspace and everything in it.

    The database cascades from the workspace row; the inbox has no foreign key (it must accept
    before anything is resolved), so its unprocessed rows are removed here.
    """
    await s.execute(delete(InboxItem).where(InboxItem.workspace_id == workspace_id))
    await s.execute(delete(Workspace).where(Workspace.id == workspace_id))


async def _slug_taken(s: AsyncSession, slug: str) -> bool:
    return (await s.execute(select(Workspace.id).where(Workspace.slug == slug))).first() is not None


async def members(s: AsyncSession, *, workspace_id: str) -> list[tuple[User, Role]]:
    """Who belongs to the workspace, with their role: owners first, then by name and email."""
    rows = (
        await s.execute(
            select(User, Membership.role)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.workspace_id == workspace_id)
            .order_by(Membership.role != "owner", User.name, User.email)
        )
    ).all()
    return [(user, cast(Role, role)) for user, role in rows]
