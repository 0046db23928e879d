"""Sessions and API tokens as their workspace sees them: listing the live ones, and revoking one.

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

from core.messages import utcnow
from core.models import ApiToken, User


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
