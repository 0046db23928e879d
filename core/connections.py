"""Channel connections as webhooks need them: looked up by id, secrets opened, kept for a few seconds;
and `note_error`, which records the last error seen on one (the sender's, a poller's).

A webhook reads its connection on every request; caching it briefly keeps that off the database on
a busy bot. A change (a new secret, a disabled connection) takes effect within `ttl` seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.crypto import SecretBox
from core.db import Database
from core.messages import utcnow
from core.models import ChannelConnection, Conversation

T = TypeVar("T")
MAX_CACHED = 1000


class ConnectionCache(Generic[T]):
    def __init__(
        self,
        db: Database,
        box: SecretBox,
        *,
        kinds: frozenset[str],
        build: Callable[[ChannelConnection, dict[str, object]], T],
        ttl: float = 5.0,
    ) -> None:
        self.db = db
        self.box = box
        self.kinds = kinds
        self.build = build
        self.ttl = ttl
        self._entries: dict[str, tuple[float, T | None]] = {}

    async def get(self, connection_id: str) -> T | None:
        """The connection, or None if there is none of these kinds with this id."""
        now = time.monotonic()
        cached = self._entries.get(connection_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        async with self.db.reader() as s:
            row = await s.get(ChannelConnection, connection_id)
        found = self.build(row, self.box.open(row.config)) if row is not None and row.kind in self.kinds else None
        if len(self._entries) >= MAX_CACHED:
            self._entries.clear()
        self._entries[connection_id] = (now + self.ttl, found)
        return found


MAX_ERROR_CHARS = 1000


async def note_error(
    s: AsyncSession, error: str, *, connection_id: str | None = None, conversation_id: str | None = None
) -> None:
    """Record on a connection (given, or the one a conversation came in on) the last error seen on
    it, for its health on the channels page. In the caller's transaction."""
    if connection_id is not None:
        which: Any = connection_id
    elif conversation_id is not None:
        which = select(Conversation.connection_id).where(Conversation.id == conversation_id).scalar_subquery()
    else:
        return
    await s.execute(
        update(ChannelConnection)
        .where(ChannelConnection.id == which)
        .values(last_error=error[:MAX_ERROR_CHARS], last_error_at=utcnow())
    )
