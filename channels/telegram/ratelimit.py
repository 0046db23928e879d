"""Keep under Telegram's limits: about one message a second per chat and 30 a second per bot.

Each send reserves the next free slot for its bot and its chat. A short wait happens in the
sender's task; a wait longer than `max_wait` is handed back to the outbox as a retry_after, so no
worker sits on a slot for long and a request handler never sleeps.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class SendLimiter:
    def __init__(
        self,
        *,
        per_chat: float = 1.0,
        per_bot: float = 30.0,
        max_wait: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.chat_gap = 1.0 / per_chat
        self.bot_gap = 1.0 / per_bot
        self.max_wait = max_wait
        self.clock = clock
        self._chats: dict[tuple[str, str], float] = {}
        self._bots: dict[str, float] = {}

    def reserve(self, bot: str, chat: str, *, force: bool = False) -> float:
        """Reserve a slot and return how long to wait for it. Returns -1 (reserving nothing) if
        the wait would exceed max_wait, unless `force` (the rest of a message already begun)."""
        now = self.clock()
        start = max(now, self._chats.get((bot, chat), 0.0), self._bots.get(bot, 0.0))
        wait = start - now
        if wait > self.max_wait and not force:
            return -1.0
        self._chats[(bot, chat)] = start + self.chat_gap
        self._bots[bot] = start + self.bot_gap
        if len(self._chats) > 10_000:
            self._forget(now)
        return wait

    def next_free(self, bot: str, chat: str) -> float:
        now = self.clock()
        return max(now, self._chats.get((bot, chat), 0.0), self._bots.get(bot, 0.0)) - now

    def _forget(self, now: float) -> None:
        self._chats = {k: v for k, v in self._chats.items() if v > now}
