"""Wake workers the moment there is work: in-process events, and LISTEN/NOTIFY on PostgreSQL.

Polling stays as the safety net, so a lost notification only delays work, never loses it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import Database

log = logging.getLogger(__name__)
CHANNELS = ("inbox", "outbox")


class Wakeup:
    def __init__(self) -> None:
        self._events = {name: asyncio.Event() for name in CHANNELS}
        self._listener: Any = None
        self._turns: dict[int, asyncio.Event] = {}

    def set(self, name: str) -> None:
        self._events[name].set()

    async def wait(self, name: str, timeout: float) -> None:
        event = self._events[name]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)
        event.clear()

    def turn_finished(self, inbox_id: int) -> None:
        event = self._turns.get(inbox_id)
        if event is not None:
            event.set()

    async def wait_turn(self, inbox_id: int, timeout: float) -> bool:
        """Wait for an in-process worker to finish a turn. False on timeout (the caller re-checks
        the database, since the worker may be another process)."""
        event = self._turns.setdefault(inbox_id, asyncio.Event())
        try:
            await asyncio.wait_for(event.wait(), timeout)
            return True
        except TimeoutError:
            return False
        finally:
            self._turns.pop(inbox_id, None)

    @staticmethod
    async def notify_in(session: AsyncSession, db: Database, name: str) -> None:
        """Queue a cross-process NOTIFY; Postgres delivers it when the transaction commits."""
        if db.is_postgres:
            await session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": f"frontdesk_{name}"})

    async def listen(self, db: Database) -> None:
        """Hold one raw asyncpg connection that LISTENs for other processes' NOTIFYs."""
        if not db.is_postgres:
            return
        import asyncpg
        from sqlalchemy.engine import make_url

        url = make_url(db.url).set(drivername="postgresql")
        try:
            conn = await asyncpg.connect(url.render_as_string(hide_password=False))
        except Exception as exc:  # polling still works; say so and go on
            log.warning("LISTEN unavailable, polling only", extra={"error": type(exc).__name__})
            return
        for name in CHANNELS:
            await conn.add_listener(f"frontdesk_{name}", self._on_notify)
        self._listener = conn

    def _on_notify(self, _conn: Any, _pid: int, channel: str, _payload: str) -> None:
        name = channel.removeprefix("frontdesk_")
        if name in self._events:
            self._events[name].set()

    async def close(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()
            self._listener = None
