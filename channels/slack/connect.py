"""Connecting a Slack app: check the bot token with auth.test, and learn the team and bot ids that
the console needs (our own messages are recognised by them)."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from channels.slack.connection import api_base


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
