"""Connecting a bot: validate its token with getMe, and set or delete its webhook."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from aiogram.exceptions import TelegramAPIError, TelegramUnauthorizedError
from aiogram.utils.token import TokenValidationError

from channels.telegram.bots import ALLOWED_UPDATES, standalone_bot


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
        raise ConnectError("Telegram refused the token: check it with @BotFather (/token)") from None
    except TelegramAPIError as exc:
        raise ConnectError(f"could not reach the Bot API at {api_base or 'api.telegram.org'}: {exc}") from None
    finally:
        await bot.session.close()
    return BotInfo(id=str(me.id), username=me.username or "", name=me.full_name)


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
