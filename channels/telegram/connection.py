"""A Telegram connection as the webhook and the poller need it, secrets opened in memory.

Kept free of aiogram, so a process that never talks to Telegram (a worker with no Telegram
connection, the CLI) does not pay for importing it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.crypto import SecretBox
from core.models import ChannelConnection


@dataclass(frozen=True)
class BotIdentity:
    """The connection an update arrived on, and the bot it belongs to."""

    workspace_id: str
    connection_id: str
    bot_id: str
    username: str


@dataclass(frozen=True)
class Connection:
    """A Telegram connection as the webhook and poller need it, secrets opened in memory."""

    id: str
    identity: BotIdentity
    config: dict[str, Any]
    enabled: bool

    @property
    def webhook_secret(self) -> str:
        return str(self.config.get("webhook_secret") or "")

    @property
    def polling(self) -> bool:
        return self.config.get("mode", "polling") == "polling"


def load_connection(row: ChannelConnection, box: SecretBox) -> Connection:
    return from_row(row, box.open(row.config))


def from_row(row: ChannelConnection, config: dict[str, Any]) -> Connection:
    identity = BotIdentity(
        workspace_id=row.workspace_id,
        connection_id=row.id,
        bot_id=row.account or str(config.get("token", "")).split(":")[0],
        username=str(config.get("username") or ""),
    )
    return Connection(id=row.id, identity=identity, config=config, enabled=row.enabled)
