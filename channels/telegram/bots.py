"""aiogram `Bot` clients, one per connection, sharing one HTTP session per Bot API server.

Several bots (and several workspaces) can use the same server, official or self-hosted; each call
carries its own token in the URL, so nothing global is mutated per request.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # aiogram is imported when a bot is first needed: it takes a second or more to load
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer

DEFAULT_API_BASE = "https://api.telegram.org"
# What the bot asks Telegram for; anything else is acknowledged and counted as unsupported.
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]


def api_server(api_base: str | None) -> TelegramAPIServer:
    from aiogram.client.telegram import PRODUCTION, TelegramAPIServer

    if not api_base or api_base.rstrip("/") == DEFAULT_API_BASE:
        return PRODUCTION
    return TelegramAPIServer.from_base(api_base)


class BotPool:
    """Bots by connection, rebuilt when a connection's token or server changes."""

    def __init__(self, *, timeout: float = 30.0) -> None:
        self.timeout = timeout
        self._sessions: dict[str, AiohttpSession] = {}
        self._bots: dict[str, tuple[tuple[str, str], Bot]] = {}

    def session(self, api_base: str | None) -> AiohttpSession:
        key = (api_base or DEFAULT_API_BASE).rstrip("/")
        session = self._sessions.get(key)
        if session is None:
            from aiogram.client.session.aiohttp import AiohttpSession

            session = AiohttpSession(api=api_server(api_base), timeout=self.timeout)
            self._sessions[key] = session
        return session

    def bot(self, connection_id: str, config: dict[str, Any]) -> Bot:
        token, api_base = str(config.get("token") or ""), str(config.get("api_base") or "")
        cached = self._bots.get(connection_id)
        if cached is not None and cached[0] == (token, api_base):
            return cached[1]
        from aiogram import Bot

        bot = Bot(token=token, session=self.session(api_base or None))
        self._bots[connection_id] = ((token, api_base), bot)
        return bot

    async def close(self) -> None:
        for session in self._sessions.values():
            with contextlib.suppress(Exception):
                await session.close()
        self._sessions.clear()
        self._bots.clear()


def standalone_bot(token: str, api_base: str | None, *, timeout: float = 30.0) -> Bot:
    """A bot with its own session, for one-off CLI calls (getMe, setWebhook). Close its session."""
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession

    return Bot(token=token, session=AiohttpSession(api=api_server(api_base), timeout=timeout))
