"""Long polling for connections in polling mode: development without a public URL.

The offset lives in the connection's `cursor` column and is written only after the updates it
covers are in the inbox. A crash in between repeats a batch that the inbox then deduplicates; no
update is ever skipped. On PostgreSQL each bot is polled by one process at a time (an advisory
lock), since Telegram refuses two concurrent getUpdates for one bot.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from typing import TYPE_CHECKING, Any

from aiogram.exceptions import ClientDecodeError, TelegramConflictError, TelegramUnauthorizedError
from aiogram.types import Update
from pydantic import ValidationError
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from channels.telegram.bots import ALLOWED_UPDATES
from channels.telegram.connection import Connection, load_connection
from channels.telegram.ingest import ingest
from core.connections import note_error
from core.metrics import UNSUPPORTED
from core.models import ChannelConnection
from core.queue import backoff

if TYPE_CHECKING:
    from channels.telegram.channel import TelegramChannel

log = logging.getLogger(__name__)
POLLING_REFUSED = (
    "Polling stopped: Telegram says the bot token is not valid (401 Unauthorized): "
    "copy it again from @BotFather and connect the bot again"
)


def _lock_key(connection_id: str) -> int:
    return int.from_bytes(hashlib.sha256(f"telegram-poll:{connection_id}".encode()).digest()[:8], "big", signed=True)


class Poller:
    """Polls one bot until cancelled."""

    def __init__(self, channel: TelegramChannel, connection: Connection, *, timeout: int) -> None:
        self.channel = channel
        self.connection = connection
        self.timeout = timeout
        self._log = {"connection_id": connection.id}

    async def run(self) -> None:
        db = self.channel.db
        if not db.is_postgres:
            await self._poll()
            return
        key = _lock_key(self.connection.id)
        while True:
            async with db.engine.connect() as lock_holder:
                if await self._lock(lock_holder):
                    try:
                        await self._poll()
                    finally:
                        # The lock belongs to the session, and the connection goes back to the pool:
                        # release it, or a changed connection's next poller would wait forever.
                        with contextlib.suppress(Exception):
                            await lock_holder.execute(select(func.pg_advisory_unlock(key)))
                            await lock_holder.commit()
                    return
            await asyncio.sleep(self.channel.poll_rescan_seconds)

    async def _lock(self, connection: AsyncConnection) -> bool:
        got = await connection.scalar(select(func.pg_try_advisory_lock(_lock_key(self.connection.id))))
        await connection.commit()
        return bool(got)

    async def _poll(self) -> None:
        bot = self.channel.bot_for(self.connection)
        offset = await self._load_offset()
        failures = 0
        with contextlib.suppress(Exception):
            # getUpdates is refused while a webhook is set; polling mode means we don't want one.
            await bot.delete_webhook(drop_pending_updates=False)
        log.info("telegram polling started", extra={**self._log, "offset": offset})
        while True:
            try:
                updates = await self._fetch(offset)
                for item in updates:
                    if isinstance(item, Update):
                        outcome = await ingest(item, self.connection, self.channel.accept)
                        if outcome.callback_query_id:
                            await self._answer(outcome.callback_query_id)
                if updates:
                    offset = _update_id(updates[-1]) + 1
                    await self._save_offset(offset)
                failures = 0
            except asyncio.CancelledError:
                raise
            except TelegramUnauthorizedError:
                log.error("telegram polling stopped: the bot token is wrong or revoked", extra=self._log)
                with contextlib.suppress(Exception):
                    async with self.channel.db.session() as s:
                        await note_error(s, POLLING_REFUSED, connection_id=self.connection.id)
                return
            except TelegramConflictError:
                log.warning("telegram polling conflict: a webhook is set or another process polls it", extra=self._log)
                await asyncio.sleep(10)
            except Exception as exc:
                failures += 1
                delay = backoff(failures, base=1.0, cap=60.0)
                log.warning(
                    "telegram polling failed, retrying",
                    extra={**self._log, "error": type(exc).__name__, "delay": round(delay, 2)},
                )
                await asyncio.sleep(delay)

    async def _fetch(self, offset: int | None) -> list[Update | dict[str, Any]]:
        bot = self.channel.bot_for(self.connection)
        try:
            return list(
                await bot.get_updates(
                    offset=offset,
                    timeout=self.timeout,
                    allowed_updates=ALLOWED_UPDATES,
                    request_timeout=self.timeout + 10,
                )
            )
        except ClientDecodeError as exc:
            # One update aiogram cannot parse would otherwise block the bot for good: take the
            # batch apart, keep the valid ones, count and skip the rest.
            raw = exc.data.get("result") if isinstance(exc.data, dict) else None
            if not isinstance(raw, list):
                raise
            return [self._parse(item) for item in raw if isinstance(item, dict) and "update_id" in item]

    def _parse(self, item: dict[str, Any]) -> Update | dict[str, Any]:
        try:
            return Update.model_validate(item, context={"bot": self.channel.bot_for(self.connection)})
        except ValidationError:
            UNSUPPORTED.labels("telegram", "invalid").inc()
            log.warning("telegram update skipped: not valid", extra={"update_id": item.get("update_id")})
            return item

    async def _answer(self, callback_query_id: str) -> None:
        """Stop the button's spinner; the press is already in the inbox, so a failure is cosmetic."""
        with contextlib.suppress(Exception):
            await self.channel.bot_for(self.connection).answer_callback_query(callback_query_id, request_timeout=5)

    async def _load_offset(self) -> int | None:
        async with self.channel.db.reader() as s:
            cursor = await s.scalar(select(ChannelConnection.cursor).where(ChannelConnection.id == self.connection.id))
        return int(cursor) if cursor else None

    async def _save_offset(self, offset: int) -> None:
        async with self.channel.db.session() as s:
            await s.execute(
                update(ChannelConnection).where(ChannelConnection.id == self.connection.id).values(cursor=str(offset))
            )


def _update_id(item: Update | dict[str, Any]) -> int:
    return item.update_id if isinstance(item, Update) else int(item["update_id"])


class PollingSupervisor:
    """Keeps one poller per enabled polling connection, picking up connections added, changed or
    removed while the server runs."""

    def __init__(self, channel: TelegramChannel, *, rescan_seconds: float, poll_timeout: int) -> None:
        self.channel = channel
        self.rescan_seconds = rescan_seconds
        self.poll_timeout = poll_timeout
        self._pollers: dict[str, tuple[Connection, asyncio.Task[None]]] = {}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="telegram-polling")

    async def _run(self) -> None:
        while True:
            try:
                await self.rescan()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("telegram polling rescan failed")
            await asyncio.sleep(self.rescan_seconds)

    async def rescan(self) -> None:
        async with self.channel.db.reader() as s:
            rows = (
                await s.execute(
                    select(ChannelConnection).where(ChannelConnection.kind == "telegram", ChannelConnection.enabled)
                )
            ).scalars()
            wanted = {c.id: c for c in (load_connection(r, self.channel.box) for r in rows) if c.polling}
        for connection_id, (connection, task) in list(self._pollers.items()):
            # A poller that gave up (a revoked token) stays down until its connection changes.
            if wanted.get(connection_id) != connection:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
                del self._pollers[connection_id]
        for connection_id, connection in wanted.items():
            if connection_id not in self._pollers:
                poller = Poller(self.channel, connection, timeout=self.poll_timeout)
                task = asyncio.create_task(poller.run(), name=f"telegram-poll-{connection_id}")
                self._pollers[connection_id] = (connection, task)

    async def stop(self) -> None:
        tasks = [task for _, task in self._pollers.values()]
        if self._task is not None:
            tasks.append(self._task)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._pollers.clear()
