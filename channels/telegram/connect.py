"""Connecting a bot: validate its token with getMe, and set or delete its webhook."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace

from aiogram.exceptions import TelegramAPIError, TelegramUnauthorizedError
from aiogram.utils.token import TokenValidationError

from channels.telegram.bots import ALLOWED_UPDATES, standalone_bot
from core.channels import NewConnection


class ConnectError(Exception):
    """Something the person connecting the bot can fix; the message says what."""


@dataclass(frozen=True)
class BotInfo:
    id: str
    username: str
    name: str


async def verify_token(token: str, api_base: str | None) -> BotInfo:
    try:
        bot = standalone_bot(token, api_base, timeout=15)
    except TokenValidationError:
        raise ConnectError("that is not a bot token (it looks like 123456789:AA…; get one from @BotFather)") from None
    try:
        me = await bot.get_me()
    except TelegramUnauthorizedError:
        raise ConnectError(
            "Telegram says this token is not valid (401 Unauthorized): copy it again from @BotFather (/token)"
        ) from None
    except TelegramAPIError as exc:
        raise ConnectError(f"could not reach the Bot API at {api_base or 'api.telegram.org'}: {exc}") from None
    finally:
        await bot.session.close()
    return BotInfo(id=str(me.id), username=me.username or "", name=me.full_name)


async def checked(new: NewConnection) -> NewConnection:
    """A new connection's token checked with getMe, with what Telegram says filled in: the bot's id
    is the account, its @username the default name. Without a webhook secret the bot polls.
    Raises ValueError with what to fix."""
    token, api_base = new.config.get("token"), new.config.get("api_base")
    if not isinstance(token, str) or not token:
        raise ValueError("a Telegram connection needs config.token, the bot token from @BotFather")
    try:
        info = await verify_token(token, api_base if isinstance(api_base, str) and api_base else None)
    except ConnectError as exc:
        raise ValueError(str(exc)) from None
    mode = "webhook" if new.config.get("webhook_secret") else "polling"
    return replace(
        new,
        account=info.id,
        name=new.name or f"@{info.username}",
        config={"mode": mode, **new.config, "username": info.username},
        found={"bot": {"id": info.id, "username": info.username, "name": info.name}},
    )


def new_webhook_secret() -> str:
    """1-256 characters of A-Z, a-z, 0-9, _ and - (setWebhook's rule)."""
    return secrets.token_urlsafe(32)


async def set_webhook(token: str, api_base: str | None, *, url: str, secret: str, max_connections: int = 40) -> None:
    bot = standalone_bot(token, api_base, timeout=15)
    try:
        await bot.set_webhook(
            url, secret_token=secret, allowed_updates=ALLOWED_UPDATES, max_connections=max_connections
        )
    except TelegramAPIError as exc:
        raise ConnectError(f"setWebhook failed: {exc}") from None
    finally:
        await bot.session.close()


async def delete_webhook(token: str, api_base: str | None) -> None:
    bot = standalone_bot(token, api_base, timeout=15)
    try:
        await bot.delete_webhook(drop_pending_updates=False)
    except TelegramAPIError as exc:
        raise ConnectError(f"deleteWebhook failed: {exc}") from None
    finally:
        await bot.session.close()
