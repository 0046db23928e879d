"""A Slack connection as the routes and senders need it, with its secrets opened in memory, and the
Web API clients, one per connection (several Slack teams share one server; nothing global changes
per request)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from core.channels import SendError
from core.connections import ConnectionCache
from core.crypto import SecretBox
from core.db import Database
from core.models import ChannelConnection

DEFAULT_API_BASE = "https://slack.com/api/"
DEFAULT_REPLY_MARKER = "!reply"


@dataclass(frozen=True)
class Connection:
    id: str
    workspace_id: str
    team_id: str
    config: dict[str, Any]
    enabled: bool

    @property
    def bot_token(self) -> str:
        return str(self.config.get("bot_token") or "")

    @property
    def signing_secret(self) -> str:
        return str(self.config.get("signing_secret") or "")

    @property
    def api_base(self) -> str:
        return api_base(self.config.get("api_base"))

    @property
    def staff_channel(self) -> str | None:
        return self.config.get("staff_channel") or None

    @property
    def customer_channels(self) -> frozenset[str]:
        return frozenset(self.config.get("customer_channels") or ())

    @property
    def bot_user_id(self) -> str:
        return str(self.config.get("bot_user_id") or "")

    @property
    def bot_id(self) -> str:
        return str(self.config.get("bot_id") or "")

    @property
    def reply_marker(self) -> str:
        return str(self.config.get("reply_marker") or DEFAULT_REPLY_MARKER)


def api_base(value: object) -> str:
    """Slack's Web API base, GovSlack's (https://slack-gov.com/api/), or a test fake's; the SDK
    joins method names onto it, so it ends with a slash."""
    base = str(value or DEFAULT_API_BASE)
    return base if base.endswith("/") else base + "/"


def load(row: ChannelConnection, box: SecretBox) -> Connection:
    return Connection(row.id, row.workspace_id, row.account, box.open(row.config), row.enabled)


class Connections:
    """Connections by id (core.connections' short cache: an edited or removed one takes effect within
    seconds), and each one's Web API client."""

    def __init__(self, db: Database, box: SecretBox) -> None:
        self._cache: ConnectionCache[Connection] = ConnectionCache(
            db,
            box,
            kinds=frozenset({"slack"}),
            build=lambda row, config: Connection(row.id, row.workspace_id, row.account, dict(config), row.enabled),
        )
        self._clients: dict[str, tuple[tuple[str, str], AsyncWebClient]] = {}

    async def get(self, connection_id: str) -> Connection | None:
        return await self._cache.get(connection_id)

    def client(self, connection: Connection) -> AsyncWebClient:
        """This connection's client: its own token and API base, rebuilt when either changes."""
        key = (connection.bot_token, connection.api_base)
        cached = self._clients.get(connection.id)
        if cached is not None and cached[0] == key:
            return cached[1]
        client = AsyncWebClient(token=connection.bot_token, base_url=connection.api_base, timeout=15)
        self._clients[connection.id] = (key, client)
        return client


def retry_after(exc: SlackApiError) -> float | None:
    """Seconds Slack asked us to wait (429 Retry-After), or None."""
    response = exc.response
    if getattr(response, "status_code", None) != 429:
        return None
    headers = getattr(response, "headers", None) or {}
    value = headers.get("Retry-After") or headers.get("retry-after") or "1"
    try:
        return max(1.0, float(value))
    except (TypeError, ValueError):
        return 1.0


# Errors no retry can fix: the outbox (or the staff job) fails at once and says why.
PERMANENT = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "invalid_auth",
        "account_inactive",
        "token_revoked",
        "not_authed",
        "msg_too_long",
        "no_text",
        "invalid_blocks",
        "restricted_action",
        "message_not_found",
        "cant_update_message",
        "user_not_found",
    }
)


def send_error(exc: Exception) -> SendError:
    if isinstance(exc, SendError):
        return exc
    if isinstance(exc, SlackApiError):
        wait = retry_after(exc)
        if wait is not None:
            return SendError("Slack rate limit (429)", retry_after=wait, code="429")
        error = str((getattr(exc.response, "data", None) or {}).get("error") or "unknown")
        code = SendError.UNREACHABLE if error in ("channel_not_found", "is_archived", "not_in_channel") else error
        return SendError(f"Slack refused: {error}", retryable=error not in PERMANENT, code=code)
    return SendError(f"Slack unavailable: {type(exc).__name__}: {exc}", code="unavailable")
