"""Connecting a Slack app: check the bot token with auth.test, and learn the team and bot ids that
the console needs (our own messages are recognised by them)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from channels.slack.connection import api_base
from core.channels import NewConnection


class ConnectError(Exception):
    """Something the person connecting Slack can fix; the message says what."""


@dataclass(frozen=True)
class BotInfo:
    team_id: str
    team: str
    bot_user_id: str
    bot_id: str


async def verify_token(bot_token: str, base: str | None) -> BotInfo:
    if not bot_token.startswith("xoxb-"):
        raise ConnectError("that is not a bot token (it starts with xoxb-: OAuth & Permissions in your Slack app)")
    client = AsyncWebClient(token=bot_token, base_url=api_base(base), timeout=15)
    try:
        me = await client.auth_test()
    except SlackApiError as exc:
        error = (getattr(exc.response, "data", None) or {}).get("error", "unknown error")
        raise ConnectError(f"Slack refused the token ({error}): reinstall the app and copy its bot token") from None
    except Exception as exc:
        raise ConnectError(f"could not reach the Slack API at {api_base(base)}: {type(exc).__name__}") from None
    return BotInfo(
        team_id=str(me.get("team_id") or ""),
        team=str(me.get("team") or ""),
        bot_user_id=str(me.get("user_id") or ""),
        bot_id=str(me.get("bot_id") or ""),
    )


async def checked(new: NewConnection) -> NewConnection:
    """A new connection's bot token checked with auth.test, with the team and bot ids filled in:
    the team is the account and the default name. `frontdesk channel add slack` calls it; the API
    stores a Slack connection as given (channels/slack/__init__.py). Raises ValueError."""
    token, base = new.config.get("bot_token"), new.config.get("api_base")
    if not isinstance(token, str) or not token:
        raise ValueError("a Slack connection needs config.bot_token, the app's xoxb-… token")
    try:
        info = await verify_token(token, base if isinstance(base, str) and base else None)
    except ConnectError as exc:
        raise ValueError(str(exc)) from None
    ids = {"team": info.team, "bot_user_id": info.bot_user_id, "bot_id": info.bot_id}
    return replace(
        new,
        account=info.team_id,
        name=new.name or info.team or "Slack",
        config={**new.config, **ids},
        found={"team": {"id": info.team_id, "name": info.team}},
    )
