"""Sessions and API tokens as their workspace sees them: making an API token, listing the live
ones, and revoking one.

A token belongs to the workspace it was issued for. Owners and admins see and revoke every token of
their workspace (their members' sessions and the workspace's API tokens); agents only their own
sessions there. Revoking takes effect on the next request, in every process: each request looks the token
up (core.workspaces.token_owner).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.crypto import token_hash
from core.messages import utcnow
from core.models import ApiToken, User
from core.workspaces import TOKEN_SCOPES, issue_token

# Enough for every script and integration a business runs; a runaway script cannot fill the table.
MAX_LIVE_API_TOKENS = 100


class TooManyTokens(Exception):
    pass


async def create_api_token(s: AsyncSession, *, workspace_id: str, name: str, scope: str) -> tuple[ApiToken, str]:
    """A new workspace API token: its row, and the token itself (shown once; only its hash is kept)."""
    if scope not in TOKEN_SCOPES:
        raise ValueError(f"scope must be one of {', '.join(TOKEN_SCOPES)}")
    live = [*_visible(workspace_id=workspace_id, only_user_id=None), ApiToken.kind == "api"]
    if (await s.execute(select(func.count()).select_from(ApiToken).where(*live))).scalar_one() >= MAX_LIVE_API_TOKENS:
        raise TooManyTokens(f"this workspace has {MAX_LIVE_API_TOKENS} live API tokens; revoke one first")
    token = await issue_token(s, workspace_id=workspace_id, user_id=None, name=name, scope=scope)
    await s.flush()
    row = (await s.execute(select(ApiToken).where(ApiToken.token_hash == token_hash(token)))).scalar_one()
    return row, token


def _visible(*, workspace_id: str, only_user_id: str | None) -> list[Any]:
    where = [
        ApiToken.workspace_id == workspace_id,
        ApiToken.revoked_at.is_(None),
        or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > utcnow()),
    ]
    if only_user_id is not None:
        where.append(ApiToken.user_id == only_user_id)
    return where


async def live_tokens(
    s: AsyncSession, *, workspace_id: str, only_user_id: str | None, limit: int, offset: int
) -> tuple[int, Sequence[tuple[ApiToken, str | None]]]:
    """How many live tokens there are, and one page of them (newest first) with their user's email."""
    where = _visible(workspace_id=workspace_id, only_user_id=only_user_id)
    total = (await s.execute(select(func.count()).select_from(ApiToken).where(*where))).scalar_one()
    rows = await s.execute(
        select(ApiToken, User.email)
        .outerjoin(User, User.id == ApiToken.user_id)
        .where(*where)
        .order_by(ApiToken.created_at.desc(), ApiToken.id)
        .limit(limit)
        .offset(offset)
    )
    return total, [(token, email) for token, email in rows.all()]


async def revoke(s: AsyncSession, *, workspace_id: str, token_id: str, only_user_id: str | None) -> bool:
    """Revoke a live token this caller can see; False if there is none."""
    result = await s.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id, *_visible(workspace_id=workspace_id, only_user_id=only_user_id))
        .values(revoked_at=utcnow())
    )
    return bool(getattr(result, "rowcount", 0))


async def api_token_names(s: AsyncSession, *, workspace_id: str) -> dict[str, str]:
    """Every API token the workspace ever had (revoked too), by id: what the audit log calls them."""
    found = await s.execute(
        select(ApiToken.id, ApiToken.name).where(ApiToken.workspace_id == workspace_id, ApiToken.kind == "api")
    )
    return dict(found.tuples().all())
