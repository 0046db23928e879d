"""A connection's health as the channels page shows it: the last message that came in on it, the
last error recorded on it (core.connections.note_error: a reply its provider refused, a token revoked
while polling), its last credential test, how messages reach it (a Telegram bot's webhook or
polling) and the webhook URL its provider is given."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import ChannelConnection, Conversation, Message

# Where each kind's provider delivers (the channel packages' webhook routes), under the public URL.
WEBHOOK_PATHS = {"telegram": "telegram", "whatsapp": "twilio", "sms": "twilio", "slack": "slack"}


@dataclass(frozen=True)
class Health:
    last_in: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    tested_at: datetime | None
    test_problem: str | None
    mode: str | None  # Telegram: "webhook" or "polling"; Slack: "socket" with an app token, else "webhook"
    webhook_url: str | None  # what to give the provider (None: nothing to give, as when polling)


def webhook_url(public_url: str, kind: str, connection_id: str) -> str | None:
    """The URL this server takes the kind's webhooks on, as `frontdesk channel add` prints it."""
    path = WEBHOOK_PATHS.get(kind)
    return f"{public_url.rstrip('/')}/webhooks/{path}/{connection_id}" if path else None


def _mode(row: ChannelConnection) -> str | None:
    config = row.config or {}
    if row.kind == "telegram":
        return str(config.get("mode") or "polling")
    if row.kind == "slack":
        return "socket" if config.get("app_token") else "webhook"
    return None


async def last_messages_in(s: AsyncSession, *, workspace_id: str) -> dict[str, datetime]:
    """When a customer's message last came in, per connection of the workspace that has had one."""
    query = (
        select(Conversation.connection_id, func.max(Message.created_at))
        .join(Conversation, Message.conversation_id == Conversation.id)
        .where(Message.workspace_id == workspace_id, Message.direction == "in", Conversation.connection_id.is_not(None))
        .group_by(Conversation.connection_id)
    )
    return {str(connection_id): at for connection_id, at in (await s.execute(query)).all() if at is not None}


async def health_of(
    s: AsyncSession, rows: Sequence[ChannelConnection], *, workspace_id: str, public_url: str
) -> dict[str, Health]:
    """Each connection's health, by its id."""
    last_in = await last_messages_in(s, workspace_id=workspace_id)
    found = {}
    for row in rows:
        mode = _mode(row)
        url = None if mode in ("polling", "socket") else webhook_url(public_url, row.kind, row.id)
        found[row.id] = Health(
            last_in=last_in.get(row.id),
            last_error=row.last_error,
            last_error_at=row.last_error_at,
            tested_at=row.tested_at,
            test_problem=row.test_problem,
            mode=mode,
            webhook_url=url,
        )
    return found
