"""Which frontdesk staff member a Slack user is.

A link is a row (`frontdesk slack staff add`), or is made on first use when the Slack user's email
(users.info, scope users:read.email) belongs to a member of the connection's workspace. Anyone else
is refused: an unknown Slack user cannot approve a draft.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from channels.slack.connection import Connection
from channels.slack.models import SlackStaff
from core.db import Database, insert_for
from core.models import Membership, User, new_id

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Staff:
    user_id: str
    slack_user_id: str
    name: str


async def staff_for(db: Database, client: AsyncWebClient, connection: Connection, slack_user_id: str) -> Staff | None:
    async with db.reader() as s:
        row = (
            await s.execute(
                select(User)
                .join(SlackStaff, SlackStaff.user_id == User.id)
                .join(
                    Membership,
                    (Membership.user_id == User.id) & (Membership.workspace_id == SlackStaff.workspace_id),
                )
                .where(SlackStaff.connection_id == connection.id, SlackStaff.slack_user_id == slack_user_id)
            )
        ).scalar_one_or_none()
    if row is not None:
        return Staff(row.id, slack_user_id, row.name or row.email)
    email = await _email(client, slack_user_id)
    if not email:
        return None
    async with db.session() as s:
        user = (
            await s.execute(
                select(User)
                .join(Membership, Membership.user_id == User.id)
                .where(Membership.workspace_id == connection.workspace_id, func.lower(User.email) == email.lower())
            )
        ).scalar_one_or_none()
        if user is None:
            return None
        await link(s, connection=connection, slack_user_id=slack_user_id, user_id=user.id)
        return Staff(user.id, slack_user_id, user.name or user.email)


async def link(s: AsyncSession, *, connection: Connection, slack_user_id: str, user_id: str) -> None:
    insert = insert_for(s)
    await s.execute(
        insert(SlackStaff)
        .values(
            id=new_id(),
            workspace_id=connection.workspace_id,
            connection_id=connection.id,
            slack_user_id=slack_user_id,
            user_id=user_id,
        )
        .on_conflict_do_nothing(index_elements=["connection_id", "slack_user_id"])
    )


async def _email(client: AsyncWebClient, slack_user_id: str) -> str | None:
    try:
        response = await client.users_info(user=slack_user_id)
    except SlackApiError as exc:
        log.info("slack users.info failed", extra={"slack_user": slack_user_id, "error": str(exc)[:200]})
        return None
    user = response.get("user") or {}
    if user.get("is_bot") or user.get("deleted"):
        return None
    email = (user.get("profile") or {}).get("email")
    return str(email) if email else None
